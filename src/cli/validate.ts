/** `tempoflow validate [names...]`: every problem of every workflow, at once. */
import type { Command } from 'commander';
import { formatIssue, type ConfigIssue } from '../config/errors.js';
import { defaultConfPath, listWorkflowNames, loadConfTree, validateWorkflow } from '../config/loader.js';
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
        const issues: ConfigIssue[] = [...tree.issues];
        const targets = names.length ? names : listWorkflowNames(tree);
        const checked: string[] = [];
        for (const name of targets) {
          try {
            issues.push(...validateWorkflow(tree, name).issues);
            checked.push(name);
          } catch (err) {
            issues.push({ code: 'not-found', severity: 'error', message: (err as Error).message, path: '', file: tree.root, line: 1, col: 1 });
          }
        }
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
