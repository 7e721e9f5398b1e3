/**
 * bench/load: starts N runs (default 500) of a 10-job DAG at once on one dev
 * server with one `tempoflow worker` process, and reports how many started,
 * finished, failed, were lost (no execution found) or got stuck (not closed
 * by the deadline), the wall time, runs per second, p50/p99 run latency
 * (start request to result), and the worker's peak RSS. As a baseline in the
 * same run it first measures one run alone, and prints the p50 latency under
 * load as a ratio to it.
 *
 *   npm run build && npx tsx bench/load.ts [--runs 500] [--stages 16]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevServer } from '../test/helpers/dev-server.js';
import { peakRssMb, startWorker } from './common.js';
import { TempoflowRuntime } from '../src/client/runtime.js';
import { Workflow } from '../src/client/workflow.js';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : def);
const RUNS = opt('--runs', 500);
const STAGES = opt('--stages', 16);
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
`;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

const server = process.env.TEMPORAL_ADDRESS ? { address: process.env.TEMPORAL_ADDRESS, stop: () => undefined } : await startDevServer({ log: (m) => console.error(m) });
const dir = mkdtempSync(join(tmpdir(), 'tf-load-'));
writeFileSync(join(dir, 'load.yml'), yaml);
const taskQueue = `load-${Date.now()}`;
const worker = await startWorker(server.address, taskQueue, dir, STAGES);
const runtime = await TempoflowRuntime.connect({ server: { address: server.address }, taskQueue, inProcessWorker: false });
try {
  const wf = await Workflow.fromConf('load-dag', { path: dir });

  const t0 = Date.now();
  const alone = await wf.execute({ n: -1 }, { runtime });
  const baselineMs = Date.now() - t0;
  if (alone.status !== 'SUCCESS') throw new Error(`baseline run ended ${alone.status}`);

  const runIds: string[] = [];
  const latencies: number[] = [];
  const statuses = new Map<string, number>();
  let started = 0;
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
  const rss = peakRssMb(worker.pid!);
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
  console.log(`worker peak RSS  ${rss.toFixed(0)} MB (max concurrent stages ${STAGES})`);
  process.exitCode = lost === 0 && stuck === 0 && finished === RUNS ? 0 : 1;
} finally {
  worker.kill('SIGTERM');
  await runtime.close();
  server.stop();
}
