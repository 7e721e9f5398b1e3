/**
 * `tempoflow worker`: serves a task queue on the configured Temporal server
 * (`TEMPORAL_ADDRESS`, or this directory's embedded one) through
 * `startWorkerHost`. SIGTERM and SIGINT shut it down gracefully: running
 * stages get the shutdown grace time.
 */
import { cpus } from 'node:os';
import type { Command } from 'commander';
import { DEFAULT_TASK_QUEUE } from '../client/runtime.js';
import { startWorkerHost } from '../client/worker-host.js';
import { action, ExitCode, info, positiveNumber } from './common.js';

/** Options of `tempoflow worker`. */
export interface WorkerOptions {
  taskQueue?: string;
  maxConcurrentStages?: number;
}

/** `tempoflow worker`: until SIGTERM or SIGINT. */
export async function workerCommand(opts: WorkerOptions = {}): Promise<ExitCode> {
  const host = await startWorkerHost({
    taskQueue: opts.taskQueue ?? process.env.WORKFLOW_CORE_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
    maxConcurrentStages: opts.maxConcurrentStages ?? 2 * cpus().length,
    log: info,
  });
  const stop = () => {
    info('shutting down the worker (running stages get the shutdown grace time)...');
    host.shutdown();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  info(`worker ${process.pid} serving task queue '${host.taskQueue}' on ${host.address} (namespace ${host.namespace})${host.codecKeyId ? `; payloads encrypted with key ${host.codecKeyId}` : ''}`);
  await host.run();
  info('worker stopped');
  return ExitCode.OK;
}

export function register(program: Command): void {
  program
    .command('worker')
    .description('run a worker for a task queue until SIGTERM')
    .option('--task-queue <name>', 'task queue to serve', process.env.WORKFLOW_CORE_TASK_QUEUE ?? DEFAULT_TASK_QUEUE)
    .option('--max-concurrent-stages <n>', 'stages running at once (default 2 x cores)', positiveNumber('--max-concurrent-stages'))
    .action(action(workerCommand));
}
