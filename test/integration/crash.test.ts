/**
 * Crash safety: SIGKILL the worker process in the middle of a long bash
 * stage with `retry: 0`. The supervisor kills the stage's process group,
 * a new worker picks the run up, Temporal retries only the interrupted stage
 * (an infrastructure retry), and the completed stage never runs again.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Workflow } from '../../src/client/workflow.js';
import { eventually, processesMatching, uniqueSleep } from '../helpers/processes.js';
import { tempDir, testRuntime, uniqueTaskQueue, writeConf } from '../helpers/temporal.js';
import { startWorkerProcess } from '../helpers/worker-process.js';

describe('worker crash', () => {
  it('SIGKILL during a bash stage: run ends SUCCESS, stage 1 ran once, no orphan', async () => {
    const dir = tempDir('tf-crash-');
    const ledger = join(dir, 'ledger.txt');
    const duration = uniqueSleep(6);
    const conf = writeConf({
      'crash.yml': `
crash:
  type: Workflow
  jobs:
    main:
      stages:
        - name: Once
          bash: echo "stage1 $TF_ATTEMPT" >> "${ledger}"
        - name: Long
          retry: 0
          bash: |
            echo "stage2 start $TF_ATTEMPT" >> "${ledger}"
            sleep ${duration}
            echo "stage2 done $TF_ATTEMPT" >> "${ledger}"
`,
    });
    const taskQueue = uniqueTaskQueue('crash');
    const runtime = await testRuntime(taskQueue);
    const first = startWorkerProcess(taskQueue, dir);
    let second: ReturnType<typeof startWorkerProcess> | undefined;
    try {
      await first.ready;
      const wf = await Workflow.fromConf('crash', { path: conf });
      const pending = wf.execute({}, { runtime, heartbeatTimeoutMs: 2000 });
      const started = await eventually(() => existsSync(ledger) && readFileSync(ledger, 'utf8').includes('stage2 start'), 30_000);
      expect(started).toBe(true);
      expect(await eventually(() => processesMatching(`sleep ${duration}`).length === 1)).toBe(true);

      await first.kill('SIGKILL');
      // The supervisor sees its pipe close and kills the stage's group.
      expect(await eventually(() => processesMatching(`sleep ${duration}`).length === 0, 5000)).toBe(true);

      second = startWorkerProcess(taskQueue, dir);
      await second.ready;
      const result = await pending;
      expect(result.status).toBe('SUCCESS');
      const lines = readFileSync(ledger, 'utf8').trim().split('\n');
      expect(lines.filter((l) => l.startsWith('stage1'))).toEqual(['stage1 1']);
      // Both starts are the stage's own attempt 1: the rerun came from Temporal's infrastructure retry.
      expect(lines.filter((l) => l.startsWith('stage2 start'))).toEqual(['stage2 start 1', 'stage2 start 1']);
      expect(lines.filter((l) => l.startsWith('stage2 done'))).toEqual(['stage2 done 1']);
      expect(result.context.jobs.main?.stages['long']).toMatchObject({ status: 'SUCCESS', attempt: 1 });
      expect(processesMatching(`sleep ${duration}`)).toEqual([]);
    } finally {
      await first.kill();
      await second?.kill('SIGTERM');
      await runtime.close();
    }
  });
});
