/**
 * Starting the HTTP server (`tempoflow serve`, `tempoflow dev`): the app of
 * `app.ts` on one port, behind Node's HTTP server. Refuses to run open
 * (without an API token) anywhere but a loopback address, and only when the
 * caller allows it (`tempoflow dev`).
 */
import { isIP } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { TempoflowRuntime } from '../client/runtime.js';
import { SecretValues } from '../config/secret-values.js';
import { createApp, type App, type ServerOptions } from './app.js';
import { apiTokenFrom } from './auth.js';
import { loadWebAssets } from './web.js';

/** Options of {@link startServer}. */
/**
 * The default port of `tempoflow serve` and `tempoflow dev`'s web view and API:
 * next to the Temporal dev server's Web UI (8233), and off 8080, where the
 * Temporal UI server of a cluster listens (docs/deploy.md).
 */
export const DEFAULT_HTTP_PORT = 8240;

export interface StartServerOptions extends Partial<Pick<ServerOptions, 'bodyLimit' | 'corsOrigins' | 'log' | 'pollMs' | 'web'>> {
  readonly runtime: TempoflowRuntime | (() => Promise<TempoflowRuntime>);
  readonly confPath: string;
  /** Address to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** Port (default {@link DEFAULT_HTTP_PORT}; 0 picks a free one). */
  readonly port?: number;
  /** Run without a token when none is set, on a loopback address only (`tempoflow dev`). */
  readonly allowOpenOnLoopback?: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

/** A running server. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:8240`. */
  readonly url: string;
  readonly port: number;
  /** True when it runs without an API token. */
  readonly open: boolean;
  readonly app: App;
  close(): Promise<void>;
}

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '[::1]';
}

/**
 * Starts the server. Throws `Error` saying what to do when no API token is
 * set (and running open is not allowed here), or when the token is too short.
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const host = options.host ?? '127.0.0.1';
  const secrets = SecretValues.fromEnv(env);
  try {
    secrets.load();
  } catch (err) {
    throw new Error(`tempoflow serve: ${(err as Error).message}`, { cause: err });
  }
  const token = apiTokenFrom(env, secrets);
  if (token === undefined && !(options.allowOpenOnLoopback && isLoopback(host))) {
    throw new Error(
      `tempoflow serve needs an API token: set TEMPOFLOW_API_TOKEN (e.g. \`export TEMPOFLOW_API_TOKEN=$(openssl rand -hex 32)\`) or put TEMPOFLOW_API_TOKEN in the secrets file (WORKFLOW_CORE_SECRETS_FILE)${options.allowOpenOnLoopback ? `; only a loopback address (not ${host}) may run open` : ''}`,
    );
  }
  const runtime = options.runtime;
  const app = createApp({
    runtime: typeof runtime === 'function' ? runtime : async () => runtime,
    confPath: options.confPath,
    token,
    secrets,
    web: options.web ?? loadWebAssets(),
    ...(options.bodyLimit !== undefined ? { bodyLimit: options.bodyLimit } : {}),
    ...(options.corsOrigins ? { corsOrigins: options.corsOrigins } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.pollMs ? { pollMs: options.pollMs } : {}),
  });
  const server = await new Promise<ServerType>((resolveServer, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port: options.port ?? DEFAULT_HTTP_PORT }, () => resolveServer(s));
    s.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? DEFAULT_HTTP_PORT);
  const shownHost = isIP(host) === 6 ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    open: token === undefined,
    app,
    close: () =>
      new Promise<void>((resolveClose) => {
        // Live views (server-sent events) hold connections open: end them too.
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolveClose());
      }),
  };
}
