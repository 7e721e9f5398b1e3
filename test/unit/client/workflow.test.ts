/**
 * The `Workflow` object as the seed's users reach for it, without a server:
 * `job()`, `on`, `createdAt`/`updatedAt`, `Workflow.list()`, `extras` that are
 * worker settings, and the seed's top-level names exported from the package.
 */
import { statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Workflow } from '../../../src/client/workflow.js';
import { WorkflowError } from '../../../src/errors.js';
import * as tempoflow from '../../../src/index.js';
import { writeConf } from '../../helpers/conf.js';

const yaml = `
etl:
  type: Workflow
  on:
    - cron: "0 9 * * 1-5"
      timezone: America/New_York
      params: { mode: batch }
    - cron: "0 2 * * *"
    - manual: true
  jobs:
    extract:
      stages:
        - name: Extract
          echo: extract
    load:
      needs: [extract]
      stages:
        - name: Load
          echo: load
`;

describe('Workflow', () => {
  it('job() returns a job, and throws WorkflowError naming the jobs and the closest one', async () => {
    const wf = await Workflow.fromConf('etl', { path: writeConf({ 'etl.yml': yaml }) });
    expect(wf.job('load').needs).toEqual(['extract']);
    const thrown = (() => {
      try {
        wf.job('laod');
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(thrown).toBeInstanceOf(WorkflowError);
    expect((thrown as Error).message).toBe("workflow 'etl' has no job 'laod' (did you mean 'load'?); its jobs: extract, load");
    // start()/execute() check `jobs` with job() before connecting to anything.
    await expect(wf.start({}, { jobs: ['nope'] })).rejects.toBeInstanceOf(WorkflowError);
  });

  it('on holds the parsed on: entries, from either YAML form', async () => {
    const wf = await Workflow.fromConf('etl', { path: writeConf({ 'etl.yml': yaml }) });
    expect(wf.on.manual).toBe(true);
    expect(wf.on.schedules.map((s) => [s.cron, s.timezone, s.params])).toEqual([
      ['0 9 * * 1-5', 'America/New_York', { mode: 'batch' }],
      ['0 2 * * *', 'UTC', {}],
    ]);
    expect(wf.on.schedules[0]!.loc).toMatch(/etl\.yml:5:7$/);

    const mapForm = `
nightly:
  type: Workflow
  on:
    schedule:
      - cronjob: "30 1 * * *"
        timezone: Asia/Tokyo
  jobs:
    a: { stages: [{ name: A, echo: a }] }
`;
    const nightly = await Workflow.fromConf('nightly', { path: writeConf({ 'n.yml': mapForm }) });
    expect(nightly.on).toMatchObject({ manual: false, schedules: [{ cron: '30 1 * * *', timezone: 'Asia/Tokyo' }] });
    const none = await Workflow.fromConf('a', { path: writeConf({ 'a.yml': 'a: { type: Workflow, jobs: { j: { stages: [{ name: J, echo: j }] } } }' }) });
    expect(none.on).toEqual({ schedules: [], manual: false });
  });

  it('createdAt and updatedAt are the defining file’s times', async () => {
    const dir = writeConf({ 'etl.yml': yaml });
    const file = join(dir, 'etl.yml');
    const modified = new Date('2024-03-04T05:06:07Z');
    utimesSync(file, modified, modified);
    const wf = await Workflow.fromConf('etl', { path: dir });
    expect(wf.updatedAt.toISOString()).toBe(modified.toISOString());
    const st = statSync(file);
    expect(wf.createdAt.getTime()).toBe((st.birthtimeMs > 0 ? st.birthtime : st.ctime).getTime());
    expect(wf.createdAt.getTime()).toBeGreaterThan(0);
  });

  it('Workflow.list() names the workflows of a conf tree, not its reusable jobs and stages', async () => {
    const dir = writeConf({
      'etl.yml': yaml,
      'more/other.yaml': 'other: { type: Workflow, jobs: { j: { stages: [{ name: J, echo: j }] } } }',
      'jobs/common.yml': 'common-job: { type: Job, stages: [{ name: C, echo: c }] }',
    });
    expect((await Workflow.list({ path: dir })).sort()).toEqual(['etl', 'other']);
  });

  it('refuses extras that are worker settings, saying where they go; keeps the others', async () => {
    const path = writeConf({ 'etl.yml': yaml });
    await expect(Workflow.fromConf('etl', { path, extras: { registryCaller: 'tasks.js' } })).rejects.toThrow(
      /extras\.registryCaller: tasks are registered on the worker.*WORKFLOW_CORE_REGISTRY_CALLER/,
    );
    await expect(Workflow.fromConf('etl', { path, extras: { registry_caller: 'tasks.js' } })).rejects.toBeInstanceOf(WorkflowError);
    // From JavaScript, or a config object read from a file:
    await expect(Workflow.fromConf('etl', { path, extras: { auditEnabled: 'no' as unknown as boolean } })).rejects.toThrow(/extras\.auditEnabled must be true or false/);
    const wf = await Workflow.fromConf('etl', { path, extras: { environment: 'production', auditEnabled: false } });
    expect(wf.extras).toEqual({ environment: 'production', auditEnabled: false });
  });
});

describe("the seed's keyword arguments as option keys (a JavaScript caller's port)", () => {
  /** The error a call rejects with, before it connects to anything. */
  async function refusal(call: Promise<unknown>): Promise<Error> {
    const err = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowError);
    return err as Error;
  }

  it("names tempoflow's option for run_id, parent_run_id, max_job_parallel, release_type, override_log_name and event, in every run method", async () => {
    const wf = await Workflow.fromConf('etl', { path: writeConf({ 'etl.yml': yaml }) });
    const seed = (options: Record<string, unknown>) => options as never;
    expect((await refusal(wf.execute({}, seed({ max_job_parallel: 4, run_id: 'r1' })))).message).toBe(
      "execute(): 'max_job_parallel' is ddeutil-workflow's name: pass maxJobParallel instead; 'run_id' is ddeutil-workflow's name: pass runId instead (docs/coming-from-ddeutil.md)",
    );
    expect((await refusal(wf.start({}, seed({ parent_run_id: 'p' })))).message).toMatch(/^start\(\): 'parent_run_id' .*pass parentRunId instead/);
    expect((await refusal(wf.executeJob('load', seed({ event: new AbortController().signal })))).message).toMatch(/^executeJob\(\): 'event' .*pass signal \(an AbortSignal/);
    expect((await refusal(wf.rerun('etl-run-1', seed({ max_job_parallel: 1 })))).message).toMatch(/^rerun\(\): .*pass maxJobParallel instead/);
    const release = await refusal(wf.release('2024-01-01T09:00:00Z', {}, seed({ release_type: 'NORMAL', override_log_name: 'x' })));
    expect(release.message).toMatch(/^release\(\): 'release_type' .*pass releaseType instead; 'override_log_name' .*pass overrideLogName instead/);
  });

  it("release(): result= is refused with what to pass instead, and audit must be a boolean, not the seed's audit class", async () => {
    const wf = await Workflow.fromConf('etl', { path: writeConf({ 'etl.yml': yaml }) });
    const earlier = new tempoflow.Result({ status: 'SUCCESS', runId: 'etl-1', context: { params: {}, jobs: {}, status: 'SUCCESS', start: '2024-01-01T00:00:00.000Z', errors: [] }, errors: [] });
    const withResult = await refusal(wf.release('2024-01-01T09:00:00Z', {}, { result: earlier } as never));
    expect(withResult.message).toMatch(/release\(\) has no 'result' option: it resolves with a new ReleaseResult.*parentRunId: earlier\.runId.*releaseType: RERUN/);
    const withClass = await refusal(wf.release('2024-01-01T09:00:00Z', {}, { audit: tempoflow.FileAuditStore } as never));
    expect(withClass.message).toMatch(/audit is true or false .*WORKFLOW_CORE_AUDIT_STORE/);
    // Elsewhere `result` and `audit` are not the seed's arguments: left to the method (here: an unknown job).
    await expect(wf.execute({}, { result: earlier, audit: 'x', jobs: ['nope'] } as never)).rejects.toThrow(/has no job 'nope'/);
  });
});

describe('the package exports the seed’s top-level names that TypeScript code uses', () => {
  it('release types, errors, Result, Workflow and audit readers', () => {
    expect([tempoflow.NORMAL, tempoflow.RERUN, tempoflow.EVENT, tempoflow.FORCE, tempoflow.DRYRUN]).toEqual(['NORMAL', 'RERUN', 'EVENT', 'FORCE', 'DRYRUN']);
    expect(tempoflow.NORMAL).toBe(tempoflow.ReleaseType.NORMAL);
    for (const name of ['Workflow', 'Result', 'WorkflowError', 'ParamError', 'WorkflowTimeoutError', 'WorkflowCancelledError', 'FileAuditStore', 'SqliteAuditStore', 'openAuditReader'] as const) {
      expect(typeof tempoflow[name], name).toBe('function');
    }
    expect(new tempoflow.ParamError('x', 'missing')).toBeInstanceOf(tempoflow.WorkflowError);
    expect(new tempoflow.WorkflowTimeoutError('t')).toBeInstanceOf(tempoflow.WorkflowError);
  });
});
