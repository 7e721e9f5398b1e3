/**
 * Cancellation (handle.cancel, AbortSignal, `cancel` signal) and the run
 * timeout: each ends with the right Result, the right Temporal end state, and
 * no stage process left behind.
 */
import { describe, expect, it } from 'vitest';
import type { WorkflowHandle } from '@temporalio/client';
import { Workflow } from '../../src/client/workflow.js';
import { cancelSignal, statusQuery } from '../../src/workflows/definitions.js';
import { eventually, processesMatching, uniqueSleep } from '../helpers/processes.js';
import { withWorker, writeConf } from '../helpers/temporal.js';

function sleepyConf(duration: string): string {
  return writeConf({
    'sleepy.yml': `
sleepy:
  type: Workflow
  jobs:
    first:
      stages:
        - name: Quick
          bash: echo quick
    slow:
      needs: [first]
      stages:
        - name: Nap
          bash: sleep ${duration}
        - name: After
          echo: never reached
`,
  });
}

async function waitForStageRunning(handle: WorkflowHandle, job: string, stage: string): Promise<void> {
  const ok = await eventually(async () => {
    try {
      const ctx = await handle.query(statusQuery);
      return ctx.jobs[job]?.stages[stage]?.status === 'WAIT';
    } catch {
      return false;
    }
  }, 20_000);
  expect(ok).toBe(true);
}

describe('cancellation', () => {
  for (const how of ['handle.cancel()', 'AbortSignal', 'cancel signal'] as const) {
    it(`via ${how}: Result CANCEL, execution Cancelled, no sleep left`, async () => {
      const duration = uniqueSleep(30);
      const wf = await Workflow.fromConf('sleepy', { path: sleepyConf(duration) });
      await withWorker(async ({ runtime }) => {
        const abort = new AbortController();
        let handle: WorkflowHandle | undefined;
        const pending = wf.execute({}, { runtime, signal: abort.signal, onStart: (i) => (handle = i.handle) });
        await eventually(() => handle !== undefined);
        await waitForStageRunning(handle!, 'slow', 'nap');
        expect(await eventually(() => processesMatching(`sleep ${duration}`).length === 1)).toBe(true);
        if (how === 'handle.cancel()') await handle!.cancel();
        else if (how === 'AbortSignal') abort.abort();
        else await handle!.signal(cancelSignal, 'test');
        const result = await pending;
        expect(result.status).toBe('CANCEL');
        expect(result.context.jobs.first?.status).toBe('SUCCESS');
        expect(result.context.jobs.slow?.status).toBe('CANCEL');
        expect(result.context.jobs.slow?.stages['nap']?.status).toBe('CANCEL');
        expect(result.context.jobs.slow?.stages['after']?.status).toBe('CANCEL');
        const description = await handle!.describe();
        expect(description.status.name).toBe('CANCELLED');
        expect(processesMatching(`sleep ${duration}`)).toEqual([]);
        expect(() => result.unwrap()).toThrowError(/CANCEL/);
      });
    });
  }
});

describe('run timeout', () => {
  it('ends TIMEOUT, keeps the finished work, kills the running stage', async () => {
    const duration = uniqueSleep(30);
    const wf = await Workflow.fromConf('sleepy', { path: sleepyConf(duration) });
    await withWorker(async ({ runtime }) => {
      let handle: WorkflowHandle | undefined;
      const result = await wf.execute({}, { runtime, timeout: 3, onStart: (i) => (handle = i.handle) });
      expect(result.status).toBe('TIMEOUT');
      expect(result.context.jobs.first).toMatchObject({ status: 'SUCCESS', outputs: { stdout: 'quick\n' } });
      expect(result.context.jobs.slow?.status).toBe('TIMEOUT');
      expect(result.context.jobs.slow?.stages['nap']?.status).toBe('CANCEL');
      expect((await handle!.describe()).status.name).toBe('FAILED');
      expect(processesMatching(`sleep ${duration}`)).toEqual([]);
      expect(() => result.unwrap()).toThrowError(/TIMEOUT/);
    });
  });
});

describe('cancellation of a run stage', () => {
  it('kills the Python interpreter', async () => {
    await withWorker(async ({ runtime, dir }) => {
      const conf = writeConf({
        'py.yml': `
py-sleep:
  type: Workflow
  jobs:
    main:
      stages:
        - name: Nap
          id: nap
          run: |
            import time
            time.sleep(60)
`,
      });
      let handle: WorkflowHandle | undefined;
      const pending = (await Workflow.fromConf('py-sleep', { path: conf })).execute({}, { runtime, onStart: (i) => (handle = i.handle) });
      await eventually(() => handle !== undefined);
      await waitForStageRunning(handle!, 'main', 'nap');
      // The interpreter's command line names the run's workspace folder under this test's dir.
      expect(await eventually(() => processesMatching(dir).some((p) => p.cmdline.includes('python')))).toBe(true);
      await handle!.cancel();
      const result = await pending;
      expect(result.status).toBe('CANCEL');
      expect(result.context.jobs['main']!.stages['nap']!.status).toBe('CANCEL');
      expect(processesMatching(dir).filter((p) => p.cmdline.includes('python'))).toEqual([]);
    });
  });
});
