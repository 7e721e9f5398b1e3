/**
 * bench/promises: how many promises workflow code creates per run, tempoflow's
 * interpreter against the hand-written baselines of bench/peers (issue #14).
 *
 * Why count promises: the Temporal TypeScript SDK installs a V8 promise hook in
 * its workflow threads that builds a source-mapped stack trace for every promise
 * created in workflow code (for the `__stack_trace` query; it cannot be switched
 * off, temporalio/sdk-typescript#1587). With the hook turned off in a scratch
 * copy, a 3-job run of bench/peers took about 2.5 ms less worker CPU, a quarter
 * of what tempoflow's run costs the worker above the hand-written one. Unlike
 * CPU or throughput on a shared 2-core machine, the count varies by a few
 * promises at most from run to run (how many completions one workflow
 * activation brings), so each cut on the path is measured closely
 * (docs/benchmarks.md, "Promises per run").
 *
 * The worker runs in debug mode (workflows on the main thread, so a second
 * promise hook here sees them) with the settings of `tempoflow worker`. A
 * promise counts when its constructor is not the main realm's `Promise`, i.e.
 * when workflow code (in the SDK's V8 context) created it.
 *
 *   npx tsx bench/promises.ts [--reps 5] [--case chain3,seq20,...] [--census] [--server dev|cluster|host:port]
 *
 * `--census` also prints where workflow code created them (function names of the
 * innermost frames), to find what to cut next.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import { NativeConnection } from '@temporalio/worker';
import { TempoflowRuntime } from '../src/client/runtime.js';
import { Workflow } from '../src/client/workflow.js';
import { peersWorker, selectServer } from './common.js';
import type { BaselineDispatch } from './peers-workflows.js';

const args = process.argv.slice(2);
const REPS = args.includes('--reps') ? Math.max(1, Number(args[args.indexOf('--reps') + 1])) : 5;
const only = args.includes('--case') ? new Set(args[args.indexOf('--case') + 1]!.split(',')) : undefined;

/** One workload: a YAML workflow, its unit (jobs or stages) and the hand-written baseline doing the same activities. */
interface Case {
  readonly id: string;
  readonly title: string;
  readonly yaml: string;
  /** Jobs or stages of the run, to report promises per unit. */
  readonly units: number;
  readonly unit: 'job' | 'stage';
  readonly baseline?: { readonly type: string; readonly args: Record<string, unknown> };
}

const job = (id: string, needs: string | undefined, stages: number, dispatch: BaselineDispatch = 'activity') =>
  `    ${id}:\n${needs ? `      needs: [${needs}]\n` : ''}${dispatch === 'activity' ? '' : `      dispatch: ${dispatch}\n`}      stages:\n${Array.from({ length: stages }, (_, i) => `        - name: S${i}\n          bash: "true"`).join('\n')}\n`;
/** One job of 20 sequential bash stages, dispatched as `dispatch`, against the baseline that dispatches the same way. */
const seq20 = (dispatch: BaselineDispatch, title: string): Case => {
  const id = dispatch === 'activity' ? 'seq20' : `seq20-${dispatch}`;
  return {
    id,
    title,
    yaml: `prom-${id}:\n  type: Workflow\n  jobs:\n${job('main', undefined, 20, dispatch)}`,
    units: 20,
    unit: 'stage',
    baseline: { type: 'baselineBashChain', args: { n: 20, dispatch } },
  };
};
const cases: Case[] = [
  {
    id: 'chain3',
    title: '3-job bash chain (the run of the concurrent case of bench/peers)',
    yaml: `prom-chain3:\n  type: Workflow\n  jobs:\n${job('a', undefined, 1)}${job('b', 'a', 1)}${job('c', 'b', 1)}`,
    units: 3,
    unit: 'job',
    baseline: { type: 'baselineBashChain', args: { n: 3, dispatch: 'activity' } },
  },
  {
    id: 'chain3-features',
    title: "the same chain against the hand-written one with a tempoflow run's features (timer, patch marker, context: bench/peers-workflows.ts)",
    yaml: `prom-chain3-features:\n  type: Workflow\n  jobs:\n${job('a', undefined, 1)}${job('b', 'a', 1)}${job('c', 'b', 1)}`,
    units: 3,
    unit: 'job',
    baseline: { type: 'baselineBashChainWithRunFeatures', args: { n: 3 } },
  },
  seq20('activity', '20 sequential bash stages, one job'),
  seq20('local', 'the same 20 stages with `dispatch: local`'),
  seq20('batch', 'the same 20 stages with `dispatch: batch`'),
  {
    id: 'dag',
    title: '10-job bash DAG (2 layers × 5, the second needs the first), max_job_parallel 2',
    yaml: `prom-dag:\n  type: Workflow\n  jobs:\n${['0', '1', '2', '3', '4'].map((i) => job(`a${i}`, undefined, 1)).join('')}${['0', '1', '2', '3', '4'].map((i) => job(`b${i}`, 'a0, a1, a2, a3, a4', 1)).join('')}`,
    units: 10,
    unit: 'job',
    baseline: { type: 'baselineBashDag', args: { layers: 2, width: 5, parallel: 2 } },
  },
];

