/**
 * bench/peers: tempoflow side by side with a hand-written Temporal workflow and
 * with ddeutil-workflow, the in-process engine our users come from (issue #14).
 *
 * It writes the workloads as one YAML file, then for each workload runs
 *  - tempoflow (the interpreter workflow) on a Temporal server,
 *  - a hand-written Temporal workflow doing the same activities
 *    (bench/peers-workflows.ts), served by the same in-process worker, so both
 *    have the same server and the same worker settings,
 *  - ddeutil-workflow 0.0.86 on the same YAML, installed from PyPI into a
 *    throwaway venv under `.tempoflow/peers-venv/` (skipped, and said so, when
 *    Python or PyPI is unavailable; `--no-ddeutil` skips it on purpose),
 * and prints each figure with its ratios, measured in this one run.
 *
 *   npx tsx bench/peers.ts [--quick | --scale 0.5] [--reps 1] [--case bash,matrix9,...]
 *                          [--server dev|cluster|host:port] [--server-defaults] [--server-config KEY=JSON] [--no-ddeutil]
 *                          [--matrix-children] [--no-warm-up] [--no-preload]
 *
 * `--quick` is `--scale 0.1` (a tenth of each workload). `--server-defaults` starts the
 * dev server without the dynamic config tempoflow's own dev server uses
 * (`DEV_SERVER_DYNAMIC_CONFIG`), to measure what it gains; `--server-config KEY=JSON`
 * (repeatable) sets one key on top, e.g. `history.transferProcessorMaxPollRPS=20` for
 * Temporal's default of that one. `--matrix-children` runs
 * every matrix combination as a child workflow (`limits.inlineMatrixStageRuns: 0`, how
 * every matrix ran before small ones ran inline), to measure what inline saves.
 * Each case first runs once on each side unmeasured, then its reps alternate which
 * side goes first; `--no-warm-up` measures the first run too. `--no-preload` bundles
 * the workflow code without preloading its modules (each workflow execution evaluates
 * them again, as before 2026-12-03), to measure what preloading gains.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { TempoflowRuntime } from '../src/client/runtime.js';
import { Workflow } from '../src/client/workflow.js';
import { benchWorkflowSource, CHAIN3_YAML, chain3Yaml, cpuByThreadRole, cpuSeconds, peersWorker, runFeatureStart, selectServer, threadRoles, type ThreadRole } from './common.js';
import { runShape, stageBreakdown, type RunShape, type StageBreakdown } from './history-profile.js';
import { formatInterval, median, medianInterval, verdictAtMost } from './stats.js';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const opt = (name: string, def: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : def);
const SCALE = args.includes('--quick') ? 0.1 : opt('--scale', 1);
const REPS = Math.max(1, opt('--reps', 1));
/** `--no-warm-up`: measure each case's first run too (see the warm-up in the main loop). */
const WARM_UP = !args.includes('--no-warm-up');
/** `--no-preload`: the workflow code's modules evaluated for each workflow execution (src/worker/bundle-options.ts). */
const PRELOAD = !args.includes('--no-preload');
const STAGES_AT_ONCE = opt('--stages', 16);
const DDEUTIL_VERSION = '0.0.86';
/** `--matrix-children`: no matrix runs inline (docs/semantics.md, "Small matrices run inline"). */
const runOptions = args.includes('--matrix-children') ? { maxJobParallel: 2, limits: { inlineMatrixStageRuns: 0 } } : { maxJobParallel: 2 };
const only = args.includes('--case') ? new Set(args[args.indexOf('--case') + 1]!.split(',')) : undefined;

const size = (full: number, min: number) => Math.max(min, Math.round(full * SCALE));
const N = size(200, 5); // sequential stages
const LAYERS = size(10, 2); // DAG layers of 5 jobs
const SIDE = Math.max(2, Math.round(10 * Math.sqrt(SCALE))); // matrix side
const RUNS = size(200, 10); // concurrent runs
const SLEEPS = size(20, 2); // sequential echo stages that sleep 50 ms each

