/**
 * Run routes: list runs (Temporal visibility), one run's status, context and
 * waiting approvals (live while it runs), its definition (the YAML snapshot
 * the web view draws), its Web UI links, its logs, a live stream of its
 * status, and cancel, approve, reject and rerun. Each is a call to the
 * run's handle (`getRun()`), as the CLI's commands are.
 */
import { createRoute } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { RunContext } from '../client/result.js';
import { startRerun } from '../client/release.js';
import { getRun, type RunHandle } from '../client/run-handle.js';
import { listRuns } from '../client/runs.js';
import type { TempoflowRuntime } from '../client/runtime.js';
import { RunQueryTimeoutError } from '../errors.js';
import type { App, RouteContext } from './app.js';
import { errorResponse } from './errors.js';
import { json, jsonBody, runLinks } from './route-helpers.js';
import {
  Accepted,
  CancelRequest,
  DecisionRequest,
  ErrorBody,
  ListRunsQuery,
  LogsQuery,
  RerunRequest,
  RerunStarted,
  RunDefinition,
  RunIdParam,
  RunLinks,
  RunList,
  RunLogs,
  RunView,
} from './schemas.js';

const tags = ['runs'];

/** How long a page waits for a running run's status query, ms. */
const STATUS_TIMEOUT_MS = 5000;

/** Most of a trace file a logs response carries, bytes (its end). */
export const TRACE_TAIL_BYTES = 256 * 1024;

const notFound = json(ErrorBody, 'No run with that id');
const ended = json(ErrorBody, 'The run has already ended (`run-ended`)');

/** A run as `GET /api/runs/{runId}` returns it (the `RunView` schema). */
export type RunViewData = Omit<z.infer<typeof RunView>, 'context'> & { readonly context?: RunContext };

/** What a run page shows: the run, its context (live while it runs), its waiting approvals. */
export async function runView(runtime: TempoflowRuntime, run: RunHandle): Promise<RunViewData> {
  const d = await run.describe();
  let context: RunContext | undefined;
  let problem: string | undefined;
  try {
    context = await run.status({ timeoutMs: STATUS_TIMEOUT_MS });
  } catch (err) {
    if (!(err instanceof RunQueryTimeoutError)) throw err;
    problem = err.message;
  }
  const waiting = d.running && context && JSON.stringify(context.jobs).includes('"WAIT"') ? await run.waitingApprovals({ context }).catch(() => []) : [];
  if (context) {
    for (const job of Object.values(context.jobs)) {
      for (const s of job.strategies ?? []) {
        const uiUrl = s.workflowId ? runtime.uiLink(s.workflowId) : undefined;
        if (uiUrl) Object.assign(s, { uiUrl });
      }
    }
  }
  return {
    runId: run.runId,
    ...(d.workflowName ? { workflow: d.workflowName } : {}),
    running: d.running,
    executionStatus: d.executionStatus,
    status: context?.status ?? (d.running ? 'WAIT' : 'FAILED'),
    startTime: d.startTime.toISOString(),
    ...(d.closeTime ? { closeTime: d.closeTime.toISOString() } : {}),
    ...(d.uiUrl ? { uiUrl: d.uiUrl } : {}),
    ...(context ? { context } : {}),
    waitingApprovals: waiting.map((w) => ({ ...w, approvers: [...w.approvers] })),
    ...(problem ? { problem } : {}),
  };
}

