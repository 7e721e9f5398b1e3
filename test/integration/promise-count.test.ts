/**
 * The job path of `FEWER_HOPS_PATCH` (src/workflows/fewer-hops.ts): new runs
 * record the patch and create far fewer promises in workflow code, each of
 * which the SDK's stack-trace hook records (docs/benchmarks.md, "Promises per
 * run"; the figures come from `npm run bench:promises`).
 * The worker runs in debug mode, so its workflows run on this thread and a
 * promise hook here counts the promises their code creates.
 */
import v8 from 'node:v8';
import proto from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities/index.js';
import { Workflow } from '../../src/client/workflow.js';
import { createSinks } from '../../src/worker/index.js';
import { FEWER_HOPS_PATCH } from '../../src/workflows/fewer-hops.js';
import { tempDir, temporalAddress, testActivityConfig, testRuntime, uniqueTaskQueue, workflowBundlePath, writeConf } from '../helpers/temporal.js';

const EventType = proto.temporal.api.enums.v1.EventType;

/** Promises created in workflow code (the SDK's V8 context has its own `Promise`). */
let workflowPromises = 0;
const MainPromise = Promise;
const hook = v8.promiseHooks.onInit((promise) => {
  if ((promise as Promise<unknown>).constructor !== MainPromise) workflowPromises++;
});
afterAll(() => hook());

const chain = (id: string, extra = '') => `
${id}:
  type: Workflow
  jobs:
    a:${extra}
      stages: [{ name: A, bash: "true" }]
    b:${extra}
      needs: [a]
      stages: [{ name: B, bash: "true" }]
    c:${extra}
      needs: [b]
      stages: [{ name: C, bash: "true" }]
`;

describe('promises per run (FEWER_HOPS_PATCH)', () => {
  const taskQueue = uniqueTaskQueue('promises');
  const dir = tempDir('tf-promises-');
  const conf = writeConf({ 'chain.yml': chain('plain') + chain('timed', '\n      timeout: 60') });
  let connection: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;

  beforeAll(async () => {
    connection = await NativeConnection.connect({ address: temporalAddress() });
    const activityConfig = testActivityConfig(dir);
    worker = await Worker.create({
      connection,
      taskQueue,
      workflowBundle: { codePath: workflowBundlePath() },
      activities: createActivities(activityConfig),
      sinks: createSinks(activityConfig),
      debugMode: true,
      shutdownGraceTime: '1s',
      stickyQueueScheduleToStartTimeout: '1s',
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker.shutdown();
    await running;
    await connection.close();
  });

  /** Runs `name` once; its promise count and whether its history recorded the patch. */
  async function measure(name: string): Promise<{ promises: number; patched: boolean }> {
    const runtime = await testRuntime(taskQueue);
    try {
      const wf = await Workflow.fromConf(name, { path: conf });
      const before = workflowPromises;
      const result = await wf.execute({}, { runtime });
      const promises = workflowPromises - before;
      expect(result.status).toBe('SUCCESS');
      const history = await runtime.client.workflow.getHandle(result.runId).fetchHistory();
      const markers = (history.events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED);
      const patched = markers.some((e) =>
        Object.values(e.markerRecordedEventAttributes?.details ?? {}).some((d) =>
          (d.payloads ?? []).some((p) =>
            Buffer.from(p.data ?? [])
              .toString('utf8')
              .includes(FEWER_HOPS_PATCH),
          ),
        ),
      );
      return { promises, patched };
    } finally {
      await runtime.close();
    }
  }

  it('a 3-job chain records the patch and stays under 30 promises a job (41 before it)', async () => {
    await measure('plain'); // warm-up: the first run also loads the bundle's modules
    const { promises, patched } = await measure('plain');
    expect(patched).toBe(true);
    // 73 on SDK 1.24 (bench/promises.ts); 124 on the path of runs recorded before the patch.
    expect(promises).toBeLessThanOrEqual(90);
    expect(promises).toBeGreaterThan(0);
  });

  it('a job with a timeout keeps its cancellation scopes (and its timer still works)', async () => {
    const plain = await measure('plain');
    const timed = await measure('timed');
    expect(timed.patched).toBe(true);
    // Each timed job attempt creates its two scopes and a timer: more promises than the plain chain.
    expect(timed.promises).toBeGreaterThan(plain.promises + 3 * 6);
  });
});