/** One workload: a YAML workflow, optionally a hand-written baseline and a target. */
interface Case {
  readonly id: string;
  readonly title: string;
  readonly yaml: string;
  /** Runs of it started at once (throughput cases report runs/s). */
  readonly concurrent?: number;
  /**
   * The hand-written workflow run against it; `runFeatures`: started like a tempoflow run
   * (its definition in the input, a summary and the `TfWorkflow` search attribute).
   */
  readonly baseline?: { readonly type: string; readonly args: Record<string, unknown>; readonly runFeatures?: boolean };
  /** The issue's target, checked on this run's ratios. */
  readonly target?: (r: Figures) => string | undefined;
  /** Why ddeutil-workflow does not run it. */
  readonly noDdeutil?: string;
}

interface Figures {
  tempoflow: number;
  baseline?: number;
  ddeutil?: number;
  /**
   * The ratio to the baseline of each rep (tempoflow and baseline run one after the
   * other), as ÷ baseline; with 2 or more, the table shows their lowest and highest and
   * the baseline targets are checked on their median interval (bench/stats.ts).
   */
  baselineRatios?: readonly number[];
}

const seq = (name: string, action: string, extra = '', n = N) =>
  `${name}:\n  type: Workflow\n  jobs:\n    main:\n${extra}      stages:\n${Array.from({ length: n }, (_, i) => `        - name: S${i}\n          ${action}`).join('\n')}\n`;
const dag = (name: string, action: string, jobExtra = '') =>
  `${name}:\n  type: Workflow\n  jobs:\n${Array.from({ length: LAYERS }, (_, l) =>
    Array.from(
      { length: 5 },
      (_, j) =>
        `    j${l}-${j}:\n${jobExtra}${l > 0 ? `      needs: [${Array.from({ length: 5 }, (_, k) => `j${l - 1}-${k}`).join(', ')}]\n` : ''}      stages:\n        - name: Work\n          ${action}`,
    ).join('\n'),
  ).join('\n')}\n`;
const values = `[${Array.from({ length: SIDE }, (_, i) => i).join(', ')}]`;
const matrix = (name: string, parallel: number) =>
  `${name}:\n  type: Workflow\n  jobs:\n    cells:\n      strategy:\n        max-parallel: ${parallel}\n        matrix:\n          a: ${values}\n          b: ${values}\n      stages:\n        - name: Cell\n          echo: "cell \${{ matrix.a }} \${{ matrix.b }}"\n`;
const atMost = (ratio: number, limit: number) => (ratio <= limit ? 'met' : 'not met');
/**
 * A target against the hand-written baseline (`≤ 1.0×`, as ÷ baseline): checked on the
 * per-rep ratios' median interval, so that a run whose reps fall on both sides of the
 * limit says so instead of calling the side its median happened to land on.
 */
const baselineVerdict = (f: Figures, limit: number): string | undefined => {
  if (f.baseline === undefined) return undefined;
  if (!f.baselineRatios) return atMost(f.tempoflow / f.baseline, limit);
  const iv = medianInterval(f.baselineRatios);
  // Below 5 reps the interval covers less than 90%: say so next to the verdict.
  const few = iv.coverage < 0.9 ? ` (${REPS} reps: use --reps 5 or more for a 90% interval)` : '';
  return `${verdictAtMost(iv, limit)}, median rep ${formatInterval(iv)}${few}`;
};
/** The issue's two targets of a dispatch mode of the sequential bash stages: against ddeutil-workflow, and against the baseline that dispatches the same way. */
const bashModeTargets = (baselineLabel: string) => (f: Figures) =>
  [f.ddeutil ? `≤ 1.5× ddeutil: ${atMost(f.tempoflow / f.ddeutil, 1.5)}` : undefined, f.baseline ? `≤ 1.0× baseline (${baselineLabel}): ${baselineVerdict(f, 1.0)}` : undefined]
    .filter(Boolean)
    .join('; ');

