/**
 * The run handle on the real dev server: start → status while running →
 * waiting approvals (inline, nested, matrix combinations, foreach chunk
 * children) → approve → result; reject; cancel; getRun of unknown and
 * finished runs; logs; a running run that no worker answers.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getRun } from '../../src/client/run-handle.js';
import { Workflow } from '../../src/client/workflow.js';
import { RunEndedError, RunNotFoundError, RunQueryTimeoutError } from '../../src/errors.js';
import { eventually, uniqueSleep } from '../helpers/processes.js';
import { testRuntime, uniqueTaskQueue, withWorker, writeConf } from '../helpers/temporal.js';

const gates = () =>
  writeConf({
    'gates.yml': `
gates:
  type: Workflow
  jobs:
    deploy:
      stages:
        - name: Build
          bash: echo built
        - name: Gate
          id: gate
          approval: Ship?
          approvers: [alice]
        - name: Each
          id: each
          foreach: [a, b, c]
          concurrent: 3
          stages:
            - name: Item gate
              id: igate
              approval: item \${{ item }}?
    side:
      stages:
        - name: Both
          id: both
          parallel:
            left:
              - name: Left gate
                id: lgate
                approval: left?
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

async function waitingPaths(run: Awaited<ReturnType<typeof getRun>>, count: number, filter: (path: string) => boolean = () => true): Promise<string[] | undefined> {
  return eventually(
    async () => {
      const paths = (await run.waitingApprovals()).map((w) => w.path).filter(filter);
      return paths.length === count ? paths.sort() : undefined;
    },
    30_000,
    300,
  );
}

describe('run handle', () => {
  it('start, status while running, waiting approvals everywhere, approve, result; then the ended run refuses decisions', async () => {
    await withWorker(async ({ runtime }) => {
      const wf = await Workflow.fromConf('gates', { path: gates() });
      // Three jobs wait at once; chunk children hold the foreach items (3 items, 2 per chunk).
      const run = await wf.start({}, { runtime, maxJobParallel: 3, limits: { foreachChunkSize: 2 } });
      expect(run).toMatchObject({ workflowName: 'gates', attached: false });

      const first = await waitingPaths(run, 4);
      const keys = (await run.jobs())['per-region']!.strategies!.map((s) => s.key).sort();
      expect(first).toEqual(['deploy.gate', ...keys.map((k) => `per-region[${k}].rgate`), 'side.both.left.lgate'].sort());
      expect((await run.waitingApprovals()).find((w) => w.path === 'deploy.gate')).toMatchObject({ message: 'Ship?', approvers: ['alice'], since: expect.any(String) });
      expect(await run.describe()).toMatchObject({ runId: run.runId, running: true, executionStatus: 'RUNNING', workflowName: 'gates' });
      const live = await run.status();
      expect(live.status).toBe('WAIT');
      expect(live.jobs['deploy']!.stages['build']!.status).toBe('SUCCESS');

      await run.approve('deploy.gate', { by: 'alice', reason: 'green' });
      await run.approve('side.both.left.lgate', { by: 'bob' });
      await run.approve('per-region.rgate', { by: 'bob' }); // every combination
      const items = await waitingPaths(run, 3, (p) => p.startsWith('deploy.each.'));
      expect(items).toEqual(['deploy.each.a.igate', 'deploy.each.b.igate', 'deploy.each.c.igate']);
      for (const path of items!) await run.approve(path, { by: 'erin' });

      const result = await run.result();
      expect(result.errors).toEqual([]);
      expect(result.status).toBe('SUCCESS');
      expect(result.context.jobs['deploy']!.stages['gate']!.outputs).toMatchObject({ approval: { approved: true, by: 'alice', reason: 'green' } });

      expect(await run.describe()).toMatchObject({ running: false, executionStatus: 'COMPLETED', closeTime: expect.any(Date) });
      expect((await run.status()).status).toBe('SUCCESS');
      expect(await run.waitingApprovals()).toEqual([]);
      await expect(run.approve('deploy.gate')).rejects.toBeInstanceOf(RunEndedError);
      await expect(run.cancel()).rejects.toThrow(/has already ended \(COMPLETED\)/);

      // Another handle on the finished run: same result, name from the run.
      const again = await getRun(run.runId, { runtime });
      expect(again).toMatchObject({ runId: run.runId, workflowName: 'gates', attached: true });
      expect((await again.result()).toJSON()).toEqual(result.toJSON());
    });
  });

  it('reject fails the stage with the reason; cancel stops a run; unknown ids and non-runs are RunNotFoundError', async () => {
    await withWorker(async ({ runtime }) => {
      const conf = writeConf({
        'r.yml': `
gate-one:
  type: Workflow
  jobs:
    main:
      stages:
        - name: Gate
          id: gate
          approval: go?
        - name: After
          bash: echo after
nap:
  type: Workflow
  params:
    seconds: { type: str }
  jobs:
    main:
      strategy:
        matrix:
          n: [1]
      stages:
        - name: Nap
          bash: sleep "$TF_PARAM_SECONDS"
`,
      });
      const gated = await (await Workflow.fromConf('gate-one', { path: conf })).start({}, { runtime });
      await waitingPaths(gated, 1);
      await gated.reject('main.gate', { reason: 'not today', by: 'carol' });
      const rejected = await gated.result();
      expect(rejected.status).toBe('FAILED');
      expect(rejected.context.jobs['main']!.stages['gate']).toMatchObject({ status: 'FAILED', error: { name: 'ApprovalRejected', message: 'rejected by carol: not today' } });

      // A combination child (a one-cell matrix would otherwise run inline).
      const napping = await (await Workflow.fromConf('nap', { path: conf })).start({ seconds: uniqueSleep(60) }, { runtime, limits: { inlineMatrixStageRuns: 0 } });
      const combination = await eventually(async () => (await napping.jobs())['main']?.strategies?.[0]?.workflowId, 20_000);
      await napping.cancel('enough');
      expect((await napping.result()).status).toBe('CANCEL');
      const history = JSON.stringify(await napping.temporal.fetchHistory());
      expect(history).toContain('enough');

      await expect(getRun('no-such-run', { runtime })).rejects.toThrow(RunNotFoundError);
      await expect(getRun('no-such-run', { runtime })).rejects.toThrow(/no run 'no-such-run' on .*tempoflow runs/);
      // A matrix combination is a child execution, not a run.
      await expect(getRun(combination!, { runtime })).rejects.toThrow(new RegExp(`is a tempoflowJob execution, not a tempoflow run \\(it belongs to ${napping.runId}\\)`));
    });
  });

  it('logs: the tails of every finished stage, nested ones included, and the trace file', async () => {
    await withWorker(async ({ runtime, dir }) => {
      const conf = writeConf({
        'l.yml': `
logged:
  type: Workflow
  jobs:
    main:
      stages:
        - name: Hello
          id: hello
          bash: echo "hello out"; echo "hello err" >&2
        - name: Each
          id: each
          foreach: [x, y]
          stages:
            - name: Say
              id: say
              bash: echo "item $ITEM"
              env:
                ITEM: \${{ item }}
`,
      });
      const run = await (await Workflow.fromConf('logged', { path: conf })).start({}, { runtime });
      expect((await run.result()).status).toBe('SUCCESS');
      const logs = await run.logs({ traceDir: join(dir, '.tempoflow', 'traces') });
      expect(logs).toMatchObject({ runId: run.runId, workflowName: 'logged', running: false, status: 'SUCCESS' });
      expect(logs.stages.map((s) => [s.job, s.path, s.stdout, s.stderr])).toEqual([
        ['main', 'hello', 'hello out\n', 'hello err\n'],
        ['main', 'each.x.say', 'item x\n', ''],
        ['main', 'each.y.say', 'item y\n', ''],
      ]);
      expect(logs.traceFile).toBe(join(dir, '.tempoflow', 'traces', `${run.runId}.log`));
      expect(logs.trace).toContain('hello out');
      const elsewhere = await run.logs({ traceDir: join(dir, 'nowhere') });
      expect(elsewhere.trace).toBeUndefined();
      expect(elsewhere.stages).toHaveLength(3);
      expect((await run.logs({ traceDir: join(dir, '.tempoflow', 'traces'), trace: false })).trace).toBeUndefined();
    });
  });
});

describe('a running run with no worker', () => {
  it('status() says no worker answered, within the bound', async () => {
    const taskQueue = uniqueTaskQueue('no-worker');
    const runtime = await testRuntime(taskQueue);
    try {
      const conf = writeConf({ 'w.yml': 'waits:\n  type: Workflow\n  jobs:\n    main:\n      stages:\n        - echo: hi\n' });
      const run = await (await Workflow.fromConf('waits', { path: conf })).start({}, { runtime });
      expect((await run.describe()).running).toBe(true);
      const err = await run.status({ timeoutMs: 1500 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RunQueryTimeoutError);
      expect((err as Error).message).toContain(`no worker answered its status query within 1.5 s; start \`tempoflow dev\` or a \`tempoflow worker --task-queue ${taskQueue}\``);
      await run.temporal.terminate('test cleanup');
    } finally {
      await runtime.close();
    }
  });
});
