/**
 * A throwaway Temporal dev server for tests, benchmarks and scripts: the real
 * Temporal CLI, headless, in memory unless a SQLite file is given, on a free
 * port. (The embedded default for users is `src/client/embedded-server.ts`.)
 */
import { spawn } from 'node:child_process';
import { DEV_SERVER_DYNAMIC_CONFIG, dynamicConfigArgs, findTemporalCli, freePort, waitForPort } from '../../src/client/embedded-server.js';

/** A running throwaway dev server. */
export interface DevServer {
  readonly address: string;
  readonly port: number;
  readonly pid: number;
  /** SIGKILLs the server's process group. */
  stop(): void;
}

/**
 * Starts a dev server and resolves once it accepts connections. Its dynamic
 * config is tempoflow's (`DEV_SERVER_DYNAMIC_CONFIG`) unless `dynamicConfig` says otherwise;
 * with `metricsPort` it serves its Prometheus metrics at `http://127.0.0.1:<port>/metrics`.
 */
export async function startDevServer(
  options: {
    dbFile?: string;
    port?: number;
    metricsPort?: number;
    cliPath?: string;
    log?: (m: string) => void;
    dynamicConfig?: Readonly<Record<string, boolean | number | string>>;
  } = {},
): Promise<DevServer> {
  const cli = options.cliPath ?? findTemporalCli(options.log);
  const port = options.port ?? (await freePort());
  const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error', ...dynamicConfigArgs(options.dynamicConfig ?? DEV_SERVER_DYNAMIC_CONFIG)];
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  if (options.metricsPort !== undefined) args.push('--metrics-port', String(options.metricsPort));
  const child = spawn(cli, args, { stdio: 'ignore', detached: true });
  const address = `127.0.0.1:${port}`;
  const stop = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  try {
    await waitForPort(address, 60_000);
  } catch (err) {
    stop();
    throw err;
  }
  return { address, port, pid: child.pid!, stop };
}