const allCases: Case[] = [
  {
    id: 'bash',
    title: `${N} sequential bash: "true" stages, one job`,
    yaml: seq('peers-bash', 'bash: "true"'),
    baseline: { type: 'baselineBashChain', args: { n: N, dispatch: 'activity' } },
    target: (f) => (f.ddeutil ? `≤ 1.5× ddeutil: ${atMost(f.tempoflow / f.ddeutil, 1.5)}` : undefined),
  },
  {
    id: 'bash-local',
    title: `the same ${N} bash stages with \`dispatch: local\` (local activities)`,
    yaml: seq('peers-bash-local', 'bash: "true"', '      dispatch: local\n'),
    baseline: { type: 'baselineBashChain', args: { n: N, dispatch: 'local' } },
    target: bashModeTargets('local activities'),
  },
  {
    id: 'bash-batch',
    title: `the same ${N} bash stages with \`dispatch: batch\` (one activity)`,
    yaml: seq('peers-bash-batch', 'bash: "true"', '      dispatch: batch\n'),
    baseline: { type: 'baselineBashChain', args: { n: N, dispatch: 'batch' } },
    target: bashModeTargets('one activity'),
  },
  { id: 'echo', title: `${N} sequential echo stages`, yaml: seq('peers-echo', 'echo: "hi"') },
  {
    id: 'echo-sleep',
    title: `${SLEEPS} sequential echo stages with \`sleep: 0.05\` (${(SLEEPS * 0.05).toFixed(1)} s of sleeping)`,
    yaml: seq('peers-echo-sleep', 'echo: "hi"\n          sleep: 0.05', '', SLEEPS),
  },
  {
    id: 'dag',
    title: `${LAYERS * 5}-job DAG (${LAYERS} layers × 5, each needs the previous layer), bash, max_job_parallel 2`,
    yaml: dag('peers-dag', 'bash: "true"'),
    baseline: { type: 'baselineBashDag', args: { layers: LAYERS, width: 5, parallel: 2 } },
    target: (f) => (f.ddeutil ? `≥ 15× faster than ddeutil: ${f.ddeutil / f.tempoflow >= 15 ? 'met' : 'not met'}` : undefined),
  },
  {
    id: 'dag-local',
    title: `the same bash DAG with \`dispatch: local\` on every job`,
    yaml: dag('peers-dag-local', 'bash: "true"', '      dispatch: local\n'),
    target: (f) => (f.ddeutil ? `≥ 15× faster than ddeutil: ${f.ddeutil / f.tempoflow >= 15 ? 'met' : 'not met'}` : undefined),
  },
  { id: 'dag-echo', title: `the same DAG with echo`, yaml: dag('peers-dag-echo', 'echo: "hi"') },
  {
    id: 'matrix9',
    title: `${SIDE * SIDE}-cell matrix (${SIDE} × ${SIDE}), max-parallel 9, echo`,
    yaml: matrix('peers-matrix9', 9),
    target: (f) => (f.ddeutil ? `≤ 1.0× ddeutil: ${atMost(f.tempoflow / f.ddeutil, 1.0)}` : undefined),
  },
  { id: 'matrix32', title: `the same matrix, max-parallel 32`, yaml: matrix('peers-matrix32', 32), noDdeutil: 'ddeutil-workflow caps max-parallel at 9' },
  {
    id: 'concurrent',
    title: `${RUNS} concurrent runs of a 3-job bash chain (runs/s)`,
    yaml: CHAIN3_YAML,
    concurrent: RUNS,
    baseline: { type: 'baselineBashChain', args: { n: 3, dispatch: 'activity' } },
    // As ÷ baseline (the baseline's runs/s over tempoflow's), at least 1.0× its runs/s is at most 1.0.
    target: (f) => (f.baseline ? `≥ 1.0× the baseline's runs/s: ${baselineVerdict(f, 1.0)}` : undefined),
  },
  {
    // No target: it tells what a run's features cost from what the interpreter costs (docs/benchmarks.md, "What a run's features cost").
    id: 'concurrent-features',
    title: `the same runs against a hand-written chain with a tempoflow run's features (timer, patch marker, search attribute, definition, context)`,
    yaml: chain3Yaml('chain3-features'),
    concurrent: RUNS,
    baseline: { type: 'baselineBashChainWithRunFeatures', args: { n: 3 }, runFeatures: true },
  },
];
const cases = allCases.filter((c) => !only || only.has(c.id));

