/**
 * The worker layout of the cluster suite, as docs/deploy.md describes it for several
 * machines: two `tempoflow worker` processes on one task queue and a third serving a
 * `runs-on: self-hosted` queue, each in its own working directory (as if on its own
 * machine), sharing only the workspace, audit and trace paths (the shared storage of
 * docs/operations.md "Several machines"). Also: the cluster script and its services.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TempoflowRuntime } from '../../src/client/runtime.js';
import { tempDir, testRuntime, uniqueTaskQueue } from '../helpers/temporal.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

const root = resolve(import.meta.dirname, '../..');

/** Workers of the docker-compose `worker` service's layout: a main pool and a self-hosted pool. */
export interface WorkerPool {
  /** The main pool's task queue (two workers). */
  readonly taskQueue: string;
  /** The `runs-on: { type: self-hosted, task-queue: ... }` queue (one worker). */
  readonly selfHostedQueue: string;
  /** The shared storage: `workspaces/`, `audits/`, `traces/`. */
  readonly shared: string;
  /** Environment of every worker (and of CLIs that read the audit store). */
  readonly env: Readonly<Record<string, string>>;
  /** The main pool's workers by name (`a`, `b`); replaced ones keep their name. */
  readonly workers: Map<string, WorkerProcess>;
  readonly selfHosted: WorkerProcess;
  readonly runtime: TempoflowRuntime;
  /** Starts (again) the main-pool worker of that name; resolves when it serves the queue. */
  start(name: string): Promise<WorkerProcess>;
  /** SIGTERMs every worker and closes the client. */
  stop(): Promise<void>;
}

/** Starts the pool; every worker writes `$TEMPOFLOW_TEST_WORKER` (its name) for stages to print. */
export async function startPool(prefix: string): Promise<WorkerPool> {
  const taskQueue = uniqueTaskQueue(prefix);
  const selfHostedQueue = `${taskQueue}-self-hosted`;
  const shared = tempDir('tf-shared-');
  for (const d of ['workspaces', 'audits', 'traces']) mkdirSync(join(shared, d));
  const env = {
    WORKFLOW_CORE_WORKSPACE_PATH: join(shared, 'workspaces'),
    WORKFLOW_CORE_AUDIT_PATH: join(shared, 'audits'),
    WORKFLOW_CORE_TRACE_PATH: join(shared, 'traces'),
  };
  const workers = new Map<string, WorkerProcess>();
  const start = async (name: string) => {
    const w = startWorkerProcess(taskQueue, tempDir(`tf-machine-${name}-`), { ...env, TEMPOFLOW_TEST_WORKER: name });
    workers.set(name, w);
    await w.ready;
    return w;
  };
  const selfHosted = startWorkerProcess(selfHostedQueue, tempDir('tf-machine-sh-'), { ...env, TEMPOFLOW_TEST_WORKER: 'self-hosted' });
  await Promise.all([start('a'), start('b'), selfHosted.ready]);
  const runtime = await testRuntime(taskQueue);
  return {
    taskQueue,
    selfHostedQueue,
    shared,
    env,
    workers,
    selfHosted,
    runtime,
    start,
    stop: async () => {
      await Promise.all([...workers.values(), selfHosted].map((w) => w.kill('SIGTERM')));
      await runtime.close();
    },
  };
}

/** Runs `scripts/cluster.sh <args>` and returns its stdout. */
export function cluster(...args: string[]): string {
  return execFileSync('bash', [join(root, 'scripts/cluster.sh'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 180_000 });
}

/** Lines of a file that stages append to (empty when absent). */
export const lines = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);
