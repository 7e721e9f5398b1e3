/**
 * `tempoflow list`: each workflow of the conf tree with its file, params
 * (name:type and default) and schedules (cron and timezone). `--json` for
 * machines. A workflow that does not validate is listed as invalid.
 */
import type { Command } from 'commander';
import { listWorkflows, type WorkflowListing } from '../client/catalog.js';
import { defaultConfPath } from '../config/loader.js';
import { action, ExitCode } from './common.js';

export type { WorkflowListing } from '../client/catalog.js';

export function register(program: Command): void {
  program
    .command('list')
    .description('list the workflows of the conf tree with their params and schedules')
    .option('--conf <path>', 'conf path (default WORKFLOW_CORE_CONF_PATH or ./conf)')
    .option('--json', 'print the list as JSON')
    .action(
      action(async (opts: { conf?: string; json?: boolean }) => {
        const conf = opts.conf ?? defaultConfPath();
        const listings = listWorkflows({ path: conf });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(listings, null, 2)}\n`);
          return ExitCode.OK;
        }
        if (listings.length === 0) process.stdout.write(`no workflows under ${conf}\n`);
        for (const l of listings) process.stdout.write(`${render(l)}\n`);
        return ExitCode.OK;
      }),
    );
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
  if (l.webhook) lines.push(`  webhook: POST /api/hooks/${l.name} (${l.webhook.auth}, secret ${l.webhook.secret})`);
  if (l.jobs.length) lines.push(`  jobs: ${l.jobs.join(', ')}`);
  return lines.join('\n');
}
