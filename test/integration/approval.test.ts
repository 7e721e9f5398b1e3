/**
 * Approval gates on the real dev server: approve, reject (with reason),
 * timeout, forwarding into matrix combinations, visibility in the status
 * query and `tempoflow status`, and an approval that survives a worker
 * restart while the stage waits.
 */
import { describe, expect, it } from 'vitest';
import type { WorkflowHandle } from '@temporalio/client';
import { Workflow } from '../../src/client/workflow.js';
import { approvalSignal, statusQuery } from '../../src/workflows/definitions.js';
import { runCli } from '../helpers/cli.js';
import { eventually } from '../helpers/processes.js';
import { tempDir, temporalAddress, testRuntime, uniqueTaskQueue, withWorker, writeConf } from '../helpers/temporal.js';
import { startWorkerProcess } from '../helpers/worker-process.js';

const gated = () =>
  writeConf({
    'g.yml': `
gated:
  type: Workflow
  params:
    wait: { type: int, default: 300 }
  jobs:
    deploy:
      stages:
        - name: Build
          bash: echo built
        - name: Gate
          id: gate
          approval: Ship build to production?
          approvers: [alice, bob]
          timeout: \${{ params.wait }}
        - name: Ship
          bash: echo shipped
    per-region:
      strategy:
        matrix:
          region: [us, eu]
      stages:
        - name: Regional gate
          id: rgate
          approval: Release \${{ matrix.region }}?
`,
  });

async function waitingStages(handle: WorkflowHandle): Promise<string[]> {
  try {
    const ctx = await handle.query(statusQuery);
    const out: string[] = [];
    for (const [job, j] of Object.entries(ctx.jobs)) {
      for (const [id, st] of Object.entries(j.stages)) {
        if (st.status === 'WAIT' && (st.outputs as { approval?: { waiting?: boolean } }).approval?.waiting) out.push(`${job}.${id}`);
      }
    }
    return out;
  } catch {
    return [];
  }
}

describe('approval', () => {
  it('waits visibly, then approve and reject decide; matrix combinations get forwarded decisions', async () => {
    await withWorker(async ({ runtime, taskQueue }) => {
      const wf = await Workflow.fromConf('gated', { path: gated() });
      let handle: WorkflowHandle | undefined;
      const pending = wf.execute({}, { runtime, onStart: (i) => (handle = i.handle) });
      expect(await eventually(async () => handle && (await waitingStages(handle)).includes('deploy.gate'), 20_000)).toBe(true);
      const ctx = await handle!.query(statusQuery);
      expect(ctx.jobs['deploy']!.stages['gate']!.outputs).toMatchObject({ approval: { message: 'Ship build to production?', approvers: ['alice', 'bob'], waiting: true } });

      const env = { TEMPORAL_ADDRESS: temporalAddress(), WORKFLOW_CORE_TASK_QUEUE: taskQueue };
      const status = await runCli(['status', handle!.workflowId], { cwd: tempDir(), env });
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(/waiting for approval: deploy\.gate: Ship build to production\?/);

      const approve = await runCli(['approve', handle!.workflowId, 'deploy.gate', '--by', 'alice'], { cwd: tempDir(), env });
      expect(approve.code).toBe(0);
      // One decision for the matrix job reaches every waiting combination.
      await eventually(async () => ((await handle!.query(statusQuery)).jobs['per-region']?.strategies ?? []).length === 2);
      // `tempoflow status` also lists approvals waiting inside matrix combinations.
      const keys = (await handle!.query(statusQuery)).jobs['per-region']!.strategies!.map((st) => st.key);
      const combos = await eventually(
        async () => {
          const out = await runCli(['status', handle!.workflowId], { cwd: tempDir(), env });
          return keys.every((k) => out.stdout.includes(`waiting for approval: per-region[${k}].rgate: Release`)) ? out.stdout : '';
        },
        20_000,
        500,
      );
      expect(combos).toMatch(/tempoflow approve \S+ per-region\[[0-9a-f]{12}\]\.rgate/);
      await handle!.signal(approvalSignal, { stage: 'per-region.rgate', approved: true, by: 'bob' });
      const result = await pending;
      expect(result.errors).toEqual([]);
      expect(result.status).toBe('SUCCESS');
      expect(result.context.jobs['deploy']!.stages['gate']!.outputs).toMatchObject({ approval: { approved: true, by: 'alice', waiting: false } });
      expect(result.context.jobs['deploy']!.stages['ship']!.status).toBe('SUCCESS');
      expect(result.context.jobs['per-region']!.strategies!.map((s) => s.status)).toEqual(['SUCCESS', 'SUCCESS']);

      let h2: WorkflowHandle | undefined;
      const rejected = wf.execute({}, { runtime, onStart: (i) => (h2 = i.handle) });
      expect(await eventually(async () => h2 && (await waitingStages(h2)).includes('deploy.gate'), 20_000)).toBe(true);
      const reject = await runCli(['reject', h2!.workflowId, 'gate', '--reason', 'not today', '--by', 'carol'], { cwd: tempDir(), env });
      expect(reject.code).toBe(0);
      await h2!.signal(approvalSignal, { stage: 'per-region[' + (await eventually(async () => (await h2!.query(statusQuery)).jobs['per-region']?.strategies?.[0]?.key))! + '].rgate', approved: true });
      await h2!.signal(approvalSignal, { stage: 'per-region.rgate', approved: true });
      const r2 = await rejected;
      expect(r2.status).toBe('FAILED');
      expect(r2.context.jobs['deploy']!.stages['gate']).toMatchObject({ status: 'FAILED', error: { name: 'ApprovalRejected', message: 'rejected by carol: not today' } });
      expect(r2.context.jobs['deploy']!.stages['ship']!.status).toBe('SKIP');
    });
  });

  it('times out when nobody decides', async () => {
    await withWorker(async ({ runtime }) => {
      const wf = await Workflow.fromConf('gated', { path: gated() });
      const result = await wf.execute({ wait: 1 }, { runtime, jobs: ['deploy'] });
      expect(result.status).toBe('FAILED');
      expect(result.context.jobs['deploy']!.stages['gate']).toMatchObject({ status: 'FAILED', error: { name: 'ApprovalTimeout' } });
    });
  });

  it('survives a worker restart while the stage waits', async () => {
    const dir = tempDir('tf-approval-');
    const taskQueue = uniqueTaskQueue('approval');
    const runtime = await testRuntime(taskQueue);
    const first = startWorkerProcess(taskQueue, dir);
    let second: ReturnType<typeof startWorkerProcess> | undefined;
    try {
      await first.ready;
      const wf = await Workflow.fromConf('gated', { path: gated() });
      let handle: WorkflowHandle | undefined;
      const pending = wf.execute({}, { runtime, jobs: ['deploy'], onStart: (i) => (handle = i.handle) });
      expect(await eventually(async () => handle && (await waitingStages(handle)).includes('deploy.gate'), 30_000)).toBe(true);
      await first.kill('SIGKILL');
      await handle!.signal(approvalSignal, { stage: 'deploy.gate', approved: true, by: 'dave' });
      second = startWorkerProcess(taskQueue, dir);
      await second.ready;
      const result = await pending;
      expect(result.status).toBe('SUCCESS');
      expect(result.context.jobs['deploy']!.stages['gate']!.outputs).toMatchObject({ approval: { approved: true, by: 'dave' } });
      expect(result.context.jobs['deploy']!.stages['build']!.attempt).toBe(1);
    } finally {
      await first.kill();
      await second?.kill('SIGTERM');
      await runtime.close();
    }
  });
});

