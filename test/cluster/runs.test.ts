/**
 * Runs on the real cluster (PostgreSQL, separate frontend/history/matching/worker
 * services) with two `tempoflow worker` processes on one queue and a third on a
 * `runs-on: self-hosted` queue: every seed example ends as its `desc:` says, a
 * 100-combination matrix runs each combination once across both workers, an
 * approval gate, a rerun, a history exported from the cluster that replays against
 * the current code (the upgrade gate of docs/deploy.md), and tempoflow's search
 * attributes on PostgreSQL visibility (also registered on connect in a fresh namespace).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { WorkflowHandle } from '@temporalio/client';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { msToTs } from '@temporalio/common/lib/time.js';
import { Worker } from '@temporalio/worker';
import { TempoflowRuntime } from '../../src/client/runtime.js';
import { Workflow } from '../../src/client/workflow.js';
import { statusQuery } from '../../src/workflows/definitions.js';
import { runCli } from '../helpers/cli.js';
import { eventually } from '../helpers/processes.js';
import { tempDir, temporalAddress, workflowBundlePath, writeConf } from '../helpers/temporal.js';
import { startWorkerProcess } from '../helpers/worker-process.js';
import { lines, startPool, type WorkerPool } from './pool.js';

const conf = resolve(import.meta.dirname, '../../conf');
const statuses = (jobs: Record<string, { status: string }>) => Object.fromEntries(Object.entries(jobs).map(([k, v]) => [k, v.status]));

let pool: WorkerPool;
beforeAll(async () => {
  pool = await startPool('cluster-runs');
});
afterAll(async () => {
  await pool?.stop();
});

describe('seed examples on the cluster', () => {
  // Each example as its `desc:` says it ends (complex-workflow and release-approval have their own tests below).
  const CASES: [name: string, status: string, params: Record<string, unknown>, jobs: Record<string, string>][] = [
    ['hello-world', 'SUCCESS', { name: 'cluster' }, { prepare: 'SUCCESS', build: 'SUCCESS', test: 'SUCCESS', report: 'SUCCESS' }],
    ['data-pipeline', 'SUCCESS', { processing_date: '2024-03-01' }, { 'data-ingestion': 'SUCCESS', 'data-processing': 'SUCCESS' }],
    ['fan-out-fan-in', 'SUCCESS', {}, { split: 'SUCCESS', 'process-partitions': 'SUCCESS', merge: 'SUCCESS' }],
    ['retry-pattern', 'SUCCESS', {}, { 'retry-job': 'SUCCESS' }],
    ['conditional-pipeline', 'SUCCESS', {}, {}],
    ['nested-stages', 'SUCCESS', {}, { nested: 'SUCCESS' }],
    ['scheduled-workflow', 'SUCCESS', {}, {}],
    ['dag-with-skip', 'FAILED', {}, { lint: 'SUCCESS', check: 'FAILED', deploy: 'SKIP', notify: 'SUCCESS' }],
    ['robust-workflow', 'FAILED', { retry_count: 1 }, { 'main-process': 'FAILED', fallback: 'SUCCESS', cleanup: 'SUCCESS' }],
    ['circuit-breaker', 'FAILED', {}, { 'check-health': 'FAILED', fallback: 'SUCCESS' }],
  ];

  it.each(CASES)('%s ends %s', async (name, status, params, jobs) => {
    const result = await (await Workflow.fromConf(name, { path: conf })).execute(params, { runtime: pool.runtime });
    expect(result.status, JSON.stringify(result.errors)).toBe(status);
    expect(statuses(result.context.jobs)).toMatchObject(jobs);
    if (status === 'SUCCESS') expect(Object.values(result.context.jobs).every((j) => j.status === 'SUCCESS' || j.status === 'SKIP')).toBe(true);
  });

  it('complex-workflow aggregates all 12 combinations, written on either worker into the shared run workspace', async () => {
    const result = await (
      await Workflow.fromConf('complex-workflow', { path: conf })
    ).execute({ start_date: '2024-01-01T00:00:00Z', end_date: '2024-01-02T00:00:00+07:00' }, { runtime: pool.runtime });
    expect(result.status).toBe('SUCCESS');
    expect(result.context.jobs['parallel-processing']!.strategies!.filter((s) => s.status === 'SUCCESS')).toHaveLength(12);
    expect(result.context.jobs['aggregation']!.outputs).toMatchObject({ combinations: 12 });
  });
});

describe('scale-out', () => {
  it('a 100-combination matrix: every combination SUCCESS, each ran once, both workers took part', async () => {
    const ledger = join(pool.shared, `matrix-${randomBytes(3).toString('hex')}.txt`);
    const wf = await Workflow.fromConf('matrix-100', {
      path: writeConf({
        'm.yml': `
matrix-100:
  type: Workflow
  jobs:
    grid:
      strategy:
        max-parallel: 100
        matrix:
          x: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
          y: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
      stages:
        - name: Cell
          bash: echo "$TF_MATRIX_X$TF_MATRIX_Y $TEMPOFLOW_TEST_WORKER" >> "${ledger}"
`,
      }),
    });
    const result = await wf.execute({}, { runtime: pool.runtime });
    expect(result.status).toBe('SUCCESS');
    const strategies = result.context.jobs['grid']!.strategies!;
    expect(strategies).toHaveLength(100);
    expect(strategies.every((s) => s.status === 'SUCCESS')).toBe(true);
    const cells = lines(ledger).map((l) => l.split(' '));
    expect(cells.map(([cell]) => cell).sort()).toEqual(Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0')));
    expect(new Set(cells.map(([, worker]) => worker))).toEqual(new Set(['a', 'b']));
  });

  it('runs-on self-hosted: the job and its combinations run on the self-hosted pool, the rest on the main pool', async () => {
    const wf = await Workflow.fromConf('pools', {
      path: writeConf({
        'p.yml': `
pools:
  type: Workflow
  jobs:
    prepare:
      stages:
        - name: Where
          bash: echo "$TEMPOFLOW_TEST_WORKER"
    train:
      needs: [prepare]
      runs-on: { type: self-hosted, task-queue: ${pool.selfHostedQueue} }
      strategy:
        matrix: { shard: [1, 2, 3] }
      stages:
        - name: Where
          bash: echo "$TEMPOFLOW_TEST_WORKER"
`,
      }),
    });
    const result = await wf.execute({}, { runtime: pool.runtime });
    expect(result.status).toBe('SUCCESS');
    expect(['a\n', 'b\n']).toContain(result.context.jobs['prepare']!.outputs['stdout']);
    expect(result.context.jobs['train']!.strategies!.map((s) => s.outputs['stdout'])).toEqual(['self-hosted\n', 'self-hosted\n', 'self-hosted\n']);
  });
});

describe('run control', () => {
  it('release-approval waits for `tempoflow approve`, then ships', async () => {
    const wf = await Workflow.fromConf('release-approval', { path: conf });
    let handle: WorkflowHandle | undefined;
    const pending = wf.execute({}, { runtime: pool.runtime, onStart: (i) => (handle = i.handle) });
    const waiting = await eventually(
      async () => {
        if (!handle) return false;
        const ctx = await handle.query(statusQuery).catch(() => undefined);
        return ctx?.jobs['deploy']?.stages['gate']?.status === 'WAIT';
      },
      60_000,
      300,
    );
    expect(waiting).toBe(true);
    const env = { TEMPORAL_ADDRESS: temporalAddress(), WORKFLOW_CORE_TASK_QUEUE: pool.taskQueue };
    const status = await runCli(['status', handle!.workflowId], { cwd: tempDir(), env });
    expect(status.stdout).toMatch(/waiting for approval: deploy\.gate/);
    const approve = await runCli(['approve', handle!.workflowId, 'deploy.gate', '--by', 'release-manager'], { cwd: tempDir(), env });
    expect(approve.code, approve.stderr).toBe(0);
    const result = await pending;
    expect(result.status).toBe('SUCCESS');
    expect(result.context.jobs['deploy']!.stages['gate']!.outputs).toMatchObject({ approval: { approved: true, by: 'release-manager' } });
    expect(result.context.jobs['deploy']!.outputs['stdout']).toBe('shipped\n');
  });

  it('rerun reruns only the failed job and its dependents', async () => {
    const dir = tempDir('tf-rerun-');
    const wf = await Workflow.fromConf('rerun-cluster', {
      path: writeConf({
        'r.yml': `
rerun-cluster:
  type: Workflow
  jobs:
    extract:
      stages:
        - name: Extract
          bash: echo x >> "${dir}/extract"
    load:
      needs: [extract]
      stages:
        - name: Load
          bash: |
            echo x >> "${dir}/load"
            test -f "${dir}/fixed" || { echo "input not ready" >&2; exit 1; }
`,
      }),
    });
    const failed = await wf.execute({}, { runtime: pool.runtime });
    expect(failed.status).toBe('FAILED');
    writeFileSync(join(dir, 'fixed'), '');
    const rerun = await wf.rerun(failed.runId, { runtime: pool.runtime });
    expect(rerun.status).toBe('SUCCESS');
    expect(rerun.context.jobs['extract']).toMatchObject({ status: 'SUCCESS', reusedFrom: failed.runId });
    expect(lines(join(dir, 'extract'))).toHaveLength(1);
    expect(lines(join(dir, 'load'))).toHaveLength(2);
  });
});

describe('the upgrade gate (docs/deploy.md)', () => {
  it('a history exported from the cluster with `temporal workflow show` replays against the current workflow code', async () => {
    const result = await (await Workflow.fromConf('data-pipeline', { path: conf })).execute({ processing_date: '2024-03-02' }, { runtime: pool.runtime });
    expect(result.status).toBe('SUCCESS');
    const exported = execFileSync(inject('temporalCliPath'), ['workflow', 'show', '--address', temporalAddress(), '--workflow-id', result.runId, '--output', 'json'], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const history = historyFromJSON(JSON.parse(exported));
    expect(history.events!.length).toBeGreaterThan(10);
    // Throws DeterminismViolationError when the code would issue other commands.
    await Worker.runReplayHistory({ workflowBundle: { codePath: workflowBundlePath() }, replayName: 'cluster-upgrade-gate' }, history, result.runId);
  });
});

describe('search attributes on PostgreSQL visibility', () => {
  it('runs carry TfWorkflow; `tempoflow runs --workflow` finds them', async () => {
    const result = await (await Workflow.fromConf('hello-world', { path: conf })).execute({}, { runtime: pool.runtime });
    expect(result.status).toBe('SUCCESS');
    const env = { TEMPORAL_ADDRESS: temporalAddress() };
    const found = await eventually(
      async () => {
        const out = await runCli(['runs', '--workflow', 'hello-world', '--json'], { cwd: tempDir(), env });
        return out.code === 0 && out.stdout.includes(result.runId) ? out.stdout : undefined;
      },
      30_000,
      1000,
    );
    expect(found).toBeTruthy();
  });

  it('a fresh namespace: connect registers them, and a run started right away carries them', async () => {
    const namespace = `tf-ns-${randomBytes(3).toString('hex')}`;
    const admin = await TempoflowRuntime.connect({ server: { address: temporalAddress() }, inProcessWorker: false });
    try {
      await admin.connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    } finally {
      await admin.close();
    }
    // The namespace reaches every service's cache within seconds (10 s refresh).
    const runtime = await eventually(
      async () => {
        const r = await TempoflowRuntime.connect({ server: { address: temporalAddress(), namespace }, taskQueue: pool.taskQueue, inProcessWorker: false }).catch(() => undefined);
        if (r && r.searchAttributes.available.size === 3) return r;
        await r?.close();
        return undefined;
      },
      60_000,
      1000,
    );
    expect(runtime, 'connect did not register the search attributes in the new namespace').toBeTruthy();
    const worker = startWorkerProcess(pool.taskQueue, tempDir(), { ...pool.env, TEMPORAL_NAMESPACE: namespace, TEMPOFLOW_TEST_WORKER: 'ns' });
    try {
      await worker.ready;
      const result = await (await Workflow.fromConf('hello-world', { path: conf })).execute({}, { runtime: runtime! });
      expect(result.status).toBe('SUCCESS');
      const ids = await eventually(
        async () => {
          const found: string[] = [];
          for await (const w of runtime!.client.workflow.list({ query: "TfWorkflow = 'hello-world'" })) found.push(w.workflowId);
          return found.includes(result.runId) ? found : undefined;
        },
        30_000,
        1000,
      );
      expect(ids).toContain(result.runId);
    } finally {
      await worker.kill('SIGTERM');
      await runtime!.close();
    }
  });
});
