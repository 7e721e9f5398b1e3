/**
 * The connection a process uses: a Temporal client, plus — in the embedded
 * default — a shared local dev server and, unless `tempoflow dev` serves it,
 * an in-process worker.
 *
 * With `TEMPORAL_ADDRESS` (or a Temporal config profile) set, it connects to
 * that server and starts nothing; workers run as `tempoflow worker`.
 *
 * On the embedded server, the one place that runs work is `tempoflow dev`
 * when it is up (ARCHITECTURE.md, "The embedded default"): a process that
 * attaches while it runs starts no worker, so no short-lived command ever
 * takes (and, ending, interrupts) a stage of another command's run. Without
 * it, a process runs its own worker on a task queue private to it, for the
 * same reason.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { DefaultLogger, NativeConnection, Runtime, type NativeConnectionOptions, type Worker } from '@temporalio/worker';
import { dataConverterFromEnv } from '../codec/index.js';
import { createWorker, DEFAULT_TASK_QUEUE } from '../worker/index.js';

export { DEFAULT_TASK_QUEUE };
import { acquireEmbeddedServer, findWorkerHost, registerWorkerHost, type EmbeddedServerLease, type WorkerHostRecord } from './embedded-server.js';
import { ensureSearchAttributes, type SearchAttributeStatus } from './search-attributes.js';

export interface RuntimeOptions {
  /** Task queue of runs and stages; default `WORKFLOW_CORE_TASK_QUEUE` or `tempoflow`. */
  readonly taskQueue?: string;
  /**
   * Start a worker in this process. Default: on the embedded server only,
   * and only when no long-lived worker (`tempoflow dev`) serves the task
   * queue; that worker then polls a task queue private to this process
   * (`<task queue>-<pid>-<random>`), which this process's runs use.
   * `true` starts one on the task queue as given; `false` never starts one.
   */
  readonly inProcessWorker?: boolean;
  /**
   * This process is the long-lived worker of the embedded server
   * (`tempoflow dev`): it serves the shared task queue and records itself so
   * that commands attaching to the server start no worker of their own.
   * Implies `inProcessWorker`.
   */
  readonly hostWorker?: boolean;
  /**
   * Level of the Temporal SDK's own logs (worker state, workflow log lines)
   * when this process has not set one (`installSdkLogger`): `trace`,
   * `debug`, `info`, `warn`, `error`. Default `TEMPOFLOW_LOG_LEVEL`, else
   * `warn`, so a script using the library prints only what matters.
   */
  readonly logLevel?: string;
  /** Progress messages. */
  readonly log?: (message: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  /** Connect to this server instead of reading the environment. */
  readonly server?: { readonly address: string; readonly namespace?: string };
  /** Data converter of the client and the in-process worker; default `dataConverterFromEnv(env)` (encryption when `TEMPOFLOW_CODEC_KEY` is set). */
  readonly dataConverter?: DataConverter;
}

/** True when the environment names a Temporal server to use instead of the embedded one. */
export function remoteConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.TEMPORAL_ADDRESS || env.TEMPORAL_PROFILE || env.TEMPORAL_CONFIG_FILE);
}

/** A live connection to Temporal, with what this process started for it. */
export class TempoflowRuntime {
  private worker?: Worker;
  private workerRun?: Promise<void>;
  private unregisterHost?: () => void;
  private closed = false;
  /**
   * The long-lived worker (`tempoflow dev`) that serves this process's runs
   * on the embedded server, when this process attached to one instead of
   * starting a worker.
   */
  workerHost?: WorkerHostRecord;
  /** tempoflow's search attributes the server has (registered on connect); runs carry only these. */
  searchAttributes: SearchAttributeStatus = { available: new Set() };

  private constructor(
    readonly client: Client,
    readonly connection: Connection,
    readonly namespace: string,
    readonly taskQueue: string,
    readonly address: string,
    /** Base URL of the Web UI, when known. */
    readonly uiUrl: string | undefined,
    private readonly embedded: EmbeddedServerLease | undefined,
  ) {}

