/**
 * `tempoflow validate [names...]`: every problem of every workflow (and of
 * the reusable Job/Stage objects), at once, each at `file:line:col`. Exit 0
 * when there is no error (warnings allowed), 2 otherwise.
 */
import type { Command } from 'commander';
import { formatIssue } from '../config/errors.js';
import { defaultConfPath, loadConfTree, validateTree } from '../config/loader.js';
import { action, ExitCode, info } from './common.js';

export function register(program: Command): void {
  program
    .command('validate')
    .description('validate workflows (all by default); exit 0 when clean, 2 on errors')
    .argument('[names...]', 'workflow names')
    .option('--conf <path>', 'conf path (default WORKFLOW_CORE_CONF_PATH or ./conf)')
    .option('--json', 'print issues as JSON')
    .action(
      action(async (names: string[], opts: { conf?: string; json?: boolean }) => {
        const tree = loadConfTree(opts.conf ?? defaultConfPath());
        const { issues, checked } = validateTree(tree, names);
        const errors = issues.filter((i) => i.severity === 'error');
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ ok: errors.length === 0, workflows: checked, issues }, null, 2)}\n`);
        } else {
          for (const issue of issues) info(formatIssue(issue));
          const warnings = issues.length - errors.length;
          info(`${checked.length} workflow${checked.length === 1 ? '' : 's'} checked: ${errors.length} error${errors.length === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`);
        }
        return errors.length ? ExitCode.INVALID : ExitCode.OK;
      }),
    );
}