/** The interpreter for ddeutil-workflow: the venv's Python, installing it on first use; or why not. */
function ddeutilPython(): { python: string } | { skipped: string } {
  if (args.includes('--no-ddeutil')) return { skipped: '--no-ddeutil' };
  const venv = join(root, '.tempoflow', 'peers-venv');
  const python = join(venv, 'bin', 'python');
  const probe = () => spawnSync(python, ['-c', `import importlib.metadata as m; assert m.version("ddeutil-workflow") == "${DDEUTIL_VERSION}"`], { stdio: 'ignore' }).status === 0;
  if (existsSync(python) && probe()) return { python };
  console.error(`installing ddeutil-workflow ${DDEUTIL_VERSION} from PyPI into a throwaway venv: ${venv}`);
  mkdirSync(join(root, '.tempoflow'), { recursive: true });
  const mk = spawnSync('python3', ['-m', 'venv', venv], { encoding: 'utf8' });
  if (mk.status !== 0) return { skipped: `no Python venv (python3 -m venv: ${(mk.stderr || mk.error?.message || '').trim().split('\n').pop()})` };
  const pip = spawnSync(join(venv, 'bin', 'pip'), ['install', '-q', `ddeutil-workflow==${DDEUTIL_VERSION}`], { encoding: 'utf8', timeout: 300_000 });
  if (pip.status !== 0 || !probe()) return { skipped: `pip install ddeutil-workflow==${DDEUTIL_VERSION} failed (PyPI unreachable?): ${(pip.stderr || '').trim().split('\n').pop()}` };
  return { python };
}

/**
 * A ddeutil-workflow run that takes longer than this is stopped and reported, not
 * waited for: its slowest workload here takes about 23 s, and one run of its echo
 * DAG once stopped making progress after a job ended (2026-12-03).
 */
const DDEUTIL_TIMEOUT_MS = 180_000;

/** Runs workflow `name` with ddeutil-workflow (max_job_parallel 2, like tempoflow's default): seconds, or why it has none. */
function runDdeutil(python: string, dir: string, name: string): number | { failed: string } {
  const script = [
    'import json, sys, time',
    'from pathlib import Path',
    'from ddeutil.workflow import Workflow',
    `wf = Workflow.from_conf(${JSON.stringify(name)}, path=Path(${JSON.stringify(dir)}))`,
    't = time.perf_counter()',
    'r = wf.execute({}, max_job_parallel=2)',
    's = time.perf_counter() - t',
    'sys.stdout.flush()',
    'print("\\nPEERS " + json.dumps({"status": str(r.status), "seconds": s}))',
  ].join('\n');
  const out = spawnSync(python, ['-c', script], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 30, timeout: DDEUTIL_TIMEOUT_MS });
  const line = /^PEERS (.+)$/m.exec(out.stdout ?? '')?.[1];
  if (!line) {
    const why = out.signal && out.error ? `stopped after ${DDEUTIL_TIMEOUT_MS / 1000} s without a result` : `no result (exit ${out.status})`;
    console.error(`ddeutil-workflow ${name}: ${why}; the rep is left out of its median. Its last output:\n${(out.stderr ?? '').slice(-1500)}`);
    return { failed: why };
  }
  const r = JSON.parse(line) as { status: string; seconds: number };
  if (!/SUCCESS/.test(r.status)) {
    console.error(`ddeutil-workflow ${name}: ended ${r.status}; the rep is left out of its median`);
    return { failed: `ended ${r.status}` };
  }
  return r.seconds;
}

const fmt = (c: Case, v: number | undefined) => (v === undefined ? '—' : c.concurrent ? `${v.toFixed(2)} runs/s` : `${v.toFixed(2)} s`);

Runtime.install({ logger: new DefaultLogger('ERROR') });
const dd = ddeutilPython();
if ('skipped' in dd) console.error(`ddeutil-workflow column skipped: ${dd.skipped}`);
const server = await selectServer(args);
const dir = mkdtempSync(join(tmpdir(), 'tf-peers-'));
writeFileSync(join(dir, 'peers.yml'), cases.map((c) => c.yaml).join(''));
const taskQueue = `peers-${Date.now()}`;
const connection = await NativeConnection.connect({ address: server.address });
// Before the worker starts its workflow threads: which threads are V8's own (bench/common.ts).
const roleOf = threadRoles();
// The settings of `tempoflow worker` (src/worker/index.ts), for both sides.
const worker = await peersWorker(connection, taskQueue, dir, {
  maxConcurrentActivityTaskExecutions: STAGES_AT_ONCE,
  ...(PRELOAD ? {} : benchWorkflowSource(resolve(import.meta.dirname, 'peers-workflows.ts'), { preload: false })),
});
const runtime = await TempoflowRuntime.connect({ server: { address: server.address }, taskQueue, inProcessWorker: false });

