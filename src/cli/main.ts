#!/usr/bin/env node
/** The `tempoflow` command line. One file per command; see `common.ts` for errors and exit codes. */
import { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * Commands by module. Those that never talk to Temporal are loaded alone
 * when they are the one asked for, so `validate` does not pay for loading
 * the Temporal SDK.
 */
const PURE_COMMANDS: Record<string, () => Promise<{ register: Register }>> = {
  validate: () => import('./validate.js'),
  list: () => import('./list.js'),
  graph: () => import('./graph.js'),
  schema: () => import('./schema.js'),
  init: () => import('./init.js'),
};
const TEMPORAL_COMMANDS: (() => Promise<{ register: Register }>)[] = [
  () => import('./run.js'),
  () => import('./dev.js'),
  () => import('./serve.js'),
  () => import('./worker.js'),
  () => import('./control.js'),
  () => import('./codec-server.js'),
  () => import('./release.js'),
  () => import('./rerun.js'),
  () => import('./schedule.js'),
  () => import('./audit.js'),
  () => import('./logs.js'),
  () => import('./runs.js'),
  () => import('./setup.js'),
];

const program = new Command();
program
  .name('tempoflow')
  .description('Run YAML-defined workflows durably on Temporal')
  .version('0.1.0')
  .option('--log-level <level>', 'log level of the worker and workflow logs (trace, debug, info, warn, error)', 'error')
  .showHelpAfterError();

const asked = process.argv.slice(2).find((a) => !a.startsWith('-'));
const pureOnly = asked !== undefined && asked in PURE_COMMANDS;
for (const load of Object.values(PURE_COMMANDS)) (await load()).register(program);
if (!pureOnly) {
  for (const load of TEMPORAL_COMMANDS) (await load()).register(program);
  const { installSdkLogger } = await import('./sdk-logger.js');
  // The SDK's own logs (worker, workflow `log`) at the chosen level; the
  // CLI prints progress and results itself.
  program.hook('preAction', (cmd) => installSdkLogger(String(cmd.opts().logLevel ?? 'error')));
}

await program.parseAsync(process.argv);
