/**
 * `tempoflow serve` for integration tests: the HTTP server on a free port,
 * bound to the suite's dev server, with a worker of its own on a fresh task
 * queue, and `fetch` helpers that send the API token.
 */
import { loadWebAssets } from '../../src/server/web.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import type { TempoflowRuntime } from '../../src/client/runtime.js';
import { tempDir, testActivityConfig, testRuntime, testWorker, uniqueTaskQueue } from './temporal.js';

/** The API token of test servers (long enough for `MIN_TOKEN_LENGTH`). */
export const TEST_API_TOKEN = 'test-api-token-0123456789abcdef';

/** A running test server and what it runs on. */
export interface TestServer {
  readonly server: RunningServer;
  readonly runtime: TempoflowRuntime;
  readonly taskQueue: string;
  /** What the server logged (its own problems, never secrets). */
  readonly log: string[];
  /** `fetch` of an API path with the token (unless `init.headers` sets Authorization). */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** POSTs JSON with the token. */
  post(path: string, body?: unknown): Promise<Response>;
  close(): Promise<void>;
}

/**
 * Starts a server over the conf tree `confPath` with a worker. `env` adds to
 * the server's environment (webhook secrets: `TEMPOFLOW_SECRET_<NAME>`);
 * `open: true` runs it without a token, as `tempoflow dev` does.
 */
export async function startTestServer(confPath: string, options: { env?: Record<string, string>; open?: boolean; bodyLimit?: number } = {}): Promise<TestServer> {
  const taskQueue = uniqueTaskQueue('serve');
  const runtime = await testRuntime(taskQueue);
  const { worker, close: closeConnection } = await testWorker(taskQueue, testActivityConfig(tempDir('tf-serve-')));
  const running = worker.run();
  const log: string[] = [];
  const server = await startServer({
    runtime,
    confPath,
    port: 0,
    env: { ...(options.open ? {} : { TEMPOFLOW_API_TOKEN: TEST_API_TOKEN }), ...options.env },
    allowOpenOnLoopback: options.open ?? false,
    log: (message) => log.push(message),
    pollMs: 300,
    web: loadWebAssets(),
    ...(options.bodyLimit ? { bodyLimit: options.bodyLimit } : {}),
  });
  const auth: Record<string, string> = options.open ? {} : { Authorization: `Bearer ${TEST_API_TOKEN}` };
  const api = (path: string, init: RequestInit = {}) => fetch(`${server.url}${path}`, { ...init, headers: { ...auth, ...(init.headers as Record<string, string> | undefined) } });
  return {
    server,
    runtime,
    taskQueue,
    log,
    api,
    post: (path, body = {}) => api(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
    close: async () => {
      await server.close();
      worker.shutdown();
      await running;
      await closeConnection();
      await runtime.close();
    },
  };
}