/** Seconds of one tempoflow run of `c` (or runs/s when concurrent). */
async function tempoflowOnce(c: Case, wf: Workflow, { measured = true } = {}): Promise<number> {
  const t0 = performance.now();
  const cpu = cpuMark(c);
  if (!c.concurrent) {
    const res = await wf.execute({}, { runtime, ...runOptions });
    if (measured) {
      cpu.add('tempoflow', 1);
      lastIds.tempoflow = res.runId;
    }
    if (res.status !== 'SUCCESS') throw new Error(`${c.id}: ${res.status} ${JSON.stringify(res.errors)}`);
    return (performance.now() - t0) / 1000;
  }
  const handles = await Promise.all(Array.from({ length: c.concurrent }, () => wf.start({}, { runtime, ...runOptions })));
  const results = await Promise.all(handles.map((h) => h.result()));
  if (measured) cpu.add('tempoflow', c.concurrent);
  const bad = results.filter((r) => r.status !== 'SUCCESS').length;
  if (bad) throw new Error(`${c.id}: ${bad} of ${c.concurrent} runs did not succeed`);
  return c.concurrent / ((performance.now() - t0) / 1000);
}

/** CPU of one side's runs of a case, summed over the reps. */
interface CpuTotals {
  /** Milliseconds of the server's processes. */
  server: number;
  /** Milliseconds of this process: worker, workflow threads, client. */
  bench: number;
  runs: number;
  /** Milliseconds of this process by thread role. */
  threads: Map<ThreadRole, number>;
}

/** CPU per case with a baseline, per side (the CPU table at the end). */
const cpuPerRun = new Map<string, Record<'tempoflow' | 'baseline', CpuTotals>>();
function cpuMark(c: Case): { add(side: 'tempoflow' | 'baseline', runs: number): void } {
  const threads0 = cpuByThreadRole(roleOf);
  const server0 = cpuSeconds(server.pids());
  const bench0 = process.cpuUsage();
  return {
    add(side, runs) {
      if (!c.baseline) return;
      const bench = process.cpuUsage(bench0);
      const empty = (): CpuTotals => ({ server: 0, bench: 0, runs: 0, threads: new Map() });
      const sides = cpuPerRun.get(c.id) ?? { tempoflow: empty(), baseline: empty() };
      cpuPerRun.set(c.id, sides);
      const t = sides[side];
      for (const [role, ms] of cpuByThreadRole(roleOf)) t.threads.set(role, (t.threads.get(role) ?? 0) + ms - (threads0.get(role) ?? 0));
      t.server += (cpuSeconds(server.pids()) - server0) * 1000;
      t.bench += (bench.user + bench.system) / 1000;
      t.runs += runs;
    },
  };
}

/** Seconds of one baseline run of `c` (or runs/s when concurrent). */
async function baselineOnce(c: Case, b: NonNullable<Case['baseline']>, wf: Workflow, rep: number, { measured = true } = {}): Promise<number> {
  const t0 = performance.now();
  const features = b.runFeatures ? { definition: wf.spec } : {};
  const one = (i: number) =>
    runtime.client.workflow.start(b.type, {
      taskQueue,
      workflowId: `baseline-${c.id}-${rep}-${i}-${Date.now()}`,
      args: [{ ...b.args, ...features, runId: `b-${rep}-${i}` }],
      ...(b.runFeatures ? runFeatureStart(wf.name) : {}),
    });
  const cpu = cpuMark(c);
  const handles = await Promise.all(Array.from({ length: c.concurrent ?? 1 }, (_, i) => one(i)));
  if (measured) lastIds.baseline = handles[0]!.workflowId;
  await Promise.all(handles.map((h) => h.result()));
  if (measured) cpu.add('baseline', c.concurrent ?? 1);
  const seconds = (performance.now() - t0) / 1000;
  return c.concurrent ? c.concurrent / seconds : seconds;
}

