/**
 * `tempoflow release <name> --at <iso>`: one release of a workflow at a
 * nominal time, through the same release workflow schedules start (run id
 * `tf:<workflow>:<UTC yyyymmddHHMM>`, one audit record). A NORMAL release
 * already done prints SKIP with the existing run's id and exits 0.
 */
import type { Command } from 'commander';
import { ReleaseType, type ReleaseResult } from '../client/release.js';
import { Status } from '../client/result.js';
import { Workflow } from '../client/workflow.js';
import { action, CliExit, collectParam, errorLine, ExitCode, info, out, positiveNumber } from './common.js';
import { withRuntime } from './with-runtime.js';

/** Options of `tempoflow release`. */
export interface ReleaseCliOptions {
  at?: string;
  type?: string;
  param?: Record<string, string>;
  exclude?: string[];
  json?: boolean;
  timeout?: number;
  runId?: string;
  parentRunId?: string;
  audit?: boolean;
  conf?: string;
}

/** `tempoflow release <name> --at <time>`. */
export async function releaseCommand(name: string, opts: ReleaseCliOptions = {}): Promise<ExitCode> {
  const type = (opts.type ?? 'normal').toUpperCase() as ReleaseType;
  if (!Object.values(ReleaseType).includes(type)) {
    throw new CliExit(
      ExitCode.INVALID,
      `--type ${opts.type}: use one of ${Object.values(ReleaseType)
        .map((t) => t.toLowerCase())
        .join(', ')}`,
    );
  }
  const wf = await Workflow.fromConf(name, { path: opts.conf });
  const at = opts.at ?? '';
  wf.validateRelease(at); // a bad time fails before connecting
  return withRuntime({}, async (runtime) => {
    const result = await wf.release(at, opts.param ?? {}, {
      releaseType: type,
      runtime,
      ...(opts.runId ? { runId: opts.runId } : {}),
      ...(opts.parentRunId ? { parentRunId: opts.parentRunId } : {}),
      ...(opts.audit === false ? { audit: false } : {}),
      ...(opts.timeout ? { timeout: opts.timeout } : {}),
      ...(opts.exclude?.length ? { excluded: opts.exclude } : {}),
      onStart: ({ releaseWorkflowId, uiUrl }) => info(`started release ${releaseWorkflowId}${uiUrl ? `\n  ${uiUrl}` : ''}`),
    });
    if (opts.json) out(JSON.stringify(result.toJSON(), null, 2));
    else printRelease(result);
    return result.status === Status.SUCCESS || result.status === Status.SKIP ? ExitCode.OK : ExitCode.RUN_NOT_SUCCESS;
  });
}

function printRelease(r: ReleaseResult): void {
  if (r.plan) {
    info(`dry run of ${r.logicalDate} (nothing ran, no audit record)`);
    process.stdout.write(`params: ${JSON.stringify(r.plan.params)}\n`);
    for (const job of r.plan.jobs) {
      process.stdout.write(`job ${job.id}${job.needs.length ? ` (needs ${job.needs.join(', ')})` : ''}${job.matrix ? ' [matrix]' : ''}: ${job.stages.join(' → ')}\n`);
    }
    process.stdout.write('DRYRUN\n');
    return;
  }
  if (r.skipped) {
    info(`${r.reason ?? 'release already done'}`);
    process.stdout.write(`SKIP ${r.runId}\n`);
    return;
  }
  for (const [id, job] of Object.entries(r.context.jobs)) info(`  job ${id}: ${job.status}${job.reason && job.status !== Status.SUCCESS ? ` (${job.reason})` : ''}`);
  for (const e of r.errors) info(`  ${errorLine(e)}`);
  if (r.audit) info(`  audit: ${r.audit.written ? 'written' : 'already there'} ${r.audit.where}`);
  process.stdout.write(`${r.status}${r.runId ? ` ${r.runId}` : ''}\n`);
}

export function register(program: Command): void {
  program
    .command('release')
    .description('release a workflow at a time (dedup per minute, audit record); see docs/operations.md')
    .argument('<name>', 'workflow name')
    .requiredOption('--at <iso>', 'release (logical) time, ISO 8601; must be a fire time of an on: cron entry unless the workflow has none or manual: true')
    .option('--type <type>', 'normal | force | rerun | event | dryrun', 'normal')
    .option('-p, --param <key=value>', 'a param value, may use ${{ release.* }} (repeatable)', collectParam)
    .option('--exclude <job...>', 'jobs not to run in this release')
    .option('--timeout <seconds>', 'run timeout (default: the YAML timeout, else 600)', positiveNumber('--timeout'))
    .option('--run-id <id>', 'run id of the release run')
    .option('--parent-run-id <id>', 'for --type rerun: the run to rerun (default: the latest run of that release)')
    .option('--no-audit', 'do not write an audit record')
    .option('--json', 'print the result as JSON')
    .option('--conf <path>', 'conf path (default WORKFLOW_CORE_CONF_PATH or ./conf)')
    .action(action(releaseCommand));
}