  /** True when this process uses the embedded dev server. */
  get isEmbedded(): boolean {
    return this.embedded !== undefined;
  }

  /** True when this process started the embedded server (it stops when the process leaves, unless another uses it). */
  get startedEmbeddedServer(): boolean {
    return this.embedded?.started ?? false;
  }

  /** True when a worker runs in this process. */
  get hasWorker(): boolean {
    return this.worker !== undefined;
  }

  /** The embedded server's state folder (`.tempoflow`), when this process uses it. */
  get stateDir(): string | undefined {
    return this.embedded?.stateDir;
  }

  /** Connects per the environment (embedded default, or `TEMPORAL_ADDRESS`). */
  static async connect(options: RuntimeOptions = {}): Promise<TempoflowRuntime> {
    const env = options.env ?? process.env;
    const log = options.log ?? (() => undefined);
    const sharedQueue = options.taskQueue ?? env.WORKFLOW_CORE_TASK_QUEUE ?? DEFAULT_TASK_QUEUE;
    let embedded: EmbeddedServerLease | undefined;
    let address: string;
    let namespace: string;
    let connectionOptions: NativeConnectionOptions;
    let uiUrl: string | undefined;
    if (options.server) {
      address = options.server.address;
      namespace = options.server.namespace ?? 'default';
      connectionOptions = { address };
    } else if (remoteConfigured(env)) {
      const config = loadClientConnectConfig({ overrideEnvVars: env as Record<string, string> });
      address = config.connectionOptions.address ?? 'localhost:7233';
      namespace = config.namespace ?? env.TEMPORAL_NAMESPACE ?? 'default';
      connectionOptions = config.connectionOptions;
      uiUrl = env.TEMPORAL_UI_URL;
    } else {
      embedded = await acquireEmbeddedServer({ log });
      address = embedded.record.address;
      namespace = embedded.record.namespace;
      connectionOptions = { address };
      uiUrl = embedded.record.uiUrl;
    }
    let connection: Connection;
    try {
      connection = await Connection.connect({ ...connectionOptions, connectTimeout: 10_000 });
    } catch (err) {
      await embedded?.release();
      throw new Error(`cannot connect to Temporal at ${address}: ${(err as Error).message}`, { cause: err });
    }
    const dataConverter = options.dataConverter ?? dataConverterFromEnv(env);
    const client = new Client({ connection, namespace, ...(dataConverter ? { dataConverter } : {}) });
    // Who runs this process's work (see the module doc).
    const host = embedded && !options.hostWorker ? findWorkerHost(sharedQueue, embedded.stateDir) : undefined;
    const workerWanted = options.hostWorker || (options.inProcessWorker ?? (embedded !== undefined && host === undefined));
    const privateQueue = workerWanted && !options.hostWorker && options.inProcessWorker === undefined;
    const taskQueue = privateQueue ? `${sharedQueue}-${process.pid}-${randomUUID().slice(0, 8)}` : sharedQueue;
    const runtime = new TempoflowRuntime(client, connection, namespace, taskQueue, address, uiUrl, embedded);
    if (host && options.inProcessWorker === undefined) runtime.workerHost = host;
    // Register TfWorkflow/TfReleaseType/TfReleaseTime (a no-op when they exist); without them runs go on.
    runtime.searchAttributes = await ensureSearchAttributes(connection, namespace, { register: env.TEMPOFLOW_REGISTER_SEARCH_ATTRIBUTES !== 'false' });
    if (runtime.searchAttributes.problem) log(`warning: ${runtime.searchAttributes.problem}`);
    if (workerWanted) {
      try {
        // Only a worker uses the SDK's runtime (and its logger); a client-only process creates none.
        installDefaultSdkLogger(options.logLevel ?? env.TEMPOFLOW_LOG_LEVEL ?? 'warn');
        await runtime.startWorker(connectionOptions, dataConverter);
      } catch (err) {
        await runtime.close();
        throw err;
      }
      if (options.hostWorker && embedded) runtime.unregisterHost = registerWorkerHost(embedded.stateDir, taskQueue, 'tempoflow dev');
    }
    return runtime;
  }