/** Workflow ids of the last single runs, for the history profile. */
const lastIds: { tempoflow?: string; baseline?: string } = {};
const profiles: { label: string; b: StageBreakdown }[] = [];
const shapes: { label: string; s: RunShape }[] = [];
const shape = async (label: string, workflowId: string | undefined) => {
  if (!workflowId) return;
  const history = await runtime.client.workflow.getHandle(workflowId).fetchHistory();
  shapes.push({ label, s: runShape(history.events ?? []) });
};
const profile = async (label: string, workflowId: string | undefined) => {
  if (!workflowId) return;
  const history = await runtime.client.workflow.getHandle(workflowId).fetchHistory();
  profiles.push({ label, b: stageBreakdown(history.events ?? []) });
};

const rows: { c: Case; f: Figures }[] = [];
/** ddeutil-workflow reps that gave no figure (left out of the medians, listed under the table). */
const ddeutilFailures: string[] = [];
try {
  await worker.runUntil(async () => {
    // Warm-up: bundle loaded, caches and connections hot.
    await (await Workflow.fromConf('chain3', { path: dir }).catch(() => undefined))?.execute({}, { runtime });
    for (const c of cases) {
      const name = /^([\w-]+):/.exec(c.yaml)![1]!;
      const wf = await Workflow.fromConf(name, { path: dir });
      const tf: number[] = [];
      const base: number[] = [];
      const ddu: number[] = [];
      if (WARM_UP) {
        // One unmeasured run of each side first: the first run of a workload in this
        // process pays for what the workload touches first (code compiled, a module
        // loaded, a cache filled), whichever side runs it.
        await tempoflowOnce(c, wf, { measured: false });
        if (c.baseline) await baselineOnce(c, c.baseline, wf, -1, { measured: false });
      }
      for (let r = 0; r < REPS; r++) {
        // Alternate which side goes first, so neither always runs right after the other's load.
        const tempoflowRep = async () => void tf.push(await tempoflowOnce(c, wf));
        const baselineRep = async () => void (c.baseline && base.push(await baselineOnce(c, c.baseline, wf, r)));
        for (const side of r % 2 === 0 ? [tempoflowRep, baselineRep] : [baselineRep, tempoflowRep]) await side();
        if ('python' in dd && !c.concurrent && !c.noDdeutil) {
          const seconds = runDdeutil(dd.python, dir, name);
          if (typeof seconds === 'number') ddu.push(seconds);
          else ddeutilFailures.push(`${c.id} rep ${r + 1}: ${seconds.failed}`);
        }
      }
      const paired = base.map((b, r) => (c.concurrent ? b / tf[r]! : tf[r]! / b));
      const f: Figures = {
        tempoflow: median(tf),
        ...(base.length ? { baseline: median(base) } : {}),
        ...(ddu.length ? { ddeutil: median(ddu) } : {}),
        ...(paired.length > 1 ? { baselineRatios: paired } : {}),
      };
      rows.push({ c, f });
      if (c.id === 'bash') {
        await profile('tempoflow, bash', lastIds.tempoflow);
        await profile('hand-written, bash', lastIds.baseline);
      }
      if (c.id === 'bash-batch') {
        await shape('tempoflow, bash-batch', lastIds.tempoflow);
        await shape('hand-written, one activity', lastIds.baseline);
      }
      console.error(`  ${c.id}: ${fmt(c, f.tempoflow)} / baseline ${fmt(c, f.baseline)} / ddeutil ${fmt(c, f.ddeutil)}`);
    }
  });
} finally {
  await runtime.close();
  await connection.close();
  server.stop();
}

