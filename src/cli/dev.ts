/** `tempoflow dev`: the embedded server, the Web UI and a worker, in the foreground. */
import type { Command } from 'commander';
import { action, CliExit, ExitCode, info } from './common.js';
import { withRuntime } from './with-runtime.js';

/** `tempoflow dev`: until SIGINT or SIGTERM. */
export async function devCommand(): Promise<ExitCode> {
  if (process.env.TEMPORAL_ADDRESS) {
    throw new CliExit(ExitCode.INVALID, '`tempoflow dev` runs the embedded server; unset TEMPORAL_ADDRESS, or use `tempoflow worker` against your cluster');
  }
  return withRuntime({ hostWorker: true }, async (runtime) => {
    info(`Temporal dev server: ${runtime.address} (namespace ${runtime.namespace})`);
    if (runtime.uiUrl) info(`Web UI: ${runtime.uiUrl}/namespaces/${runtime.namespace}/workflows`);
    info(`worker: serving task queue '${runtime.taskQueue}' — \`tempoflow run\` in another terminal runs here (\`--detach\` too); press Ctrl-C to stop`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    info('stopping...');
    return ExitCode.OK;
  });
}

export function register(program: Command): void {
  program.command('dev').description('run the embedded Temporal dev server, its Web UI and a worker until Ctrl-C').action(action(devCommand));
}