describe('approval inside a large foreach', () => {
  it('decisions sent to the root reach stages waiting in foreach chunk children', async () => {
    await withWorker(async ({ runtime }) => {
      const conf = writeConf({
        'c.yml': `
chunked-gates:
  type: Workflow
  jobs:
    main:
      stages:
        - name: Each
          id: each
          foreach: [a, b, c]
          concurrent: 3
          stages:
            - name: Gate
              id: gate
              approval: approve \${{ item }}
`,
      });
      let handle: WorkflowHandle | undefined;
      const pending = (await Workflow.fromConf('chunked-gates', { path: conf })).execute({}, { runtime, limits: { foreachChunkSize: 2 }, onStart: (i) => (handle = i.handle) });
      await eventually(() => handle !== undefined);
      // Both chunk children are waiting before any decision is sent.
      const chunksWaiting = await eventually(async () => {
        const states = await Promise.all(
          [1, 2].map((n) =>
            runtime.client.workflow
              .getHandle(`${handle!.workflowId}.main.each.chunk-${n}`)
              .describe()
              .then(
                (d) => d.status.name,
                () => 'NONE',
              ),
          ),
        );
        return states.every((s) => s === 'RUNNING');
      }, 20_000);
      expect(chunksWaiting).toBe(true);
      for (const item of ['a', 'b', 'c']) await handle!.signal(approvalSignal, { stage: `main.each.${item}.gate`, approved: true, by: 'erin' });
      const result = await pending;
      expect(result.status).toBe('SUCCESS');
      const perItem = result.context.jobs['main']!.stages['each']!.outputs['foreach'] as Record<string, { status: string; stages: Record<string, { outputs: Record<string, unknown> }> }>;
      expect(Object.fromEntries(Object.entries(perItem).map(([k, v]) => [k, v.status]))).toEqual({ a: 'SUCCESS', b: 'SUCCESS', c: 'SUCCESS' });
      expect(perItem['c']!.stages['gate']!.outputs).toMatchObject({ approval: { approved: true, by: 'erin', message: 'approve c' } });
    });
  });
});