console.log(
  `\nbench/peers on ${server.label}; scale ${SCALE}, median of ${REPS}${WARM_UP ? ' after a warm-up run of each side' : ', no warm-up'}, the side that goes first alternating${PRELOAD ? '' : '; workflow modules not preloaded (--no-preload)'}; ddeutil-workflow ${'python' in dd ? DDEUTIL_VERSION : `skipped (${dd.skipped})`}`,
);
console.log('ratios are tempoflow / other for times, other / tempoflow for runs/s (below 1.0 = tempoflow faster);');
console.log('÷ baseline: the ratio of the medians, and in brackets the lowest and highest ratio of one rep (each rep runs both, one after the other);');
console.log("a target against the baseline is met when the per-rep ratios' median interval (bench/stats.ts) is within it, not met when it is all outside, else within the noise\n");
console.log('| workload | tempoflow | hand-written Temporal | ddeutil-workflow | ÷ baseline | ÷ ddeutil | target |');
console.log('|---|---|---|---|---|---|---|');
for (const { c, f } of rows) {
  const spread = f.baselineRatios ? ` (${Math.min(...f.baselineRatios).toFixed(2)}–${Math.max(...f.baselineRatios).toFixed(2)})` : '';
  const vsBase = f.baseline === undefined ? '—' : (c.concurrent ? f.baseline / f.tempoflow : f.tempoflow / f.baseline).toFixed(2) + spread;
  const vsDd = f.ddeutil === undefined ? '—' : (f.tempoflow / f.ddeutil).toFixed(2);
  console.log(
    `| ${c.title} | ${fmt(c, f.tempoflow)} | ${fmt(c, f.baseline)} | ${c.noDdeutil && 'python' in dd ? `— (${c.noDdeutil})` : fmt(c, f.ddeutil)} | ${vsBase} | ${vsDd} | ${c.target?.(f) ?? ''} |`,
  );
}
if (ddeutilFailures.length) console.log(`\nddeutil-workflow reps without a figure (left out of its medians): ${ddeutilFailures.join('; ')}`);
if (profiles.length) {
  console.log("\nWhere a sequential stage's milliseconds go (mean per activity, from history event timestamps of the last run):\n");
  console.log('| run | activities | schedule-to-start | start-to-close | completion-to-workflow-task | workflow task | to next schedule | per stage |');
  console.log('|---|---|---|---|---|---|---|---|');
  const f = (x: number) => `${x.toFixed(1)} ms`;
  for (const { label, b } of profiles) {
    console.log(
      `| ${label} | ${b.activities} | ${f(b.scheduleToStart)} | ${f(b.startToClose)} | ${f(b.completionToWorkflowTask)} | ${f(b.workflowTask)} | ${f(b.toNextSchedule)} | ${f(b.perStage)} |`,
    );
  }
}
if (cpuPerRun.size) {
  const roles: ThreadRole[] = ['workflow threads', 'main', 'V8 helpers (GC, compiler)', 'Temporal core (Rust)', 'other'];
  console.log('\nCPU per run (all reps; stage processes not included), and this process by thread (Linux /proc):\n');
  console.log(`| workload | run | server processes | this process (worker, workflow threads, client) | ${roles.join(' | ')} |`);
  console.log(`|---|---|---|---|${roles.map(() => '---|').join('')}`);
  for (const { c } of rows) {
    const sides = cpuPerRun.get(c.id);
    if (!sides) continue;
    for (const side of ['tempoflow', 'baseline'] as const) {
      const t = sides[side];
      const perRun = (ms: number) => `${(ms / t.runs).toFixed(1)} ms`;
      console.log(`| ${c.id} | ${side === 'tempoflow' ? 'tempoflow' : 'hand-written'} | ${perRun(t.server)} | ${perRun(t.bench)} | ${roles.map((r) => perRun(t.threads.get(r) ?? 0)).join(' | ')} |`);
    }
  }
}
if (shapes.length) {
  console.log("\nWhere a batched run's milliseconds go (history event timestamps of the last run):\n");
  console.log('| run | activities | start to first activity | in activities | last activity to close | total |');
  console.log('|---|---|---|---|---|---|');
  const f = (x: number) => `${x.toFixed(1)} ms`;
  for (const { label, s } of shapes) console.log(`| ${label} | ${s.activities} | ${f(s.beforeFirstActivity)} | ${f(s.inActivities)} | ${f(s.afterLastActivity)} | ${f(s.total)} |`);
}
