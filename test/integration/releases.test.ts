/**
 * Releases on the real server: one run per release minute (a second NORMAL
 * release is a SKIP carrying the first run's id), FORCE runs again, DRYRUN
 * only plans, every release writes one audit record — even when the worker
 * is SIGKILLed while the record is being written — and runs carry the
 * search attributes.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileAuditStore } from '../../src/audit/index.js';
import { Workflow } from '../../src/client/workflow.js';
import { runCli } from '../helpers/cli.js';
import { eventually } from '../helpers/processes.js';
import { tempDir, temporalAddress, testRuntime, uniqueTaskQueue, withWorker, writeConf } from '../helpers/temporal.js';
import { startWorkerProcess } from '../helpers/worker-process.js';

const unique = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

function conf(name: string, ledger: string, extra = ''): string {
  return writeConf({
    [`${name}.yml`]: `
${name}:
  type: Workflow
  params:
    day: { type: str, default: none }
  on:
    - cron: "0 9 * * *"
      timezone: UTC
      params: { day: "\${{ release.logical_date | fmt('%Y-%m-%d') }}" }
${extra}
  jobs:
    first:
      stages:
        - name: Work
          bash: echo "$TF_RUN_ID $TF_PARAM_DAY" >> "${ledger}"
    second:
      needs: [first]
      stages:
        - name: More
          bash: echo more
`,
  });
}

describe('releases', () => {
  it('a NORMAL release runs once; the second is a SKIP with the first run id; one audit record; TfWorkflow is queryable', async () => {
    await withWorker(async ({ runtime, dir }) => {
      const name = unique('rel');
      const ledger = join(dir, 'ledger.txt');
      const wf = await Workflow.fromConf(name, { path: conf(name, ledger) });
      const first = await wf.release('2024-01-01T09:00:00Z', { day: 'x-${{ release.type }}' }, { runtime });
      expect(first.status).toBe('SUCCESS');
      expect(first.runId).toBe(`tf:${name}:202401010900`);
      expect(first.skipped).toBe(false);
      expect(first.audit?.written).toBe(true);

      const second = await wf.release(new Date('2024-01-01T09:00:00Z'), {}, { runtime });
      expect(second.status).toBe('SKIP');
      expect(second.skipped).toBe(true);
      expect(second.runId).toBe(first.runId);
      expect(second.reason).toMatch(/already done/);
      expect(readFileSync(ledger, 'utf8')).toBe(`tf:${name}:202401010900 x-NORMAL\n`);

      const store = new FileAuditStore(join(dir, 'audits'));
      const records = store.forRelease(name, '20240101090000');
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ workflow: name, type: 'NORMAL', status: 'SUCCESS', runId: first.runId, params: { day: 'x-NORMAL' }, release: '2024-01-01T09:00:00.000Z' });
      expect(records[0]!.context?.jobs.first?.status).toBe('SUCCESS');
      expect(records[0]!.spec?.name).toBe(name);

      // The run carries the search attributes the client registered on connect.
      expect(runtime.searchAttributes.available.has('TfWorkflow')).toBe(true);
      const listed = await eventually(
        async () => {
          const ids: string[] = [];
          for await (const w of runtime.client.workflow.list({ query: `TfWorkflow = '${name}' AND TfReleaseType = 'NORMAL'` })) ids.push(w.workflowId);
          return ids.length ? ids : undefined;
        },
        15_000,
        500,
      );
      expect(listed).toEqual([first.runId]);
    });
  });

  it('entry params are templated with release.*; FORCE runs again with a suffix; DRYRUN only plans', async () => {
    await withWorker(async ({ runtime, dir }) => {
      const name = unique('rel');
      const ledger = join(dir, 'ledger.txt');
      const wf = await Workflow.fromConf(name, { path: conf(name, ledger) });
      const normal = await wf.release('2024-02-03T09:00:00Z', {}, { runtime });
      const forced = await wf.release('2024-02-03T09:00:00Z', {}, { runtime, releaseType: 'FORCE', excluded: ['second'] });
      expect(forced.status).toBe('SUCCESS');
      expect(forced.runId).toMatch(new RegExp(`^tf:${name}:202402030900:force-[0-9a-f-]{8}$`));
      expect(Object.keys(forced.context.jobs)).toEqual(['first']);
      expect(readFileSync(ledger, 'utf8')).toBe(`${normal.runId} 2024-02-03\n${forced.runId} 2024-02-03\n`);

      const dry = await wf.release('2024-02-04T09:00:00Z', {}, { runtime, releaseType: 'DRYRUN' });
      expect(dry.plan).toEqual({
        params: { day: '2024-02-04' },
        jobs: [
          { id: 'first', needs: [], stages: ['work'], matrix: false },
          { id: 'second', needs: ['first'], stages: ['more'], matrix: false },
        ],
      });
      expect(readFileSync(ledger, 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
      const store = new FileAuditStore(join(dir, 'audits'));
      expect(store.forRelease(name, '20240203090000').map((r) => r.type)).toEqual(['NORMAL', 'FORCE']);
      expect(store.forRelease(name, '20240204090000')).toEqual([]);

      await expect(wf.release('2024-02-04T10:00:00Z', {}, { runtime })).rejects.toThrow(/matches no cron entry.*next at 2024-02-05T09:00:00.000Z/);
      await expect(wf.release('2024-02-04T09:00:00Z', { nope: 1 }, { runtime })).rejects.toThrow(/param 'nope'/);
    });
  });

  it('audit list/show, logs and runs read what a release left', async () => {
    await withWorker(async ({ runtime, dir, taskQueue }) => {
      const name = unique('rel');
      const wf = await Workflow.fromConf(name, { path: conf(name, join(dir, 'ledger.txt')) });
      const r = await wf.release('2024-04-01T09:00:00Z', {}, { runtime });
      expect(r.status).toBe('SUCCESS');
      const env = {
        TEMPORAL_ADDRESS: temporalAddress(),
        WORKFLOW_CORE_TASK_QUEUE: taskQueue,
        WORKFLOW_CORE_AUDIT_PATH: join(dir, 'audits'),
        WORKFLOW_CORE_TRACE_PATH: join(dir, '.tempoflow', 'traces'),
      };
      const list = await runCli(['audit', 'list', name], { cwd: dir, env });
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout).toMatch(new RegExp(`2024-04-01T09:00:00.000Z +NORMAL +SUCCESS +tf:${name}:202404010900`));
      const show = await runCli(['audit', 'show', name, '202404010900'], { cwd: dir, env });
      expect(show.stdout).toContain('job first: SUCCESS');
      expect(show.stdout).toContain('params {"day":"2024-04-01"}');
      const missing = await runCli(['audit', 'show', name, '2024-04-02T09:00:00Z'], { cwd: dir, env });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/no audit record .* audit list/);

      const logs = await runCli(['logs', r.runId], { cwd: dir, env });
      expect(logs.code, logs.stderr).toBe(0);
      expect(logs.stdout).toContain(`[${name}] [second] [more] more`);
      expect(logs.stderr).toContain('--- trace file');

      const runs = await eventually(
        async () => {
          const res = await runCli(['runs', '--workflow', name, '--json'], { cwd: dir, env });
          const rows = JSON.parse(res.stdout || '[]') as { runId: string; releaseType?: string; releaseTime?: string }[];
          return rows.length ? rows : undefined;
        },
        20_000,
        1000,
      );
      expect(runs).toEqual([expect.objectContaining({ runId: r.runId, status: 'COMPLETED', workflow: name, releaseType: 'NORMAL', releaseTime: '2024-04-01T09:00:00.000Z' })]);
    });
  });

  it('the audit store decides after retention: an audited release is a SKIP even when Temporal has no run', async () => {
    await withWorker(async ({ runtime, dir }) => {
      const name = unique('rel');
      const wf = await Workflow.fromConf(name, { path: conf(name, join(dir, 'ledger.txt')) });
      const store = new FileAuditStore(join(dir, 'audits'));
      store.write({
        version: 1,
        workflow: name,
        release: '2023-05-01T09:00:00.000Z',
        releaseKey: '20230501090000',
        type: 'NORMAL',
        status: 'SUCCESS',
        params: {},
        runId: `tf:${name}:202305010900`,
        releaseWorkflowId: 'gone',
        releaseRunId: 'gone',
        timing: { executeDate: '2023-05-01T09:00:00.000Z' },
        errors: [],
        recordedAt: '2023-05-01T09:01:00.000Z',
      });
      const result = await wf.release('2023-05-01T09:00:00Z', {}, { runtime });
      expect(result).toMatchObject({ status: 'SKIP', skipped: true, runId: `tf:${name}:202305010900` });
      expect(result.reason).toMatch(/audit record/);
      expect(existsSync(join(dir, 'ledger.txt'))).toBe(false);
    });
  });

  it('a worker SIGKILLed while writing the audit record: the release ends with exactly one record', async () => {
    const taskQueue = uniqueTaskQueue('crash-audit');
    const dir = tempDir('tf-crash-audit-');
    const name = unique('rel');
    const ledger = join(dir, 'ledger.txt');
    const wf = await Workflow.fromConf(name, { path: conf(name, ledger), extras: { taskQueue } });
    const runtime = await testRuntime(taskQueue);
    // The audit activity writes the record, then sits for a minute before completing.
    let worker = startWorkerProcess(taskQueue, dir, { TEMPOFLOW_AUDIT_DELAY_MS: '60000' });
    try {
      await worker.ready;
      const pending = wf.release('2024-03-01T09:00:00Z', {}, { runtime, heartbeatTimeoutMs: 2000 });
      const releaseDir = join(dir, 'audits', `workflow=${name}`, 'release=20240301090000');
      const written = await eventually(() => existsSync(releaseDir) && readdirSync(releaseDir).some((f) => f.endsWith('.json')), 60_000, 100);
      expect(written).toBe(true);
      await worker.kill('SIGKILL');
      worker = startWorkerProcess(taskQueue, dir);
      await worker.ready;
      const result = await pending;
      expect(result.status).toBe('SUCCESS');
      expect(result.audit).toEqual({ written: false, where: join(releaseDir, `${`tf:${name}:202403010900`.replace(/:/g, '_')}.json`) });
      expect(readdirSync(releaseDir)).toEqual([`tf_${name}_202403010900.json`]);
      expect(readFileSync(ledger, 'utf8').trim().split('\n')).toHaveLength(1);
    } finally {
      await worker.kill('SIGKILL');
      await runtime.close();
    }
  });
});
