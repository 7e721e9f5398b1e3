/**
 * bench/concurrency: what a concurrency group (docs/semantics.md,
 * "Concurrency groups") costs, on one dev server and one in-process worker.
 *
 * - Acquire latency of a free group: the median wall time of a one-stage run
 *   with `concurrency:` (a new group each run: signal-with-start starts the
 *   group workflow, which grants at once) against the same run without it.
 *   The difference is put in units of one stage round trip, measured in the
 *   same run as (two-stage run) - (one-stage run).
 * - Throughput of a contended group: N one-stage runs started together on one
 *   group with `limit: 1`, against the same N runs without a group started one
 *   after another by the client (both run one at a time).
 *
 *   npx tsx bench/concurrency.ts [--reps 7] [--runs 30]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { TempoflowRuntime } from '../src/client/runtime.js';
import { Workflow } from '../src/client/workflow.js';
import { startDevServer } from '../test/helpers/dev-server.js';
import { workerParts, benchWorkflowSource } from './common.js';
import { median } from './stats.js';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : def);
const REPS = opt('--reps', 7);
const RUNS = opt('--runs', 30);

Runtime.install({ logger: new DefaultLogger('ERROR') });
const server = await startDevServer({ log: (m) => console.error(m) });
const dir = mkdtempSync(join(tmpdir(), 'tf-bench-concurrency-'));
const stage = (i: number) => `        - name: S${i}\n          run: "x = 1"`;
writeFileSync(
  join(dir, 'c.yml'),
  `plain:
  type: Workflow
  jobs:
    main:
      stages:
${stage(0)}
two-stages:
  type: Workflow
  jobs:
    main:
      stages:
${stage(0)}
${stage(1)}
grouped:
  type: Workflow
  params:
    key: str
  concurrency: bench-\${{ params.key }}
  jobs:
    main:
      stages:
${stage(0)}
`,
);
const taskQueue = `bench-concurrency-${Date.now()}`;
const connection = await NativeConnection.connect({ address: server.address });
const worker = await Worker.create({
  connection,
  taskQueue,
  ...benchWorkflowSource(resolve(import.meta.dirname, '../src/workflows/index.ts')),
  ...workerParts(dir),
  maxConcurrentActivityTaskExecutions: 4,
});
const runtime = await TempoflowRuntime.connect({ server: { address: server.address }, taskQueue, inProcessWorker: false });
const ms = (n: number) => `${n.toFixed(0).padStart(6)} ms`;

/** Wall time of one run, ms. */
async function timed(wf: Workflow, params: Record<string, unknown> = {}): Promise<number> {
  const t0 = performance.now();
  const result = await wf.execute(params, { runtime });
  if (result.status !== 'SUCCESS') throw new Error(`${wf.name}: ${result.status} ${JSON.stringify(result.errors)}`);
  return performance.now() - t0;
}

await worker.runUntil(async () => {
  const [plain, twoStages, grouped] = await Promise.all(['plain', 'two-stages', 'grouped'].map((name) => Workflow.fromConf(name, { path: dir })));
  const runs = { plain: [] as number[], two: [] as number[], grouped: [] as number[] };
  for (let r = 0; r <= REPS; r++) {
    const p = await timed(plain!);
    const t = await timed(twoStages!);
    const g = await timed(grouped!, { key: `free-${r}-${Date.now()}` });
    if (r === 0) continue; // warm-up
    runs.plain.push(p);
    runs.two.push(t);
    runs.grouped.push(g);
  }
  const [p, t, g] = [median(runs.plain), median(runs.two), median(runs.grouped)];
  const stageTrip = t - p;
  console.log(`acquire a free group: median of ${REPS} one-stage runs\n`);
  console.log(`  without a group       ${ms(p)}`);
  console.log(`  with a free group     ${ms(g)}   ratio ${(g / p).toFixed(2)}   added ${ms(g - p)}`);
  console.log(`  one stage round trip  ${ms(stageTrip)}   (two-stage run - one-stage run)`);
  console.log(`  added latency = ${((g - p) / stageTrip).toFixed(2)} stage round trips\n`);

  const key = `contended-${Date.now()}`;
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: RUNS }, () => grouped!.execute({ key }, { runtime })));
  const contended = performance.now() - t0;
  if (results.some((res) => res.status !== 'SUCCESS')) throw new Error(`contended: ${results.map((res) => res.status).join(' ')}`);
  const t1 = performance.now();
  for (let i = 0; i < RUNS; i++) await timed(plain!);
  const serial = performance.now() - t1;
  console.log(`contended group (limit 1): ${RUNS} runs\n`);
  console.log(`  started together, one group   ${ms(contended)}   ${((RUNS * 1000) / contended).toFixed(1)} runs/s`);
  console.log(`  no group, one after another   ${ms(serial)}   ${((RUNS * 1000) / serial).toFixed(1)} runs/s`);
  console.log(`  throughput ratio (group / one after another) ${(serial / contended).toFixed(2)}`);
});
await runtime.close();
await connection.close();
server.stop();
