/** `tempoflow schema`: prints the editor JSON Schema of conf files (the committed `schema/workflow.schema.json`). */
import type { Command } from 'commander';
import { jsonSchemaText } from '../config/json-schema.js';
import { action, ExitCode } from './common.js';

export function register(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of conf files (for editor autocompletion)')
    .action(
      action(async () => {
        process.stdout.write(jsonSchemaText());
        return ExitCode.OK;
      }),
    );
}
