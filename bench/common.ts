/** Shared pieces of the benchmarks: the server they run on, an in-process worker's activities and sinks, a worker process and its peak RSS. */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { WorkflowStartOptions } from '@temporalio/client';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { activityConfigFromEnv, createActivities, type ActivityConfig } from '../src/activities/index.js';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../src/client/embedded-server.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../src/client/search-attributes.js';
import { workflowBundleOptions } from '../src/worker/bundle-options.js';
import { createSinks, DEFAULT_MAX_CACHED_WORKFLOWS } from '../src/worker/index.js';
import { startDevServer } from '../test/helpers/dev-server.js';
import type { BashStageInput } from '../src/activities/types.js';
import { baselineStageInput } from './peers-inputs.js';
import type { BaselineBatchActivities } from './peers-workflows.js';

const root = resolve(import.meta.dirname, '..');

/** The webpack configuration the SDK's bundler hands to `webpackConfigHook`. */
type WebpackConfiguration = Parameters<NonNullable<NonNullable<WorkerOptions['bundlerOptions']>['webpackConfigHook']>>[0];

/**
 * The activities and sinks of an in-process bench worker, from one activity
 * config (workspaces and traces under `dir`), as `createWorker` gives them.
 */
export function workerParts(dir: string, overrides: Partial<ActivityConfig> = {}): { activities: ReturnType<typeof createActivities>; sinks: ReturnType<typeof createSinks> } {
  const config = { ...activityConfigFromEnv(process.env, dir), ...overrides };
  return { activities: createActivities(config), sinks: createSinks(config) };
}

/** The workflow of bench/peers' concurrent case: a chain of 3 one-stage `bash: "true"` jobs, named `name`. */
export const chain3Yaml = (name: string): string =>
  `${name}:\n  type: Workflow\n  jobs:\n    a:\n      stages: [{ name: A, bash: "true" }]\n    b:\n      needs: [a]\n      stages: [{ name: B, bash: "true" }]\n    c:\n      needs: [b]\n      stages: [{ name: C, bash: "true" }]\n`;
/** The concurrent case's chain, named `chain3`. */
export const CHAIN3_YAML = chain3Yaml('chain3');

/**
 * What a tempoflow start sends besides the run's input (src/client/workflow.ts): a
 * summary and the `TfWorkflow` search attribute. The hand-written chain with a run's
 * features (`baselineBashChainWithRunFeatures`) is started with them.
 */
export function runFeatureStart(name: string): Pick<WorkflowStartOptions, 'staticSummary' | 'typedSearchAttributes'> {
  return { staticSummary: `tempoflow: ${name}`, typedSearchAttributes: [{ key: SEARCH_ATTRIBUTE_KEYS.workflow, value: name }] };
}

/**
 * The in-process worker of the side-by-side benches (peers, promises, server-requests):
 * tempoflow's workflows and the hand-written baselines of `bench/peers-workflows.ts`
 * on one worker, so both sides have the same settings: those of `tempoflow worker`
 * (16 concurrent stages, a 1 s heartbeat flush, 200 cached runs) and the deployed
 * bundle's ES2022 target and preloaded modules ({@link benchWorkflowSource}). `overrides` changes worker
 * options (`debugMode`, the stages at once).
 */
export function peersWorker(connection: NativeConnection, taskQueue: string, dir: string, overrides: Partial<WorkerOptions> = {}): Promise<Worker> {
  const parts = workerParts(dir);
  return Worker.create({
    connection,
    taskQueue,
    ...benchWorkflowSource(resolve(import.meta.dirname, 'peers-workflows.ts')),
    ...parts,
    activities: { ...parts.activities, ...baselineBatchActivities(parts.activities.bashStage) },
    maxConcurrentActivityTaskExecutions: 16,
    maxHeartbeatThrottleInterval: '1s',
    maxCachedWorkflows: DEFAULT_MAX_CACHED_WORKFLOWS,
    ...overrides,
  });
}

/**
 * The workflow code of an in-process bench worker, bundled from the sources at
 * `workflowsPath` as `dist/workflow-bundle.js` is: with tempoflow's bundle
 * options (src/worker/bundle-options.ts: the modules preloaded; `preload: false`
 * evaluates them for each workflow execution, as before 2026-12-03), and compiled
 * for ES2022. The SDK's swc loader compiles TypeScript for ES2017, which turns
 * object spreads and class fields into helper calls; `tempoflow worker` loads
 * `dist/workflow-bundle.js`, built from `tsc`'s ES2022 output with native ones.
 * Compiling for ES2022 here runs the same constructs a deployed worker runs.
 */
export function benchWorkflowSource(workflowsPath: string, { preload = true } = {}): Pick<WorkerOptions, 'workflowsPath' | 'bundlerOptions'> {
  const { preloadModules } = workflowBundleOptions(workflowsPath);
  return { workflowsPath, bundlerOptions: { ...es2022BundlerOptions, ...(preload ? { preloadModules } : {}) } };
}