export function registerRunRoutes(app: App, ctx: RouteContext): void {
  const handle = async (runId: string) => getRun(runId, { runtime: await ctx.runtime() });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/runs',
      tags,
      summary: 'Recent runs, newest first, from Temporal visibility (as `tempoflow runs`)',
      request: { query: ListRunsQuery },
      responses: { 200: json(RunList, 'The runs and the visibility query that found them') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { query, runs } = await listRuns({
        runtime: await ctx.runtime(),
        ...(q.workflow ? { workflow: q.workflow } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.limit ? { limit: q.limit } : {}),
      });
      return c.json({ query, runs: JSON.parse(JSON.stringify(runs)) as unknown[] }, 200) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/runs/{runId}',
      tags,
      summary: 'A run: its status, jobs, stages (with outputs and log tails), errors and waiting approvals; live while it runs',
      request: { params: RunIdParam },
      responses: { 200: json(RunView, 'The run'), 404: notFound },
    }),
    async (c) => {
      const run = await handle(c.req.valid('param').runId);
      return c.json(await runView(await ctx.runtime(), run), 200) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/runs/{runId}/events',
      tags,
      summary: 'The run, live, as server-sent events: a `run` event (a RunView) whenever it changes, then `end` when the run has ended',
      request: { params: RunIdParam },
      responses: { 200: { description: '`text/event-stream`', content: { 'text/event-stream': { schema: z.string() } } }, 404: notFound },
    }),
    async (c) => {
      const run = await handle(c.req.valid('param').runId);
      const runtime = await ctx.runtime();
      return streamSSE(c, async (stream) => {
        let aborted = false;
        stream.onAbort(() => {
          aborted = true;
        });
        let last = '';
        let lastWrite = Date.now();
        while (!aborted) {
          let view: RunViewData;
          try {
            view = await runView(runtime, run);
          } catch (err) {
            await stream.writeSSE({ event: 'error', data: JSON.stringify(errorResponse(err, ctx.log).body) });
            break;
          }
          const text = JSON.stringify(view);
          if (text !== last) {
            await stream.writeSSE({ event: 'run', data: text });
            last = text;
            lastWrite = Date.now();
          } else if (Date.now() - lastWrite > 15_000) {
            await stream.write(': keep-alive\n\n');
            lastWrite = Date.now();
          }
          if (!view.running) {
            await stream.writeSSE({ event: 'end', data: JSON.stringify({ status: view.status }) });
            break;
          }
          await stream.sleep(ctx.pollMs);
        }
      }) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/runs/{runId}/definition',
      tags,
      summary: 'The run’s YAML snapshot: the definition it was started with (jobs, needs, stages, matrix)',
      request: { params: RunIdParam },
      responses: { 200: json(RunDefinition, 'The definition'), 404: notFound },
    }),
    async (c) => c.json({ definition: await (await handle(c.req.valid('param').runId)).spec() }, 200) as never,
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/runs/{runId}/links',
      tags,
      summary: 'Links to the run’s objects in the Temporal Web UI: the run, and each stage activity’s latest attempt',
      request: { params: RunIdParam },
      responses: { 200: json(RunLinks, 'The links (empty when the Web UI is not known)'), 404: notFound },
    }),
    async (c) => c.json(await (await handle(c.req.valid('param').runId)).uiLinks(), 200) as never,
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/runs/{runId}/logs',
      tags,
      summary: 'The output tails of every finished stage (and the end of the trace file, when this machine has it)',
      request: { params: RunIdParam, query: LogsQuery },
      responses: { 200: json(RunLogs, 'The logs'), 404: notFound },
    }),
    async (c) => {
      const run = await handle(c.req.valid('param').runId);
      const logs = await run.logs({ trace: c.req.valid('query').trace === 'true' });
      const trace = logs.trace;
      const tail = trace !== undefined && Buffer.byteLength(trace) > TRACE_TAIL_BYTES ? Buffer.from(trace).subarray(-TRACE_TAIL_BYTES).toString('utf8') : trace;
      return c.json({ ...logs, ...(tail !== undefined ? { trace: tail, traceTruncated: tail !== trace } : {}) }, 200) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/runs/{runId}/cancel',
      tags,
      summary: 'Ask the run to stop: running stages are stopped, the run ends CANCEL',
      request: { params: RunIdParam, body: jsonBody(CancelRequest, false) },
      responses: { 202: json(Accepted, 'The request is recorded'), 404: notFound, 409: ended },
    }),
    async (c) => {
      const { runId } = c.req.valid('param');
      await (await handle(runId)).cancel(c.req.valid('json')?.reason);
      return c.json({ runId, accepted: 'cancel' }, 202) as never;
    },
  );

  for (const decision of ['approve', 'reject'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/api/runs/{runId}/${decision}`,
        tags,
        summary: decision === 'approve' ? 'Approve a waiting `approval` stage' : 'Reject a waiting `approval` stage (it fails with the reason)',
        request: { params: RunIdParam, body: jsonBody(DecisionRequest) },
        responses: { 202: json(Accepted, 'The decision is sent to the run'), 404: notFound, 409: ended },
      }),
      async (c) => {
        const { runId } = c.req.valid('param');
        const { stage, reason, by } = c.req.valid('json');
        await (await handle(runId))[decision](stage, { ...(reason ? { reason } : {}), ...(by ? { by } : {}) });
        return c.json({ runId, accepted: decision }, 202) as never;
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/runs/{runId}/rerun',
      tags,
      summary: 'Rerun an ended run: what failed and what depends on it runs again, the rest is reused',
      request: { params: RunIdParam, body: jsonBody(RerunRequest, false) },
      responses: { 201: json(RerunStarted, 'The new run started'), 400: json(ErrorBody, 'The run still runs, or cannot be rerun'), 404: notFound },
    }),
    async (c) => {
      const { runId } = c.req.valid('param');
      const body = c.req.valid('json') ?? {};
      await handle(runId); // 404 for an unknown run
      const started = await startRerun(runId, {
        runtime: await ctx.runtime(),
        ...(body.fromStage ? { fromStage: body.fromStage } : {}),
        ...(body.runId ? { runId: body.runId } : {}),
        ...(body.timeout ? { timeout: body.timeout } : {}),
        ...(body.maxJobParallel ? { maxJobParallel: body.maxJobParallel } : {}),
      });
      const links = runLinks(started.run.runId);
      c.header('Location', links.api);
      return c.json({ runId: started.run.runId, parentRunId: started.parentRunId, rerun: [...started.rerun], ...(started.run.uiUrl ? { uiUrl: started.run.uiUrl } : {}), links }, 201) as never;
    },
  );
}
