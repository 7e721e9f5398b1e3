/**
 * `tempoflow worker`: serves a task queue on the configured Temporal server
 * (`TEMPORAL_ADDRESS`, or this directory's embedded one). SIGTERM and SIGINT
 * shut it down gracefully: running stages get the shutdown grace time.
 */
import { cpus } from 'node:os';
import type { Command } from 'commander';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection } from '@temporalio/worker';
import { acquireEmbeddedServer } from '../client/embedded-server.js';
import { remoteConfigured } from '../client/runtime.js';
import { codecFromEnv, encryptingDataConverter } from '../codec/index.js';
import { createWorker, DEFAULT_TASK_QUEUE } from '../worker/index.js';
import { action, ExitCode, info, positiveNumber } from './common.js';

export function register(program: Command): void {
  program
    .command('worker')
    .description('run a worker for a task queue until SIGTERM')
    .option('--task-queue <name>', 'task queue to serve', process.env.WORKFLOW_CORE_TASK_QUEUE ?? DEFAULT_TASK_QUEUE)
    .option('--max-concurrent-stages <n>', 'stages running at once (default 2 x cores)', positiveNumber('--max-concurrent-stages'))
    .action(
      action(async (opts: { taskQueue: string; maxConcurrentStages?: number }) => {
        const lease = remoteConfigured() ? undefined : await acquireEmbeddedServer({ log: info });
        const config = remoteConfigured() ? loadClientConnectConfig() : undefined;
        const address = lease?.record.address ?? config?.connectionOptions.address ?? 'localhost:7233';
        const namespace = lease?.record.namespace ?? config?.namespace ?? process.env.TEMPORAL_NAMESPACE ?? 'default';
        const connection = await NativeConnection.connect(config?.connectionOptions ?? { address });
        const msEnv = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
        // A malformed TEMPOFLOW_CODEC_KEY stops the worker here, naming the variable.
        const codec = codecFromEnv();
        const worker = await createWorker({
          ...(codec ? { dataConverter: encryptingDataConverter(codec) } : {}),
          connection,
          namespace,
          taskQueue: opts.taskQueue,
          maxConcurrentStages: opts.maxConcurrentStages ?? 2 * cpus().length,
          ...(msEnv('TEMPOFLOW_SHUTDOWN_GRACE_MS') !== undefined ? { shutdownGraceTime: msEnv('TEMPOFLOW_SHUTDOWN_GRACE_MS') } : {}),
          ...(msEnv('TEMPOFLOW_STICKY_QUEUE_TIMEOUT_MS') !== undefined ? { stickyQueueScheduleToStartTimeout: msEnv('TEMPOFLOW_STICKY_QUEUE_TIMEOUT_MS') } : {}),
        });
        const stop = () => {
          info('shutting down the worker (running stages get the shutdown grace time)...');
          worker.shutdown();
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
        info(`worker ${process.pid} serving task queue '${opts.taskQueue}' on ${address} (namespace ${namespace})${codec ? `; payloads encrypted with key ${codec.keyId}` : ''}`);
        try {
          await worker.run();
        } finally {
          await connection.close();
          await lease?.release();
        }
        info('worker stopped');
        return ExitCode.OK;
      }),
    );
}
