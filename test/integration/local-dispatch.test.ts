/**
 * `dispatch: local` (docs/semantics.md, "Local dispatch"): the job's stages
 * run as local activities (markers in the history, no activity tasks), and
 * after a SIGKILL of the worker in the middle of a local stage the run still
 * ends SUCCESS: the interrupted stage runs again on the next worker, its
 * process group is killed with the dead worker, and a stage whose result a
 * completed workflow task recorded does not run again. Cancelling the run
 * stops a running local stage's process.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { Workflow } from '../../src/client/workflow.js';
import { eventually, processesMatching, uniqueSleep } from '../helpers/processes.js';
import { tempDir, testRuntime, uniqueTaskQueue, withWorker, writeConf } from '../helpers/temporal.js';
import { startWorkerProcess } from '../helpers/worker-process.js';

const EventType = proto.temporal.api.enums.v1.EventType;

describe('dispatch: local', () => {
  it('SIGKILL during a local stage: run ends SUCCESS, the recorded stage ran once, the interrupted one again, no orphan', async () => {
    const dir = tempDir('tf-local-');
    const ledger = join(dir, 'ledger.txt');
    const duration = uniqueSleep(6);
    const conf = writeConf({
      'local.yml': `
local:
  type: Workflow
  jobs:
    main:
      dispatch: local
      stages:
        - name: Once
          bash: echo "stage1 $TF_ATTEMPT" >> "${ledger}"
        # A durable timer ends the workflow task, which records Once's result.
        - name: Pause
          echo: recorded
          sleep: 1
        - name: Long
          retry: 0
          bash: |
            echo "stage2 start $TF_ATTEMPT" >> "${ledger}"
            sleep ${duration}
            echo "stage2 done $TF_ATTEMPT" >> "${ledger}"
        - name: Remote
          dispatch: activity
          bash: echo "stage3 $TF_ATTEMPT" >> "${ledger}"
`,
    });
    const taskQueue = uniqueTaskQueue('local');
    const runtime = await testRuntime(taskQueue);
    const first = startWorkerProcess(taskQueue, dir);
    let second: ReturnType<typeof startWorkerProcess> | undefined;
    try {
      await first.ready;
      const wf = await Workflow.fromConf('local', { path: conf });
      const handle = await wf.start({}, { runtime });
      const pending = handle.result();
      expect(await eventually(() => existsSync(ledger) && readFileSync(ledger, 'utf8').includes('stage2 start'), 30_000)).toBe(true);
      expect(await eventually(() => processesMatching(`sleep ${duration}`).length === 1)).toBe(true);

      await first.kill('SIGKILL');
      // Local or not, the supervisor sees its pipe close and kills the stage's group.
      expect(await eventually(() => processesMatching(`sleep ${duration}`).length === 0, 5000)).toBe(true);

      second = startWorkerProcess(taskQueue, dir);
      await second.ready;
      const result = await pending;
      expect(result.status).toBe('SUCCESS');
      const lines = readFileSync(ledger, 'utf8').trim().split('\n');
      expect(lines.filter((l) => l.startsWith('stage1'))).toEqual(['stage1 1']);
      // The stage's own attempt 1 both times: the rerun is the worker's loss, not a `retry:`.
      expect(lines.filter((l) => l.startsWith('stage2 start'))).toEqual(['stage2 start 1', 'stage2 start 1']);
      expect(lines.filter((l) => l.startsWith('stage2 done'))).toEqual(['stage2 done 1']);
      expect(lines.filter((l) => l.startsWith('stage3'))).toEqual(['stage3 1']);

      // Local stages are markers in the history; only the `dispatch: activity` stage is an activity task.
      const history = await runtime.client.workflow.getHandle(result.runId).fetchHistory();
      const events = history.events ?? [];
      const scheduled = events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
      expect(scheduled.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)).toEqual(['bashStage']);
      expect(events.filter((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED).length).toBeGreaterThanOrEqual(2);
      expect(processesMatching(`sleep ${duration}`)).toEqual([]);
    } finally {
      await first.kill();
      await second?.kill('SIGTERM');
      await runtime.close();
    }
  });

  it('cancelling the run stops a running local stage and its process', async () => {
    await withWorker(async ({ runtime }) => {
      const duration = uniqueSleep(60);
      const conf = writeConf({
        'local-cancel.yml': `
local-cancel:
  type: Workflow
  jobs:
    main:
      stages:
        - name: Nap
          dispatch: local
          bash: sleep ${duration}
`,
      });
      const handle = await (await Workflow.fromConf('local-cancel', { path: conf })).start({}, { runtime });
      expect(await eventually(() => processesMatching(`sleep ${duration}`).length === 1, 20_000)).toBe(true);
      await handle.cancel();
      const result = await handle.result();
      expect(result.status).toBe('CANCEL');
      expect(result.context.jobs['main']!.stages['nap']!.status).toBe('CANCEL');
      expect(await eventually(() => processesMatching(`sleep ${duration}`).length === 0, 5000)).toBe(true);
    });
  });
});
