/**
 * `tempoflow audit list <name>` and `audit show <name> <release>`: the audit
 * records of releases, read from the store this machine's environment names
 * (`openAuditReader`): the same store the workers write.
 */
import type { Command } from 'commander';
import { openAuditReader, parseReleaseKey, type AuditRecord } from '../client/audit.js';
import { action, CliExit, errorLine, ExitCode, info, positiveNumber } from './common.js';

function openStore() {
  const { store, enabled } = openAuditReader();
  if (!enabled) info('note: WORKFLOW_CORE_AUDIT_ENABLED is false here; reading the store anyway');
  return store;
}

function summary(r: AuditRecord): string {
  const duration = r.timing.durationMs !== undefined ? ` ${Math.round(r.timing.durationMs / 100) / 10}s` : '';
  return `${r.release}  ${r.type.padEnd(6)} ${r.status.padEnd(8)} ${r.runId}${duration}`;
}

/** `tempoflow audit list <name>`: a workflow's records, newest release first. */
export async function auditListCommand(name: string, opts: { limit?: number; json?: boolean } = {}): Promise<ExitCode> {
  const store = openStore();
  try {
    const records = store.list(name, { limit: opts.limit ?? 50 });
    if (opts.json)
      process.stdout.write(
        `${JSON.stringify(
          records.map(({ spec: _s, context: _c, ...r }) => r),
          null,
          2,
        )}\n`,
      );
    else {
      if (records.length === 0) info(`no audit records of '${name}' in ${store.location}`);
      for (const r of records) process.stdout.write(`${summary(r)}\n`);
    }
    return ExitCode.OK;
  } finally {
    store.close();
  }
}

/** `tempoflow audit show <name> <release>`: the record(s) of one release. */
export async function auditShowCommand(name: string, release: string, opts: { run?: string; json?: boolean } = {}): Promise<ExitCode> {
  const key = parseReleaseKey(release);
  if (!key) throw new CliExit(ExitCode.INVALID, `release '${release}' is not a time; write ISO 8601 (2024-01-01T09:00:00Z) or YYYYmmddHHMM in UTC`);
  const store = openStore();
  try {
    const records = store.forRelease(name, key).filter((r) => !opts.run || r.runId === opts.run);
    if (records.length === 0) {
      throw new CliExit(
        ExitCode.INVALID,
        `no audit record of '${name}' at ${key}${opts.run ? ` for run ${opts.run}` : ''} in ${store.location}; \`tempoflow audit list ${name}\` shows the releases recorded`,
      );
    }
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
      return ExitCode.OK;
    }
    for (const r of records) {
      process.stdout.write(`${summary(r)}\n`);
      process.stdout.write(`  release workflow ${r.releaseWorkflowId} (${r.releaseRunId})${r.parentRunId ? `, parent ${r.parentRunId}` : ''}\n`);
      process.stdout.write(`  executed ${r.timing.executeDate}${r.timing.end ? `, ended ${r.timing.end}` : ''}; recorded ${r.recordedAt}\n`);
      process.stdout.write(`  params ${JSON.stringify(r.params)}\n`);
      for (const [id, job] of Object.entries(r.context?.jobs ?? {})) process.stdout.write(`  job ${id}: ${job.status}${job.reason ? ` (${job.reason})` : ''}\n`);
      for (const e of r.errors) process.stdout.write(`  ${errorLine(e)}\n`);
    }
    return ExitCode.OK;
  } finally {
    store.close();
  }
}

export function register(program: Command): void {
  const audit = program.command('audit').description('audit records of releases (list, show)');

  audit
    .command('list')
    .description("list a workflow's audit records, newest release first")
    .argument('<name>', 'workflow name')
    .option('--limit <n>', 'at most this many records', positiveNumber('--limit'), 50)
    .option('--json', 'print the records as JSON')
    .action(action(auditListCommand));

  audit
    .command('show')
    .description('show the record(s) of one release')
    .argument('<name>', 'workflow name')
    .argument('<release>', 'release time: ISO 8601, or YYYYmmddHHMM[SS] in UTC')
    .option('--run <id>', 'only the record of this run')
    .option('--json', 'print the records as JSON (with context and YAML snapshot)')
    .action(action(auditShowCommand));
}
