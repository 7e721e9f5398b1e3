/**
 * The job paths of src/workflows/fewer-hops.ts: new runs record the newest
 * patch (`DIRECT_STAGE_PATCH`) and create far fewer promises in workflow
 * code, each of which the SDK's stack-trace hook records and V8's promise
 * machinery runs (docs/benchmarks.md, "Promises per run"; the figures come
 * from `npm run bench:promises`).
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
import { DIRECT_STAGE_PATCH, FEWER_HOPS_PATCH } from '../../src/workflows/fewer-hops.js';
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

/** One job of `n` sequential `bash: "true"` stages. */
const sequence = (id: string, n: number) => `
${id}:
  type: Workflow
  jobs:
    main:
      stages:
${Array.from({ length: n }, (_, i) => `        - { name: S${i}, bash: "true" }`).join('\n')}
`;

describe('promises per run (fewer-hops.ts)', () => {
  const taskQueue = uniqueTaskQueue('promises');
  const dir = tempDir('tf-promises-');
  const conf = writeConf({ 'chain.yml': chain('plain') + chain('timed', '\n      timeout: 60') + sequence('seq10', 10) + sequence('seq20', 20) });
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

  /** Runs `name` once; its promise count, and which patches its history recorded. */
  async function measure(name: string): Promise<{ promises: number; patched: boolean; olderPatch: boolean }> {
    const runtime = await testRuntime(taskQueue);
    try {
      const wf = await Workflow.fromConf(name, { path: conf });
      const before = workflowPromises;
      const result = await wf.execute({}, { runtime });
      const promises = workflowPromises - before;
      expect(result.status).toBe('SUCCESS');
      const history = await runtime.client.workflow.getHandle(result.runId).fetchHistory();
      const markers = (history.events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED);
      const recorded = (id: string) =>
        markers.some((e) =>
          Object.values(e.markerRecordedEventAttributes?.details ?? {}).some((d) =>
            (d.payloads ?? []).some((p) =>
              Buffer.from(p.data ?? [])
                .toString('utf8')
                .includes(`"${id}"`),
            ),
          ),
        );
      return { promises, patched: recorded(DIRECT_STAGE_PATCH), olderPatch: recorded(FEWER_HOPS_PATCH) };
    } finally {
      await runtime.close();
    }
  }

  it('a 3-job chain records only the newest patch and stays under 22 promises a job (41 on the original path)', async () => {
    await measure('plain'); // warm-up: the first run also loads the bundle's modules
    const { promises, patched, olderPatch } = await measure('plain');
    expect(patched).toBe(true);
    expect(olderPatch).toBe(false);
    // 56 on SDK 1.24 (bench/promises.ts); 72 on the fewer-hops path, 124 on the original one.
    expect(promises).toBeLessThanOrEqual(65);
    expect(promises).toBeGreaterThan(0);
  });

  it('each further stage of a job costs at most 4 promises (the stage loop awaits its activity directly)', async () => {
    const ten = await measure('seq10');
    const twenty = await measure('seq20');
    expect(twenty.patched).toBe(true);
    // 3.1 a stage on SDK 1.24, no more than a hand-written loop of activities (bench/promises.ts);
    // 5.1 on the fewer-hops path, where a stage function awaited the activity for the loop.
    expect((twenty.promises - ten.promises) / 10).toBeLessThanOrEqual(4);
  });

  it('a job with a timeout keeps its cancellation scopes (and its timer still works)', async () => {
    const plain = await measure('plain');
    const timed = await measure('timed');
    expect(timed.patched).toBe(true);
    // Each timed job attempt creates its two scopes and a timer: more promises than the plain chain.
    expect(timed.promises).toBeGreaterThan(plain.promises + 3 * 6);
  });
});
