/** `tempoflow dev`: the embedded server, the Web UI and a worker, in the foreground. */
import type { Command } from 'commander';
import { action, CliExit, ExitCode, info, positiveNumber } from './common.js';
import { DEFAULT_HTTP_PORT } from '../server/serve.js';
import { startHttp, untilSignal } from './serve.js';
import { withRuntime } from './with-runtime.js';

/** `tempoflow dev`: until SIGINT or SIGTERM. */
export async function devCommand(opts: { port?: number } = {}): Promise<ExitCode> {
  if (process.env.TEMPORAL_ADDRESS) {
    throw new CliExit(ExitCode.INVALID, '`tempoflow dev` runs the embedded server; unset TEMPORAL_ADDRESS, or use `tempoflow worker` against your cluster');
  }
  return withRuntime({ hostWorker: true }, async (runtime) => {
    info(`Temporal dev server: ${runtime.address} (namespace ${runtime.namespace})`);
    if (runtime.uiUrl) info(`Web UI: ${runtime.uiUrl}/namespaces/${runtime.namespace}/workflows`);
    info(`worker: serving task queue '${runtime.taskQueue}' — \`tempoflow run\` in another terminal runs here (\`--detach\` too)`);
    const server = await startHttp(runtime, { port: opts.port ?? DEFAULT_HTTP_PORT }, true);
    info('press Ctrl-C to stop');
    await untilSignal();
    info('stopping...');
    await server.close();
    return ExitCode.OK;
  });
}

export function register(program: Command): void {
  program
    .command('dev')
    .description('run the embedded Temporal dev server, its Web UI, a worker and the tempoflow web view and API until Ctrl-C')
    .option('--port <n>', 'port of the web view and API', positiveNumber('--port'), DEFAULT_HTTP_PORT)
    .action(action(devCommand));
}
