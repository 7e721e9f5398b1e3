/**
 * bench/load: starts N runs (default 500) of a 10-job DAG at once on one Temporal
 * server with `tempoflow worker` processes (default one), and reports how many
 * started, finished, failed, were lost (no execution found) or got stuck (not closed
 * by the deadline), the wall time, runs per second, p50/p99 run latency (start
 * request to result), the CPU time the server's and the workers' processes used
 * during the load, and the workers' peak RSS. As baselines in the same run it
 * first measures one run of the DAG alone (the p50 latency under load is printed as
 * a ratio to it) and the per-stage latency of a chain of 20 `bash` stages run alone.
 *
 *   npm run build && npx tsx bench/load.ts [--runs 500] [--stages 16] [--workers 1]
 *                                          [--server dev|cluster|host:port]
 *
 * `--server` (bench/common.ts): a throwaway dev server (default), the real cluster of
 * scripts/cluster.sh, or a running server (also via TEMPORAL_ADDRESS).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuSeconds, peakRssMb, selectServer, startWorker } from './common.js';
import { TempoflowRuntime } from '../src/client/runtime.js';
import { Workflow } from '../src/client/workflow.js';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : def);
const RUNS = opt('--runs', 500);
const STAGES = opt('--stages', 16);
const WORKERS = opt('--workers', 1);
const CHAIN = 20;
const DEADLINE_MS = opt('--deadline-minutes', 20) * 60_000;

/** Ten jobs: a root, a fan of eight in two layers, and a join. */
const yaml = `load-dag:
  type: Workflow
  params:
    n: int
  jobs:
    root:
      stages: [{ name: Root, bash: 'echo "run $TF_PARAM_N"' }]
${[1, 2, 3, 4].map((i) => `    a${i}:\n      needs: [root]\n      stages: [{ name: Work, bash: "true" }]`).join('\n')}
${[1, 2, 3, 4].map((i) => `    b${i}:\n      needs: [a${i}]\n      stages: [{ name: Work, bash: "true" }]`).join('\n')}
    join:
      needs: [b1, b2, b3, b4]
      stages: [{ name: Join, echo: "done \${{ params.n }}" }]
chain:
  type: Workflow
  jobs:
    only:
      stages:
${Array.from({ length: CHAIN }, (_, i) => `        - { name: Step ${i + 1}, bash: "true" }`).join('\n')}
`;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

const server = await selectServer(args);
const dir = mkdtempSync(join(tmpdir(), 'tf-load-'));
writeFileSync(join(dir, 'load.yml'), yaml);
const taskQueue = `load-${Date.now()}`;
const workers = await Promise.all(Array.from({ length: WORKERS }, () => startWorker(server.address, taskQueue, dir, STAGES)));
const runtime = await TempoflowRuntime.connect({ server: { address: server.address }, taskQueue, inProcessWorker: false });
try {
  const wf = await Workflow.fromConf('load-dag', { path: dir });

  const chain = await Workflow.fromConf('chain', { path: dir });
  // Warm-up (worker caches, first connections), then the two baselines.
  if ((await chain.execute({}, { runtime })).status !== 'SUCCESS') throw new Error('warm-up run failed');
  const c0 = Date.now();
  const chained = await chain.execute({}, { runtime });
  const perStageMs = (Date.now() - c0) / CHAIN;
  if (chained.status !== 'SUCCESS') throw new Error(`chain run ended ${chained.status}`);
  const t0 = Date.now();
  const alone = await wf.execute({ n: -1 }, { runtime });
  const baselineMs = Date.now() - t0;
  if (alone.status !== 'SUCCESS') throw new Error(`baseline run ended ${alone.status}`);

  const runIds: string[] = [];
  const latencies: number[] = [];
  const statuses = new Map<string, number>();
  let started = 0;
  const serverCpu0 = cpuSeconds(server.pids());
  const workerCpu0 = cpuSeconds(workers.map((w) => w.pid!));
  const begin = Date.now();
  const outcomes = await Promise.all(
    Array.from({ length: RUNS }, async (_, n) => {
      const s = Date.now();
      const timer = new Promise<'stuck'>((res) => setTimeout(() => res('stuck'), DEADLINE_MS).unref());
      const run = wf.execute({ n }, { runtime, timeout: 3600, onStart: (i) => (started++, runIds.push(i.runId)) }).then(
        (r) => {
          latencies.push(Date.now() - s);
          return r.status as string;
        },
        (err: Error) => `ERROR ${err.message}`,
      );
      return Promise.race([run, timer]);
    }),
  );
  const wallMs = Date.now() - begin;
  const serverCpu = cpuSeconds(server.pids()) - serverCpu0;
  const workerCpu = cpuSeconds(workers.map((w) => w.pid!)) - workerCpu0;
  for (const o of outcomes) statuses.set(o, (statuses.get(o) ?? 0) + 1);

  // Lost: a run we started that Temporal does not know.
  let lost = 0;
  for (const id of runIds) {
    try {
      await runtime.client.workflow.getHandle(id).describe();
    } catch {
      lost++;
    }
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const finished = statuses.get('SUCCESS') ?? 0;
  const stuck = statuses.get('stuck') ?? 0;
  const failed = RUNS - finished - stuck;
  const rss = Math.max(...workers.map((w) => peakRssMb(w.pid!)));
  console.log(`server           ${server.label}`);
  console.log(`runs requested   ${RUNS} (10 jobs each: 9 bash stages + 1 echo)`);
  console.log(`started          ${started}`);
  console.log(`finished OK      ${finished}`);
  console.log(`failed           ${failed}${failed ? ` ${JSON.stringify(Object.fromEntries(statuses))}` : ''}`);
  console.log(`lost             ${lost}`);
  console.log(`stuck            ${stuck}`);
  console.log(`wall time        ${(wallMs / 1000).toFixed(1)} s`);
  console.log(`throughput       ${(finished / (wallMs / 1000)).toFixed(2)} runs/s (${((finished * 9) / (wallMs / 1000)).toFixed(1)} bash stages/s)`);
  console.log(`latency p50      ${(percentile(sorted, 50) / 1000).toFixed(1)} s   p99 ${(percentile(sorted, 99) / 1000).toFixed(1)} s`);
  console.log(`baseline         one run alone: ${(baselineMs / 1000).toFixed(2)} s; p50 under load / alone = ${(percentile(sorted, 50) / baselineMs).toFixed(1)}`);
  console.log(`per-stage        ${perStageMs.toFixed(0)} ms (a chain of ${CHAIN} bash stages, alone)`);
  if (server.pids().length > 0) console.log(`server CPU       ${serverCpu.toFixed(0)} s (${((serverCpu * 1000) / (RUNS * 10)).toFixed(1)} ms per stage) during the load`);
  console.log(`worker CPU       ${workerCpu.toFixed(0)} s (${((workerCpu * 1000) / (RUNS * 10)).toFixed(1)} ms per stage, stage processes included)`);
  console.log(`worker peak RSS  ${rss.toFixed(0)} MB (${WORKERS} worker${WORKERS > 1 ? 's' : ''}, max concurrent stages ${STAGES} each)`);
  process.exitCode = lost === 0 && stuck === 0 && finished === RUNS ? 0 : 1;
} finally {
  for (const w of workers) w.kill('SIGTERM');
  await runtime.close();
  server.stop();
}
