/**
 * `tempoflow setup`: prepares a Temporal namespace for tempoflow — registers
 * the search attributes `TfWorkflow`, `TfReleaseType` and `TfReleaseTime`
 * (needs operator rights on a cluster). Every connect tries the same; this
 * command says clearly whether it worked.
 */
import type { Command } from 'commander';
import { TEMPOFLOW_SEARCH_ATTRIBUTES } from '../client/search-attributes.js';
import { action, CliExit, ExitCode, info } from './common.js';
import { withRuntime } from './with-runtime.js';

/** `tempoflow setup`. */
export async function setupCommand(): Promise<ExitCode> {
  return withRuntime({ log: () => undefined, inProcessWorker: false }, async (runtime) => {
    const status = runtime.searchAttributes;
    for (const [name, type] of Object.entries(TEMPOFLOW_SEARCH_ATTRIBUTES)) {
      process.stdout.write(`${name.padEnd(14)} ${type.padEnd(9)} ${status.available.has(name as keyof typeof TEMPOFLOW_SEARCH_ATTRIBUTES) ? 'registered' : 'MISSING'}\n`);
    }
    if (status.problem) throw new CliExit(ExitCode.ERROR, `error: ${status.problem}`);
    info(`namespace ${runtime.namespace} on ${runtime.address} is ready for tempoflow`);
    return ExitCode.OK;
  });
}

export function register(program: Command): void {
  program.command('setup').description("register tempoflow's search attributes (TfWorkflow, TfReleaseType, TfReleaseTime) in the namespace").action(action(setupCommand));
}