  private async startWorker(connectionOptions: NativeConnectionOptions, dataConverter: DataConverter | undefined): Promise<void> {
    const nativeConnection = await NativeConnection.connect(connectionOptions);
    this.worker = await createWorker({ connection: nativeConnection, namespace: this.namespace, taskQueue: this.taskQueue, ...(dataConverter ? { dataConverter } : {}) });
    const worker = this.worker;
    this.workerRun = worker.run().finally(() => nativeConnection.close());
  }

  /** Web UI link of a run, when the UI is known. */
  uiLink(workflowId: string, runId?: string): string | undefined {
    if (!this.uiUrl) return undefined;
    const base = `${this.uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(this.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
    return runId ? `${base}/${encodeURIComponent(runId)}/history` : base;
  }

  /** Stops the in-process worker, closes the connection, leaves the embedded server. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unregisterHost?.();
    if (this.worker && this.worker.getState() === 'RUNNING') this.worker.shutdown();
    await this.workerRun?.catch(() => undefined);
    await this.connection.close().catch(() => undefined);
    await this.embedded?.release();
  }
}

let shared: Promise<TempoflowRuntime> | undefined;
let users = 0;
let idleTimer: NodeJS.Timeout | undefined;

/** Milliseconds the shared runtime stays up after its last user leaves. */
const IDLE_CLOSE_MS = 1500;

/**
 * Runs `fn` with the process's shared runtime. The runtime starts on first
 * use, is shared by concurrent calls, and closes itself shortly after the
 * last call ends, so a script that calls `execute()` exits on its own.
 */
export async function withSharedRuntime<T>(fn: (runtime: TempoflowRuntime) => Promise<T>, options: RuntimeOptions = {}): Promise<T> {
  users++;
  if (idleTimer) {
    clearTimeout(idleTimer);
    idleTimer = undefined;
  }
  try {
    if (!shared) {
      shared = TempoflowRuntime.connect(options);
      shared.catch(() => {
        shared = undefined;
      });
    }
    return await fn(await shared);
  } finally {
    users--;
    if (users === 0 && shared) {
      const current = shared;
      idleTimer = setTimeout(() => {
        if (users === 0 && shared === current) {
          shared = undefined;
          void current.then((r) => r.close()).catch(() => undefined);
        }
      }, IDLE_CLOSE_MS);
    }
  }
}

/** Closes the shared runtime now (e.g. before `process.exit`). */
export async function closeSharedRuntime(): Promise<void> {
  if (idleTimer) clearTimeout(idleTimer);
  const current = shared;
  shared = undefined;
  if (current) await (await current.catch(() => undefined))?.close();
}

/**
 * Sets the level of the Temporal SDK's own logs (worker, workflow `log`) for
 * this process: `trace`, `debug`, `info`, `warn` or `error`. Call it before
 * the first connection; the SDK's runtime takes it once.
 */
export function installSdkLogger(level: string): void {
  Runtime.install({ logger: new DefaultLogger(sdkLogLevel(level)) });
}

const SDK_LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;

function sdkLogLevel(level: string): (typeof SDK_LOG_LEVELS)[number] {
  const upper = level.trim().toUpperCase();
  const known = SDK_LOG_LEVELS.find((l) => l === upper || (upper === 'WARNING' && l === 'WARN'));
  if (!known) throw new Error(`unknown log level '${level}'; use one of ${SDK_LOG_LEVELS.map((l) => l.toLowerCase()).join(', ')}`);
  return known;
}

/** Installs the SDK logger at `level` unless this process already has an SDK runtime (its logger stays). */
function installDefaultSdkLogger(level: string): void {
  if (Runtime._instance !== undefined) return;
  installSdkLogger(level);
}