/** The bundler options of {@link benchWorkflowSource} but the modules preloaded: the ES2022 target. */
const es2022BundlerOptions: NonNullable<WorkerOptions['bundlerOptions']> = {
  webpackConfigHook(config: WebpackConfiguration): WebpackConfiguration {
    let found = false;
    for (const rule of config.module?.rules ?? []) {
      const use = rule && typeof rule === 'object' && !Array.isArray(rule.use) && typeof rule.use === 'object' ? rule.use : undefined;
      const options = use && typeof use.options === 'object' ? (use.options as { jsc?: { target?: string } }) : undefined;
      if (use?.loader?.includes('swc-loader') && options?.jsc) {
        options.jsc.target = 'es2022';
        found = true;
      }
    }
    // The SDK's bundler config changed shape: say so rather than measure the ES2017 bundle unknowingly.
    if (!found) throw new Error("bench: no swc-loader rule in the SDK's webpack config to compile for ES2022 (es2022BundlerOptions in bench/common.ts)");
    return config;
  },
};

/** The Temporal server a benchmark runs on. */
export interface BenchServer {
  /** `dev`: a throwaway dev server; `cluster`: scripts/cluster.sh; `address`: one already running. */
  readonly kind: 'dev' | 'cluster' | 'address';
  /** gRPC `host:port` of the frontend. */
  readonly address: string;
  /** One line for the report, e.g. "cluster (scripts/cluster.sh: PostgreSQL, 4 services) at 127.0.0.1:7233". */
  readonly label: string;
  /** The server's processes on this machine (for {@link cpuSeconds}); empty for `address`. */
  pids(): number[];
  /** Stops what the selection started (a dev server; a cluster that was not up before). */
  stop(): void;
}

/**
 * The dynamic config of a bench's dev server: tempoflow's (`DEV_SERVER_DYNAMIC_CONFIG`),
 * none of it with `--server-defaults`, and each `--server-config KEY=JSON` on top
 * (`--server-config history.transferProcessorMaxPollRPS=20` measures one setting's gain).
 */
