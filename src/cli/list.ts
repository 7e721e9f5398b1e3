/**
 * `tempoflow list`: each workflow of the conf tree with its file, params
 * (name:type and default) and schedules (cron and timezone). `--json` for
 * machines. A workflow that does not validate is listed as invalid.
 */
import type { Command } from 'commander';
import { defaultConfPath, listWorkflowNames, loadConfTree, validateWorkflow } from '../config/loader.js';
import type { WorkflowSpec } from '../client/workflow.js';
import { action, ExitCode } from './common.js';

/** What `list --json` prints per workflow. */
export interface WorkflowListing {
  readonly name: string;
  readonly file: string;
  readonly valid: boolean;
  readonly desc?: string;
  readonly tags: readonly string[];
  readonly params: readonly { name: string; type: string; required: boolean; default?: unknown; description?: string }[];
  readonly schedules: readonly { cron: string; timezone: string }[];
  readonly manual: boolean;
  readonly jobs: readonly string[];
}

export function register(program: Command): void {
  program
    .command('list')
    .description('list the workflows of the conf tree with their params and schedules')
    .option('--conf <path>', 'conf path (default WORKFLOW_CORE_CONF_PATH or ./conf)')
    .option('--json', 'print the list as JSON')
    .action(
      action(async (opts: { conf?: string; json?: boolean }) => {
        const tree = loadConfTree(opts.conf ?? defaultConfPath());
        const listings = listWorkflowNames(tree).map((name): WorkflowListing => {
          const { spec } = validateWorkflow(tree, name);
          const file = tree.objects.get(name)?.source.file ?? '';
          return spec ? listing(spec) : { name, file, valid: false, tags: [], params: [], schedules: [], manual: false, jobs: [] };
        });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(listings, null, 2)}\n`);
          return ExitCode.OK;
        }
        if (listings.length === 0) process.stdout.write(`no workflows under ${tree.root}\n`);
        for (const l of listings) process.stdout.write(`${render(l)}\n`);
        return ExitCode.OK;
      }),
    );
}

function listing(spec: WorkflowSpec): WorkflowListing {
  return {
    name: spec.name,
    file: spec.file,
    valid: true,
    ...(spec.desc ? { desc: spec.desc } : {}),
    tags: spec.tags,
    params: spec.params.map((p) => ({
      name: p.name,
      type: p.type,
      required: p.required,
      ...(p.default !== undefined ? { default: p.default } : {}),
      ...(p.description ? { description: p.description } : {}),
    })),
    schedules: spec.schedules.map((s) => ({ cron: s.cron, timezone: s.timezone })),
    manual: spec.manual,
    jobs: spec.jobs.map((j) => j.id),
  };
}

/** The text form of one listing. */
export function render(l: WorkflowListing): string {
  const lines = [`${l.name}  (${l.file})${l.valid ? '' : '  INVALID: run `tempoflow validate`'}`];
  const summary = l.desc?.split('\n')[0]?.trim();
  if (summary) lines.push(`  ${summary}`);
  if (l.tags.length) lines.push(`  tags: ${l.tags.join(', ')}`);
  if (l.params.length) {
    lines.push('  params:');
    for (const p of l.params) {
      const dflt = p.default !== undefined ? ` = ${JSON.stringify(p.default)}` : p.required ? ' (required)' : '';
      lines.push(`    ${p.name}: ${p.type}${dflt}`);
    }
  }
  if (l.schedules.length || l.manual) {
    lines.push('  schedules:');
    for (const s of l.schedules) lines.push(`    ${s.cron}  ${s.timezone}`);
    if (l.manual) lines.push('    manual');
  }
  if (l.jobs.length) lines.push(`  jobs: ${l.jobs.join(', ')}`);
  return lines.join('\n');
}
