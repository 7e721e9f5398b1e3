/**
 * bench/server-requests: what one run costs the Temporal server, counted
 * instead of timed. The runs of bench/peers' concurrent case (a 3-job bash
 * chain) go through tempoflow, through the hand-written workflow, and through
 * the hand-written workflow with a tempoflow run's features (its timer, patch
 * marker, search attribute, definition and context: bench/peers-workflows.ts),
 * on one dev server started with its Prometheus metrics; the bench reads the
 * server's persistence and task counters before and after each side's batch
 * of runs and prints them per run, side by side (docs/benchmarks.md,
 * "Server requests per run").
 *
 * Why counts: on a shared 2-core machine the CPU and throughput figures of
 * bench/peers move by 15–30% from one invocation to the next, while the
 * requests a run makes of the server's database are the same from run to
 * run. Timer-queue and task-queue reads (`Get*Tasks`, `RangeComplete*`) follow
 * the queues' polling, not one side's runs, so they are printed but left out
 * of the per-run total.
 *
 *   npx tsx bench/server-requests.ts [--runs 50]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { freePort } from '../src/client/embedded-server.js';
import { TempoflowRuntime } from '../src/client/runtime.js';
import { Workflow } from '../src/client/workflow.js';
import { startDevServer } from '../test/helpers/dev-server.js';
import { CHAIN3_YAML, peersWorker, runFeatureStart } from './common.js';
import { parseCounters, perRun, type Counters } from './server-counters.js';

const args = process.argv.slice(2);
const RUNS = args.includes('--runs') ? Math.max(1, Number(args[args.indexOf('--runs') + 1])) : 50;
/**
 * How long the server gets after a batch of runs ends, for its queues to process what
 * the runs left (visibility, close) and for the timers the runs set to fire: workflow
 * task timeouts (10 s) and activity heartbeat timeouts (10 s). A tempoflow run's own
 * timeout timer fires at its deadline (an hour by default) and is not counted.
 */
const SETTLE_MS = 15_000;
/** Counters whose operations follow queue polling and timers, not one side's runs. */
const QUEUE_READ = /^(Get\w*Tasks|RangeComplete\w*)$/;

/** The server's persistence, visibility and task counters now. */
async function readCounters(url: string): Promise<Counters> {
  return parseCounters(await (await fetch(url)).text());
}

Runtime.install({ logger: new DefaultLogger('ERROR') });
const metricsPort = await freePort();
const server = await startDevServer({ log: (m) => console.error(m), metricsPort });
const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
try {
  const dir = mkdtempSync(join(tmpdir(), 'tf-requests-'));
  writeFileSync(join(dir, 'chain3.yml'), CHAIN3_YAML);
  const taskQueue = `requests-${Date.now()}`;
  const connection = await NativeConnection.connect({ address: server.address });
  // The worker of bench/peers: the settings of `tempoflow worker`, both sides on it.
  const worker = await peersWorker(connection, taskQueue, dir);
  const runtime = await TempoflowRuntime.connect({ server: { address: server.address }, taskQueue, inProcessWorker: false });
  const wf = await Workflow.fromConf('chain3', { path: dir });
  const tempoflowRuns = () =>
    Promise.all(
      Array.from({ length: RUNS }, async () => {
        const r = await wf.execute({}, { runtime, maxJobParallel: 2 });
        if (r.status !== 'SUCCESS') throw new Error(`tempoflow run ${r.runId}: ${r.status}`);
      }),
    );
  /** The hand-written chain; with `features`, the one with a tempoflow run's features (bench/peers-workflows.ts). */
  const baselineRuns = (tag: string, features = false) =>
    Promise.all(
      Array.from({ length: RUNS }, async (_, i) => {
        const handle = await runtime.client.workflow.start(features ? 'baselineBashChainWithRunFeatures' : 'baselineBashChain', {
          taskQueue,
          workflowId: `baseline-${tag}-${i}-${Date.now()}`,
          args: [{ runId: `b-${tag}-${i}`, n: 3, dispatch: 'activity', ...(features ? { definition: wf.spec } : {}) }],
          ...(features ? runFeatureStart(wf.name) : {}),
        });
        const result: unknown = await handle.result();
        const ok = features ? (result as { status: string }).status === 'SUCCESS' : result === 3;
        if (!ok) throw new Error(`hand-written run ${handle.workflowId}: a stage failed`);
      }),
    );
  const settle = () => new Promise((r) => setTimeout(r, SETTLE_MS));
  const sides: Record<'tempoflow' | 'baseline' | 'features', Counters> = await worker.runUntil(async () => {
    // One run of each first: the server creates the namespace's task queues and caches once.
    await wf.execute({}, { runtime, maxJobParallel: 2 });
    await (await runtime.client.workflow.start('baselineBashChain', { taskQueue, workflowId: `baseline-warm-${Date.now()}`, args: [{ runId: 'b-warm', n: 3, dispatch: 'activity' }] })).result();
    await settle();
    const c0 = await readCounters(metricsUrl);
    await tempoflowRuns();
    await settle();
    const c1 = await readCounters(metricsUrl);
    await baselineRuns('m');
    await settle();
    const c2 = await readCounters(metricsUrl);
    await baselineRuns('f', true);
    await settle();
    const c3 = await readCounters(metricsUrl);
    return { tempoflow: perRun(c0, c1, RUNS), baseline: perRun(c1, c2, RUNS), features: perRun(c2, c3, RUNS) };
  });
  await runtime.close();
  await connection.close();

  console.log(`\nbench/server-requests on ${server.address} (dev server, tempoflow's dynamic config): ${RUNS} runs of a 3-job bash chain started at once on each side; server counters per run`);
  console.log(`("with a run's features": the hand-written chain with a tempoflow run's timer, patch marker, search attribute, definition and context; docs/benchmarks.md)\n`);
  console.log("| counter | operation | tempoflow | hand-written | difference | hand-written with a run's features |");
  console.log('|---|---|---|---|---|---|');
  const keys = [...new Set([...sides.tempoflow.keys(), ...sides.baseline.keys(), ...sides.features.keys()])].sort();
  const totals = { tempoflow: 0, baseline: 0, features: 0 };
  for (const key of keys) {
    const [metric, operation] = key.split(' ') as [string, string];
    const t = sides.tempoflow.get(key) ?? 0;
    const b = sides.baseline.get(key) ?? 0;
    const f = sides.features.get(key) ?? 0;
    const queueRead = QUEUE_READ.test(operation);
    if (metric === 'persistence_requests' && !queueRead) {
      totals.tempoflow += t;
      totals.baseline += b;
      totals.features += f;
    }
    console.log(`| ${metric} | ${operation}${queueRead ? ' (queue read, not in the total)' : ''} | ${t.toFixed(2)} | ${b.toFixed(2)} | ${(t - b).toFixed(2)} | ${f.toFixed(2)} |`);
  }
  console.log(
    `| persistence_requests | total, queue reads left out | ${totals.tempoflow.toFixed(2)} | ${totals.baseline.toFixed(2)} | ${(totals.tempoflow - totals.baseline).toFixed(2)} | ${totals.features.toFixed(2)} |`,
  );
} finally {
  server.stop();
}
