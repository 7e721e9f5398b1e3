/**
 * `tempoflow validate [names...]`: every problem of every workflow (and of
 * the reusable Job/Stage objects), at once, each at `file:line:col`. Exit 0
 * when there is no error (warnings allowed), 2 otherwise.
 */
import type { Command } from 'commander';
import { formatIssue, type ConfigIssue } from '../config/errors.js';
import { defaultConfPath, listWorkflowNames, loadConfTree, sortIssues, validateTemplate, validateWorkflow } from '../config/loader.js';
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
        if (!names.length) {
          // Reusable objects are checked on their own too, so one that no
          // workflow extends yet is still checked.
          for (const obj of tree.objects.values()) if (obj.type !== 'Workflow') issues.push(...validateTemplate(tree, obj.name));
        }
        const all = dedupe(issues);
        const errors = all.filter((i) => i.severity === 'error');
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ ok: errors.length === 0, workflows: checked, issues: all }, null, 2)}\n`);
        } else {
          for (const issue of all) info(formatIssue(issue));
          const warnings = all.length - errors.length;
          info(`${checked.length} workflow${checked.length === 1 ? '' : 's'} checked: ${errors.length} error${errors.length === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`);
        }
        return errors.length ? ExitCode.INVALID : ExitCode.OK;
      }),
    );
}

/**
 * One report per problem: a problem inside a reusable object is found once
 * per workflow that extends it and once on its own; the first report (the
 * one naming the `extends:` chain) is kept.
 */
function dedupe(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return sortIssues(issues).filter((i) => {
    const key = `${i.code}|${i.file}|${i.line}|${i.col}|${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