export function benchDynamicConfig(args: readonly string[]): Record<string, boolean | number | string> {
  const config: Record<string, boolean | number | string> = args.includes('--server-defaults') ? {} : { ...DEV_SERVER_DYNAMIC_CONFIG };
  args.forEach((arg, i) => {
    if (arg !== '--server-config') return;
    const pair = args[i + 1] ?? '';
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--server-config needs KEY=JSON (e.g. history.transferProcessorMaxPollRPS=20), got '${pair}'`);
    let value: unknown;
    try {
      value = JSON.parse(pair.slice(eq + 1));
    } catch {
      throw new Error(`--server-config ${pair}: the value is not JSON (strings need quotes)`);
    }
    if (typeof value !== 'boolean' && typeof value !== 'number' && typeof value !== 'string') throw new Error(`--server-config ${pair}: the value must be a boolean, number or string`);
    config[pair.slice(0, eq)] = value;
  });
  return config;
}

/** One line naming a dev server's dynamic config, for a bench's report. */
export function dynamicConfigLabel(config: Readonly<Record<string, boolean | number | string>>): string {
  const entries = Object.entries(config);
  return entries.length === 0 ? "Temporal's default dynamic config" : `dynamic config ${entries.map(([k, v]) => `${k}=${String(v)}`).join(', ')}`;
}

/**
 * The server of a benchmark, from `--server dev|cluster|<host:port>` in `args`, else
 * `TEMPORAL_ADDRESS`, else `dev`:
 *
 * - `dev`: a throwaway Temporal CLI dev server (SQLite in memory), stopped at the end;
 * - `cluster`: the real cluster of `scripts/cluster.sh` (PostgreSQL, frontend, history,
 *   matching and worker services as separate processes), brought up when it is not
 *   (and then brought down at the end);
 * - `<host:port>`: a server that is already running, left alone.
 */
export async function selectServer(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<BenchServer> {
  const i = args.indexOf('--server');
  const choice = i >= 0 ? args[i + 1] : env.TEMPORAL_ADDRESS ? env.TEMPORAL_ADDRESS : 'dev';
  if (!choice) throw new Error('--server needs a value: dev, cluster or host:port');
  if (choice === 'dev') {
    const dynamicConfig = benchDynamicConfig(args);
    const server = await startDevServer({ log: (m) => console.error(m), dynamicConfig });
    return {
      kind: 'dev',
      address: server.address,
      label: `dev server (Temporal CLI, SQLite in memory, ${dynamicConfigLabel(dynamicConfig)}) at ${server.address}`,
      pids: () => [server.pid],
      stop: () => server.stop(),
    };
  }
  if (choice === 'cluster') {
    const script = join(root, 'scripts/cluster.sh');
    const wasUp = spawnSync('bash', [script, 'status'], { stdio: 'ignore' }).status === 0;
    const out = execFileSync('bash', [script, 'up'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const address = /^TEMPORAL_ADDRESS=(.+)$/m.exec(out)?.[1];
    if (!address) throw new Error(`scripts/cluster.sh up printed no TEMPORAL_ADDRESS:\n${out}`);
    return {
      kind: 'cluster',
      address,
      label: `cluster (scripts/cluster.sh: PostgreSQL, frontend/history/matching/worker processes) at ${address}`,
      pids: () =>
        ['postgres', 'frontend', 'history', 'matching', 'worker'].flatMap((svc) => {
          const r = spawnSync('bash', [script, 'pid', svc], { encoding: 'utf8' });
          return r.status === 0 ? [Number(r.stdout.trim())] : [];
        }),
      stop: () => {
        if (!wasUp) execFileSync('bash', [script, 'down'], { stdio: 'inherit' });
      },
    };
  }
  if (!/^[^\s:]+:\d+$/.test(choice)) throw new Error(`--server ${choice}: expected dev, cluster or host:port`);
  return { kind: 'address', address: choice, label: `server at ${choice}`, pids: () => [], stop: () => undefined };
}

/** The `batch` baseline's activity: the same `bashStage` activity function, called in a loop in one activity. */
export function baselineBatchActivities(bashStage: (input: BashStageInput) => Promise<{ ok: boolean }>): BaselineBatchActivities {
  return {
    async baselineBashLoop({ runId, n }) {
      let ok = 0;
      for (let i = 0; i < n; i++) if ((await bashStage(baselineStageInput(runId, `s${i}`))).ok) ok++;
      return ok;
    },
  };
}

/** Clock ticks per second of /proc/<pid>/stat times (`getconf CLK_TCK`, 100 on Linux). */
const CLOCK_TICKS = 100;

/** The fields of a /proc `stat` file from field 3 (state) on, or undefined once the process or thread is gone. */
function statFields(path: string): string[] | undefined {
  try {
    const text = readFileSync(path, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds (user + system) used so far by each process, its reaped children (a
 * worker's stage processes) and its live children (PostgreSQL's backends).
 */
export function cpuSeconds(pids: readonly number[]): number {
  const stat = (pid: number) => statFields(`/proc/${pid}/stat`);
  const ticks = (f: string[], withReaped: boolean) => Number(f[11]) + Number(f[12]) + (withReaped ? Number(f[13]) + Number(f[14]) : 0);
  const wanted = new Set(pids);
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = stat(Number(entry));
    if (!f) continue;
    if (wanted.has(Number(entry))) total += ticks(f, true);
    else if (wanted.has(Number(f[1]))) total += ticks(f, false); // a live child
  }
  return total / CLOCK_TICKS;
}

/** This process's threads, grouped by what they do (see {@link threadRoles}). */
export type ThreadRole = 'main' | 'workflow threads' | 'V8 helpers (GC, compiler)' | 'Temporal core (Rust)' | 'other';

/** CPU milliseconds of one thread of this process so far, or undefined once it has exited. */
function threadCpuMs(tid: string): number | undefined {
  const f = statFields(`/proc/self/task/${tid}/stat`);
  return f && ((Number(f[11]) + Number(f[12])) / CLOCK_TICKS) * 1000;
}

const threadName = (tid: string): string => {
  try {
    return readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};

/**
 * Sorts this process's threads by role, for a CPU split (Linux only). Call it
 * once before `Worker.create`: the threads Node names `node` that exist then
 * are V8's platform workers (GC, compiler); those that appear later are the
 * SDK's workflow threads (worker_threads, also named `node`). Temporal core's
 * Rust threads are `tokio-runtime-w`. Returns the role of a thread id.
 */
export function threadRoles(): (tid: string) => ThreadRole {
  const before = new Set(readdirSync('/proc/self/task').filter((tid) => threadName(tid) === 'node'));
  const main = String(process.pid);
  return (tid) => {
    if (tid === main) return 'main';
    const name = threadName(tid);
    if (name.startsWith('tokio-runtime')) return 'Temporal core (Rust)';
    if (name !== 'node') return 'other';
    return before.has(tid) ? 'V8 helpers (GC, compiler)' : 'workflow threads';
  };
}

/** CPU milliseconds so far of this process's threads by role; exited threads drop out (compare snapshots taken while they live). */
export function cpuByThreadRole(roleOf: (tid: string) => ThreadRole): Map<ThreadRole, number> {
  const byRole = new Map<ThreadRole, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const ms = threadCpuMs(tid);
    if (ms === undefined) continue;
    const role = roleOf(tid);
    byRole.set(role, (byRole.get(role) ?? 0) + ms);
  }
  return byRole;
}

/** Peak resident set size (VmHWM) of a process, in MB. */
export function peakRssMb(pid: number): number {
  const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return kb / 1024;
}

/** Starts the built `tempoflow worker` (dist/) on a queue; resolves once it serves it. */
export function startWorker(address: string, taskQueue: string, dir: string, maxConcurrentStages: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(root, 'dist/src/cli/main.js'), 'worker', '--task-queue', taskQueue, '--max-concurrent-stages', String(maxConcurrentStages)], {
    cwd: dir,
    env: { ...process.env, TEMPORAL_ADDRESS: address },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((res, rej) => {
    let out = '';
    child.stderr!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('serving task queue')) res(child);
    });
    child.once('exit', (code) => rej(new Error(`worker exited (${code}): ${out}`)));
  });
}
