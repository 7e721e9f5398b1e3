/**
 * A worker process's connection and worker (`tempoflow worker`): the server
 * the environment names (`TEMPORAL_ADDRESS` or a Temporal profile, else this
 * directory's embedded one), the payload codec of `TEMPOFLOW_CODEC_KEY`, and
 * the worker tuning of `TEMPOFLOW_SHUTDOWN_GRACE_MS` and
 * `TEMPOFLOW_STICKY_QUEUE_TIMEOUT_MS`.
 */
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection } from '@temporalio/worker';
import { codecFromEnv, encryptingDataConverter } from '../codec/index.js';
import { createWorker } from '../worker/index.js';
import { acquireEmbeddedServer, registerWorkerHost } from './embedded-server.js';
import { remoteConfigured } from './runtime.js';

/** Options of `startWorkerHost()`. */
export interface WorkerHostOptions {
  readonly taskQueue: string;
  /** Stages running at once. */
  readonly maxConcurrentStages: number;
  /** Progress messages (e.g. starting the embedded server). */
  readonly log?: (message: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}

/** A worker serving a task queue, with what it is connected to. */
export interface WorkerHost {
  readonly address: string;
  readonly namespace: string;
  readonly taskQueue: string;
  /** Id of the key payloads are encrypted with, when `TEMPOFLOW_CODEC_KEY` is set. */
  readonly codecKeyId?: string;
  /** Runs until `shutdown()` (running stages get the shutdown grace time), then closes the connection and leaves the embedded server. */
  run(): Promise<void>;
  shutdown(): void;
}

/**
 * Connects and creates the worker. Throws before anything runs when
 * `TEMPOFLOW_CODEC_KEY` is malformed (naming the variable) or the server
 * cannot be reached.
 */
export async function startWorkerHost(options: WorkerHostOptions): Promise<WorkerHost> {
  const env = options.env ?? process.env;
  const remote = remoteConfigured(env);
  const lease = remote ? undefined : await acquireEmbeddedServer({ ...(options.log ? { log: options.log } : {}) });
  const config = remote ? loadClientConnectConfig({ overrideEnvVars: env as Record<string, string> }) : undefined;
  const address = lease?.record.address ?? config?.connectionOptions.address ?? 'localhost:7233';
  const namespace = lease?.record.namespace ?? config?.namespace ?? env.TEMPORAL_NAMESPACE ?? 'default';
  const msEnv = (name: string) => (env[name] ? Number(env[name]) : undefined);
  let connection: NativeConnection | undefined;
  try {
    const codec = codecFromEnv(env);
    connection = await NativeConnection.connect(config?.connectionOptions ?? { address });
    const worker = await createWorker({
      ...(codec ? { dataConverter: encryptingDataConverter(codec) } : {}),
      connection,
      namespace,
      taskQueue: options.taskQueue,
      maxConcurrentStages: options.maxConcurrentStages,
      ...(msEnv('TEMPOFLOW_SHUTDOWN_GRACE_MS') !== undefined ? { shutdownGraceTime: msEnv('TEMPOFLOW_SHUTDOWN_GRACE_MS') } : {}),
      ...(msEnv('TEMPOFLOW_STICKY_QUEUE_TIMEOUT_MS') !== undefined ? { stickyQueueScheduleToStartTimeout: msEnv('TEMPOFLOW_STICKY_QUEUE_TIMEOUT_MS') } : {}),
    });
    const open = connection;
    // On the embedded server, commands that attach leave the shared queue's work to this worker.
    const unregister = lease ? registerWorkerHost(lease.stateDir, options.taskQueue, 'tempoflow worker') : undefined;
    return {
      address,
      namespace,
      taskQueue: options.taskQueue,
      ...(codec ? { codecKeyId: codec.keyId } : {}),
      run: async () => {
        try {
          await worker.run();
        } finally {
          unregister?.();
          await open.close();
          await lease?.release();
        }
      },
      shutdown: () => worker.shutdown(),
    };
  } catch (err) {
    await connection?.close().catch(() => undefined);
    await lease?.release();
    throw err;
  }
}
