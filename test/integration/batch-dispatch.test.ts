/**
 * `dispatch: batch` (docs/semantics.md, "Batch dispatch"): consecutive action
 * stages of a job run in one `stageBatch` activity and end with the same
 * contexts as stages run one activity each; a batch that outgrows its byte
 * budget continues in a new one; cancelling the run keeps the stages the
 * batch finished and kills the running one; after a SIGKILL of the worker
 * in the middle of a batch, the retry resumes after the stages its last
 * heartbeat reported.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import type { StageContext } from '../../src/engine/context.js';
import { Workflow } from '../../src/client/workflow.js';
import type { TempoflowRuntime } from '../../src/client/runtime.js';
import { eventually, processesMatching, uniqueSleep } from '../helpers/processes.js';
import { tempDir, testRuntime, uniqueTaskQueue, withWorker, writeConf } from '../helpers/temporal.js';
import { startWorkerProcess } from '../helpers/worker-process.js';

const EventType = proto.temporal.api.enums.v1.EventType;

/** The activity types a run scheduled, in order. */
async function scheduledActivities(runtime: TempoflowRuntime, runId: string): Promise<string[]> {
  const history = await runtime.client.workflow.getHandle(runId).fetchHistory();
  return (history.events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? '');
}

/** A stage context without its clock times and file name (`line:col` kept), to compare two runs. */
function timeless(stages: Record<string, StageContext>): Record<string, Omit<StageContext, 'start' | 'end'>> {
  const at = (location: string) => /\d+:\d+$/.exec(location)?.[0] ?? location;
  return Object.fromEntries(
    Object.entries(stages).map(([id, { start: _start, end: _end, ...rest }]) => [id, rest.error ? { ...rest, error: { ...rest.error, location: at(rest.error.location ?? '') } } : rest]),
  );
}

/** Errors with `line:col` for their location, to compare two runs. */
function errorsAt(errors: readonly { location?: string }[]): unknown[] {
  return errors.map((e) => ({ ...e, location: /\d+:\d+$/.exec(e.location ?? '')?.[0] }));
}

const MIXED = (name: string, dispatch: string) => `
${name}:
  type: Workflow
  params:
    who: { type: str, default: world }
  jobs:
    main:
      dispatch: ${dispatch}
      stages:
        - name: Greet \${{ params.who }}
          id: greet
          bash: echo "hello $TF_PARAM_WHO"
        - name: Use the greeting
          id: use
          bash: echo "got \${{ stages.greet.outputs.stdout }}"
        - name: Never
          if: \${{ params.who == 'nobody' }}
          bash: echo never
        - name: Flaky
          retry: 1
          bash: |
            echo "attempt $TF_ATTEMPT"
            [ "$TF_ATTEMPT" -ge 2 ] || exit 3
        - name: Python
          run: |
            print("py", params["who"])
        - name: Tolerated
          continue-on-error: true
          bash: echo "tolerated" >&2; exit 4
        - name: Slow
          continue-on-error: true
          timeout: 0.5
          bash: sleep 5
        - name: Marker
          echo: between batches
        - name: Broken
          bash: echo "broken" >&2; exit 1
        - name: Skipped
          bash: echo "not after a failure"
        - name: Cleanup
          if: \${{ always() }}
          bash: echo "cleanup after \${{ stages.broken.outputs.return_code }}"
`;