let promises = 0;
const MainPromise = Promise;
/** `--census`: where workflow code created its promises, by the two innermost named frames of workflow code. */
const census = args.includes('--census') ? new Map<string, number>() : undefined;
// Counts promises created in workflow code (the SDK's V8 context has its own `Promise`).
v8.promiseHooks.onInit((promise) => {
  if ((promise as Promise<unknown>).constructor === MainPromise) return;
  promises++;
  if (census) {
    const site = (new Error().stack ?? '')
      .split('\n')
      .slice(1)
      .filter((l) => l.includes('workflow-bundle') || l.includes('peers-workflows'))
      .slice(0, 2)
      .map((l) =>
        l
          .trim()
          .replace(/^at /, '')
          .replace(/ \(.*$/, ''),
      )
      .join(' < ');
    census.set(site, (census.get(site) ?? 0) + 1);
  }
});

const server = await selectServer(args);
const dir = mkdtempSync(join(tmpdir(), 'tf-promises-'));
writeFileSync(join(dir, 'promises.yml'), cases.map((c) => c.yaml).join(''));
const taskQueue = `promises-${Date.now()}`;
const connection = await NativeConnection.connect({ address: server.address });
const worker = await peersWorker(connection, taskQueue, dir, { debugMode: true });
const runtime = await TempoflowRuntime.connect({ server: { address: server.address }, taskQueue, inProcessWorker: false });

/** Promises workflow code created while `run` ran, median of {@link REPS}. */
async function count(run: (rep: number) => Promise<void>): Promise<number> {
  const counts: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const before = promises;
    await run(r);
    counts.push(promises - before);
  }
  return counts.sort((a, b) => a - b)[Math.floor(counts.length / 2)]!;
}

const rows: string[] = [];
try {
  await worker.runUntil(async () => {
    // Warm-up: the bundle loaded, the first workflow's module cache filled.
    await (await Workflow.fromConf('prom-chain3', { path: dir })).execute({}, { runtime, maxJobParallel: 2 });
    for (const c of cases) {
      if (only && !only.has(c.id)) continue;
      const wf = await Workflow.fromConf(/^([\w-]+):/.exec(c.yaml)![1]!, { path: dir });
      const tf = await count(async () => {
        const res = await wf.execute({}, { runtime, maxJobParallel: 2 });
        if (res.status !== 'SUCCESS') throw new Error(`${c.id}: ${res.status} ${JSON.stringify(res.errors)}`);
      });
      const b = c.baseline;
      const base = b
        ? await count(async (rep) => {
            await runtime.client.workflow.execute(b.type, { taskQueue, workflowId: `promises-${c.id}-${rep}-${Date.now()}`, args: [{ ...b.args, runId: `b-${rep}` }] });
          })
        : undefined;
      const per = (n: number) => (n / c.units).toFixed(1);
      rows.push(`| ${c.title} | ${tf} (${per(tf)} per ${c.unit}) | ${base === undefined ? '—' : `${base} (${per(base)} per ${c.unit})`} | ${base ? (tf / base).toFixed(2) : '—'} |`);
      console.error(`  ${c.id}: tempoflow ${tf}, baseline ${base ?? '—'}`);
    }
  });
} finally {
  await runtime.close();
  await connection.close();
  server.stop();
}

console.log(`\nbench/promises on ${server.label}; median of ${REPS} runs each; promises created by workflow code per run`);
console.log('(the SDK stack-trace hook records each: docs/benchmarks.md, "Promises per run")\n');
console.log('| workload | tempoflow | hand-written Temporal | ÷ baseline |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(r);
if (census) {
  const total = [...census.values()].reduce((a, b) => a + b, 0);
  console.log(`\nWhere workflow code created its ${total} promises (all runs above, warm-up included; innermost frame first):\n`);
  for (const [site, n] of [...census].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`${String(n).padStart(7)}  ${site || '(SDK code only)'}`);
}
