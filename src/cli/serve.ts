/**
 * `tempoflow serve`: the HTTP API, webhooks and the web view on one port
 * (docs/api.md), over the same connection a CLI command uses (the embedded
 * server and an in-process worker, or `TEMPORAL_ADDRESS`). Needs an API token
 * (`TEMPOFLOW_API_TOKEN`, or that secret in the secrets file).
 */
import type { Command } from 'commander';
import { defaultConfPath } from '../config/loader.js';
import type { TempoflowRuntime } from '../client/runtime.js';
import { DEFAULT_HTTP_PORT, startServer, type RunningServer } from '../server/serve.js';
import { action, CliExit, ExitCode, info, positiveNumber } from './common.js';
import { withRuntime } from './with-runtime.js';

/** Options of `tempoflow serve`. */
export interface ServeOptions {
  host?: string;
  port?: number;
  conf?: string;
  corsOrigin?: string[];
  maxBodyBytes?: number;
}

/**
 * Starts the server on `runtime` and prints where it is. `allowOpen`: run
 * without a token on a loopback address (`tempoflow dev`).
 */
export async function startHttp(runtime: TempoflowRuntime, opts: ServeOptions, allowOpen: boolean): Promise<RunningServer> {
  let server: RunningServer;
  try {
    server = await startServer({
      runtime,
      confPath: opts.conf ?? defaultConfPath(),
      ...(opts.host ? { host: opts.host } : {}),
      port: opts.port ?? DEFAULT_HTTP_PORT,
      ...(opts.corsOrigin?.length ? { corsOrigins: opts.corsOrigin } : {}),
      ...(opts.maxBodyBytes ? { bodyLimit: opts.maxBodyBytes } : {}),
      allowOpenOnLoopback: allowOpen,
      log: info,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new CliExit(ExitCode.ERROR, `port ${opts.port ?? DEFAULT_HTTP_PORT} is in use; pick another with --port`);
    if (e.code === undefined) throw new CliExit(ExitCode.INVALID, e.message);
    throw err;
  }
  info(`web view and API: ${server.url}  (API reference: ${server.url}/openapi.json)`);
  if (server.open) info('  no API token is set: the API is open to anyone who can reach this address (loopback only); set TEMPOFLOW_API_TOKEN to require one');
  return server;
}

/** Waits for SIGINT or SIGTERM. */
export function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

/** `tempoflow serve`: until SIGINT or SIGTERM. */
export async function serveCommand(opts: ServeOptions = {}): Promise<ExitCode> {
  return withRuntime({}, async (runtime) => {
    const server = await startHttp(runtime, opts, false);
    info(`Temporal: ${runtime.address} (namespace ${runtime.namespace}); press Ctrl-C to stop`);
    await untilSignal();
    info('stopping...');
    await server.close();
    return ExitCode.OK;
  });
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the HTTP API, webhooks and the web view of runs (needs TEMPOFLOW_API_TOKEN)')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port', positiveNumber('--port'), DEFAULT_HTTP_PORT)
    .option('--conf <path>', 'conf path (default WORKFLOW_CORE_CONF_PATH or ./conf)')
    .option('--cors-origin <origin>', 'let a browser page of this origin call the API (repeatable; CORS is off by default)', collect)
    .option('--max-body-bytes <n>', 'largest request body (default 1 MiB)', positiveNumber('--max-body-bytes'))
    .action(action(serveCommand));
}
