#!/usr/bin/env node
/** The `tempoflow` command line. One file per command; see `common.ts` for errors and exit codes. */
import { Command } from 'commander';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { register as registerControl } from './control.js';
import { register as registerDev } from './dev.js';
import { register as registerGraph } from './graph.js';
import { register as registerList } from './list.js';
import { register as registerRun } from './run.js';
import { register as registerSchema } from './schema.js';
import { register as registerValidate } from './validate.js';
import { register as registerWorker } from './worker.js';

const program = new Command();
program
  .name('tempoflow')
  .description('Run YAML-defined workflows durably on Temporal')
  .version('0.1.0')
  .option('--log-level <level>', 'log level of the worker and workflow logs (trace, debug, info, warn, error)', 'error')
  .showHelpAfterError()
  .hook('preAction', (cmd) => {
    // The SDK's own logs (worker, workflow `log`) at the chosen level; the
    // CLI prints progress and results itself.
    const level = String(cmd.opts().logLevel ?? 'error').toUpperCase() as LogLevel;
    Runtime.install({ logger: new DefaultLogger(level) });
  });

registerRun(program);
registerValidate(program);
registerList(program);
registerGraph(program);
registerSchema(program);
registerDev(program);
registerWorker(program);
registerControl(program);

await program.parseAsync(process.argv);