describe('dispatch: batch', () => {
  it('batched stages end with the contexts they have as one activity each, in two batches around an echo', async () => {
    await withWorker(async ({ runtime }) => {
      // One file each, so the stages' `file:line:col` are the same in both runs.
      const conf = writeConf({ 'one-each.yml': MIXED('one-each', 'activity'), 'batched.yml': MIXED('batched', 'batch') });
      const one = await (await Workflow.fromConf('one-each', { path: conf })).execute({}, { runtime });
      const batched = await (await Workflow.fromConf('batched', { path: conf })).execute({}, { runtime });
      expect(one.status).toBe('FAILED');
      expect(batched.status).toBe('FAILED');
      const a = one.context.jobs['main']!;
      const b = batched.context.jobs['main']!;
      expect(timeless(b.stages)).toEqual(timeless(a.stages));
      expect(errorsAt(b.errors)).toEqual(errorsAt(a.errors));
      expect(b.outputs).toEqual(a.outputs);

      // The contexts hold what the stages did, not just the same nothing.
      expect(b.stages['greet']).toMatchObject({ status: 'SUCCESS', name: 'Greet world', outputs: { stdout: 'hello world\n' } });
      expect(b.stages['use']!.outputs['stdout']).toBe('got hello world\n\n');
      expect(b.stages['never']).toMatchObject({ status: 'SKIP', reason: 'its `if` is false' });
      expect(b.stages['flaky']).toMatchObject({ status: 'SUCCESS', attempt: 2, outputs: { stdout: 'attempt 2\n' } });
      expect(b.stages['python']!.logs?.stdout).toBe('py world\n');
      expect(b.stages['tolerated']).toMatchObject({ status: 'FAILED', error: { name: 'BashExitError' } });
      expect(b.stages['slow']).toMatchObject({ status: 'FAILED', error: { name: 'TimeoutError' } });
      expect(b.stages['broken']).toMatchObject({ status: 'FAILED', error: { name: 'BashExitError', stage: 'broken' } });
      expect(b.stages['skipped']).toMatchObject({ status: 'SKIP', reason: 'an earlier stage failed' });
      expect(b.stages['cleanup']).toMatchObject({ status: 'SUCCESS', outputs: { stdout: 'cleanup after 1\n' } });

      expect(await scheduledActivities(runtime, batched.runId)).toEqual(['stageBatch', 'stageBatch']);
      expect((await scheduledActivities(runtime, one.runId)).filter((t) => t === 'stageBatch')).toEqual([]);
    });
  });

  it('a batch whose contexts outgrow its byte budget goes on in a new batch', async () => {
    await withWorker(async ({ runtime }) => {
      // 24 stages of 16 KiB of output each: more than one batch's 256 KB.
      const stages = Array.from({ length: 24 }, (_, i) => `        - name: Big ${i}\n          bash: printf '%20000s' | tr ' ' x`).join('\n');
      const conf = writeConf({ 'big.yml': `big:\n  type: Workflow\n  jobs:\n    main:\n      dispatch: batch\n      stages:\n${stages}\n` });
      const result = await (await Workflow.fromConf('big', { path: conf })).execute({}, { runtime });
      expect(result.status).toBe('SUCCESS');
      const contexts = Object.values(result.context.jobs['main']!.stages);
      expect(contexts).toHaveLength(24);
      expect(contexts.every((s) => s.status === 'SUCCESS' && String(s.outputs['stdout']).length > 16_000)).toBe(true);
      const batches = await scheduledActivities(runtime, result.runId);
      expect(batches.length).toBeGreaterThanOrEqual(2);
      expect(new Set(batches)).toEqual(new Set(['stageBatch']));
    });
  });

  it('cancelling the run keeps the finished stages, kills the running one, and cancels the rest', async () => {
    await withWorker(async ({ runtime }) => {
      const duration = uniqueSleep(60);
      const conf = writeConf({
        'batch-cancel.yml': `
batch-cancel:
  type: Workflow
  jobs:
    main:
      dispatch: batch
      stages:
        - name: Quick
          bash: echo quick
        - name: Nap
          bash: sleep ${duration}
        - name: After
          bash: echo after
`,
      });
      const handle = await (await Workflow.fromConf('batch-cancel', { path: conf })).start({}, { runtime });
      expect(await eventually(() => processesMatching(`sleep ${duration}`).length === 1, 20_000)).toBe(true);
      await handle.cancel();
      const result = await handle.result();
      expect(result.status).toBe('CANCEL');
      const stages = result.context.jobs['main']!.stages;
      expect(stages['quick']).toMatchObject({ status: 'SUCCESS', outputs: { stdout: 'quick\n' } });
      expect(stages['nap']).toMatchObject({ status: 'CANCEL', reason: expect.stringContaining('while this stage was running') });
      expect(stages['after']).toMatchObject({ status: 'CANCEL', reason: expect.stringContaining('before this stage started') });
      expect(await eventually(() => processesMatching(`sleep ${duration}`).length === 0, 5000)).toBe(true);
    });
  });

  it('SIGKILL in the middle of a batch: the retry resumes after the reported stages, and the run ends SUCCESS', async () => {
    const dir = tempDir('tf-batch-');
    const ledger = join(dir, 'ledger.txt');
    const duration = uniqueSleep(4);
    const conf = writeConf({
      'batch-kill.yml': `
batch-kill:
  type: Workflow
  jobs:
    main:
      dispatch: batch
      stages:
        - name: One
          bash: echo "one $TF_ATTEMPT" >> "${ledger}"
        - name: Two
          bash: echo "two $TF_ATTEMPT" >> "${ledger}"
        - name: Long
          retry: 0
          bash: |
            echo "long start $TF_ATTEMPT" >> "${ledger}"
            sleep ${duration}
            echo "long done $TF_ATTEMPT" >> "${ledger}"
        - name: Three
          bash: echo "three \${{ stages.one.status }}" >> "${ledger}"
`,
    });
    const taskQueue = uniqueTaskQueue('batch');
    const runtime = await testRuntime(taskQueue);
    // Heartbeats of the batch reach the server at most every second (`maxHeartbeatThrottleInterval`).
    const first = startWorkerProcess(taskQueue, dir);
    let second: ReturnType<typeof startWorkerProcess> | undefined;
    try {
      await first.ready;
      const handle = await (await Workflow.fromConf('batch-kill', { path: conf })).start({}, { runtime });
      const pending = handle.result();
      expect(await eventually(() => existsSync(ledger) && readFileSync(ledger, 'utf8').includes('long start'), 30_000)).toBe(true);
      // Let a heartbeat carrying One and Two reach the server.
      await new Promise((r) => setTimeout(r, 2500));
      await first.kill('SIGKILL');
      expect(await eventually(() => processesMatching(`sleep ${duration}`).length === 0, 5000)).toBe(true);

      second = startWorkerProcess(taskQueue, dir);
      await second.ready;
      const result = await pending;
      expect(result.status).toBe('SUCCESS');
      const lines = readFileSync(ledger, 'utf8').trim().split('\n');
      expect(lines.filter((l) => l.startsWith('one'))).toEqual(['one 1']);
      expect(lines.filter((l) => l.startsWith('two'))).toEqual(['two 1']);
      expect(lines.filter((l) => l.startsWith('long start'))).toEqual(['long start 1', 'long start 1']);
      expect(lines.filter((l) => l.startsWith('long done'))).toEqual(['long done 1']);
      expect(lines.filter((l) => l.startsWith('three'))).toEqual(['three SUCCESS']);
      const stages = result.context.jobs['main']!.stages;
      expect(Object.values(stages).map((s) => s.status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS']);
      expect(await scheduledActivities(runtime, result.runId)).toEqual(['stageBatch']);
    } finally {
      await first.kill();
      await second?.kill('SIGTERM');
      await runtime.close();
    }
  });
});
