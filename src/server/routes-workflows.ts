/**
 * Workflow routes: the conf tree's workflows (with their params, schedules
 * and webhook), one workflow with its problems and its graph, `validate`,
 * starting a run, and a release of any type.
 */
import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { describeWorkflow, listWorkflows } from '../client/catalog.js';
import { ReleaseType } from '../client/release.js';
import { Workflow } from '../client/workflow.js';
import { loadConfTree, validateTree } from '../config/loader.js';
import type { App, RouteContext } from './app.js';
import { HttpError } from './errors.js';
import { json, jsonBody, runLinks } from './route-helpers.js';
import { ErrorBody, ReleaseRequest, ReleaseStarted, RunStarted, StartRunRequest, ValidateQuery, ValidateResult, WorkflowDetail, WorkflowList, WorkflowNameParam } from './schemas.js';

const tags = ['workflows'];

export function registerWorkflowRoutes(app: App, ctx: RouteContext): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/workflows',
      tags,
      summary: 'The workflows of the conf tree, with their params, schedules and webhook',
      responses: { 200: json(WorkflowList, 'Every workflow, by name; an invalid one has `valid: false`') },
    }),
    (c) => c.json({ workflows: listWorkflows({ path: ctx.confPath }) }, 200) as never,
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/workflows/{name}',
      tags,
      summary: 'One workflow: its listing, what `validate` reports for it, and its definition (the job graph) when valid',
      request: { params: WorkflowNameParam },
      responses: { 200: json(WorkflowDetail, 'The workflow'), 404: json(ErrorBody, 'No workflow of that name') },
    }),
    (c) => {
      const { name } = c.req.valid('param');
      const found = describeWorkflow(name, { path: ctx.confPath });
      if (!found) throw new HttpError(404, 'workflow-not-found', `no workflow '${name}' in the conf tree; GET /api/workflows lists them`);
      return c.json({ workflow: found.listing, issues: found.issues, ...(found.spec ? { definition: found.spec } : {}) }, 200) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/validate',
      tags,
      summary: 'Validate workflows (all by default): every problem, each at file:line:col, as `tempoflow validate --json`',
      request: { query: ValidateQuery },
      responses: { 200: json(ValidateResult, '`ok` is false when any error was found') },
    }),
    (c) => {
      const names = (c.req.valid('query').names ?? '')
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean);
      const { issues, checked } = validateTree(loadConfTree(ctx.confPath), names);
      return c.json({ ok: !issues.some((i) => i.severity === 'error'), workflows: checked, issues }, 200) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/workflows/{name}/runs',
      tags,
      summary: 'Start a run; params are coerced as `tempoflow run -p` does',
      request: { params: WorkflowNameParam, body: jsonBody(StartRunRequest, false) },
      responses: {
        201: json(RunStarted, 'Started (or attached to the run of that `runId`)'),
        400: json(ErrorBody, 'Bad params (`invalid-params`) or YAML (`invalid-config`), each problem with its file:line:col; nothing ran'),
        404: json(ErrorBody, 'No workflow of that name'),
      },
    }),
    async (c) => {
      const { name } = c.req.valid('param');
      const body = c.req.valid('json') ?? {};
      const wf = await Workflow.fromConf(name, { path: ctx.confPath });
      wf.parameterize(body.params ?? {}); // a 400 before any connection
      const run = await wf.start(body.params ?? {}, {
        runtime: await ctx.runtime(),
        ...(body.jobs ? { jobs: body.jobs } : {}),
        ...(body.timeout ? { timeout: body.timeout } : {}),
        ...(body.maxJobParallel ? { maxJobParallel: body.maxJobParallel } : {}),
        ...(body.runId ? { runId: body.runId } : {}),
      });
      const links = runLinks(run.runId);
      c.header('Location', links.api);
      return c.json({ runId: run.runId, workflow: wf.name, attached: run.attached, ...(run.uiUrl ? { uiUrl: run.uiUrl } : {}), links }, 201) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/workflows/{name}/releases',
      tags,
      summary: 'Release the workflow (normal, force, rerun, event or dryrun), as `tempoflow release` does',
      request: { params: WorkflowNameParam, body: jsonBody(ReleaseRequest, false) },
      responses: {
        202: json(ReleaseStarted, 'Started; `runId` is the run it starts'),
        200: json(
          ReleaseStarted.extend({ result: z.record(z.string(), z.unknown()).describe('The `ReleaseResult`: status, context, plan (DRYRUN), audit') }),
          'With `wait: true`: the release and its result',
        ),
        400: json(ErrorBody, 'A time that matches no cron entry, bad params, an unknown excluded job'),
        404: json(ErrorBody, 'No workflow of that name'),
      },
    }),
    async (c) => {
      const { name } = c.req.valid('param');
      const body = c.req.valid('json') ?? {};
      const wf = await Workflow.fromConf(name, { path: ctx.confPath });
      const at = body.at ? new Date(body.at) : new Date(Math.floor(Date.now() / 60_000) * 60_000);
      const type = (body.type ?? 'normal').toUpperCase() as ReleaseType;
      const started = await wf.startRelease(at, body.params ?? {}, { runtime: await ctx.runtime(), releaseType: type, ...(body.excluded?.length ? { excluded: body.excluded } : {}) });
      const view = {
        releaseWorkflowId: started.releaseWorkflowId,
        runId: started.runId,
        releaseType: started.releaseType,
        logicalDate: started.logicalDate,
        duplicate: started.duplicate,
        ...(started.uiUrl ? { uiUrl: started.uiUrl } : {}),
      };
      if (!body.wait) return c.json(view, 202) as never;
      return c.json({ ...view, result: (await started.result()).toJSON() }, 200) as never;
    },
  );
}
