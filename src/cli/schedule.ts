/**
 * `tempoflow schedule sync|list|pause|unpause|trigger|backfill|delete`: the
 * Temporal Schedules of the conf tree's cron entries (one per entry, id
 * `tf:<project>:<workflow>:<hash>`), through src/client/schedules.ts. They
 * act on the server only; the releases they fire run on workers
 * (`tempoflow worker`, `tempoflow dev`).
 */
import type { Command } from 'commander';
import { defaultConfPath } from '../config/loader.js';
import { projectName } from '../client/release.js';
import type { TempoflowRuntime } from '../client/runtime.js';
import { controlSchedules, desiredFromConf, syncSchedules, UnknownScheduleError, viewSchedules, type DesiredSchedule, type ScheduleAction, type ScheduleChange } from '../client/schedules.js';
import { action, CliExit, ExitCode, info } from './common.js';
import { CONTROL, withRuntime } from './with-runtime.js';

interface CommonOptions {
  conf?: string;
  json?: boolean;
}

function desired(runtime: TempoflowRuntime, opts: CommonOptions): DesiredSchedule[] {
  return desiredFromConf(opts.conf ?? defaultConfPath(), { project: projectName(), taskQueue: runtime.taskQueue });
}

/** Parses an ISO 8601 option, or exits with what is expected. */
function isoOption(name: string, value: string | undefined): Date {
  const d = value === undefined ? undefined : new Date(value);
  if (!d || Number.isNaN(d.getTime())) throw new CliExit(ExitCode.INVALID, `${name} expects an ISO 8601 time such as 2024-01-01T09:00:00Z, got '${value ?? ''}'`);
  return d;
}

function printChanges(changes: readonly ScheduleChange[], dryRun: boolean): void {
  const verb = (a: ScheduleChange['action']) => (dryRun && a !== 'unchanged' ? `would ${a}` : a);
  for (const c of changes) process.stdout.write(`${verb(c.action).padEnd(14)} ${c.id}${c.cron ? `  (${c.cron} ${c.timezone})` : ''}\n`);
  const changed = changes.filter((c) => c.action !== 'unchanged').length;
  if (changed === 0) info(`${changes.length} schedule${changes.length === 1 ? '' : 's'} already in sync; nothing to do`);
  else
    info(`${dryRun ? 'dry run: ' : ''}${changed} change${changed === 1 ? '' : 's'} (${['create', 'update', 'delete'].map((a) => `${changes.filter((c) => c.action === a).length} ${a}`).join(', ')})`);
}

/** What a control subcommand prints per schedule. */
function done(a: ScheduleAction, id: string): string {
  if (a.kind === 'backfill') return `backfill requested for ${id}: ${a.start.toISOString()} → ${a.end.toISOString()}`;
  return `${a.kind === 'trigger' ? 'triggered' : `${a.kind}d`} ${id}`;
}

/** `tempoflow schedule pause|unpause|trigger|backfill|delete <name>`: the action on each schedule of a workflow, or on one schedule id. */
export async function controlCommand(target: string, scheduleAction: ScheduleAction, opts: CommonOptions = {}): Promise<ExitCode> {
  return withRuntime(CONTROL, async (runtime) => {
    let wanted: DesiredSchedule[] = [];
    try {
      wanted = desired(runtime, opts);
    } catch {
      /* an invalid conf tree does not stop pause/trigger/...: the server's listing still names the schedules */
    }
    try {
      for (const id of await controlSchedules(runtime.client, projectName(), target, scheduleAction, wanted)) info(done(scheduleAction, id));
    } catch (err) {
      if (err instanceof UnknownScheduleError) throw new CliExit(ExitCode.INVALID, err.message);
      throw err;
    }
    return ExitCode.OK;
  });
}

/** `tempoflow schedule sync`. */
export async function syncCommand(opts: CommonOptions & { dryRun?: boolean } = {}): Promise<ExitCode> {
  return withRuntime(CONTROL, async (runtime) => {
    const project = projectName();
    const changes = await syncSchedules(runtime.client, desired(runtime, opts), { project, ...(opts.dryRun ? { dryRun: true } : {}) });
    if (opts.json) process.stdout.write(`${JSON.stringify({ project, dryRun: Boolean(opts.dryRun), changes }, null, 2)}\n`);
    else printChanges(changes, Boolean(opts.dryRun));
    return ExitCode.OK;
  });
}

/** `tempoflow schedule list`. */
export async function listCommand(opts: CommonOptions = {}): Promise<ExitCode> {
  return withRuntime(CONTROL, async (runtime) => {
    const views = await viewSchedules(runtime.client, desired(runtime, opts), projectName());
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(views, null, 2)}\n`);
      return ExitCode.OK;
    }
    if (views.length === 0) info(`no cron entries and no schedules in project '${projectName()}'`);
    for (const v of views) {
      const state = !v.exists
        ? 'NOT SYNCED (run `tempoflow schedule sync`)'
        : !v.desired
          ? 'ORPHAN (not in the YAML; `tempoflow schedule sync` deletes it)'
          : v.paused
            ? `PAUSED${v.note ? ` (${v.note})` : ''}`
            : 'active';
      process.stdout.write(`${v.workflow ?? '?'}  ${v.cron ?? ''} ${v.timezone ?? ''}  ${state}${v.outdated ? ', YAML changed since the last sync' : ''}\n  id ${v.id}\n`);
      if (v.nextActionTimes.length)
        process.stdout.write(
          `  next: ${v.nextActionTimes
            .slice(0, 3)
            .map((d) => d.toISOString())
            .join(', ')}\n`,
        );
      const last = v.recentActions.at(-1);
      if (last) process.stdout.write(`  last: ${last.scheduledAt.toISOString()}${last.workflowId ? ` (${last.workflowId})` : ''}\n`);
    }
    return ExitCode.OK;
  });
}

export function register(program: Command): void {
  const schedule = program.command('schedule').description('Temporal Schedules of the cron entries (sync, list, pause, unpause, trigger, backfill, delete)');

  schedule
    .command('sync')
    .description("make the server match the YAML: create, update, and delete this project's orphan schedules")
    .option('--dry-run', 'only print what would change')
    .option('--conf <path>', 'conf path (default WORKFLOW_CORE_CONF_PATH or ./conf)')
    .option('--json', 'print the changes as JSON')
    .action(action(syncCommand));

  schedule
    .command('list')
    .description('list the schedules with their next fire times and paused state')
    .option('--conf <path>', 'conf path (default WORKFLOW_CORE_CONF_PATH or ./conf)')
    .option('--json', 'print as JSON')
    .action(action(listCommand));

  for (const [kind, description] of [
    ['pause', 'pause the schedules of a workflow (or one schedule id)'],
    ['unpause', 'unpause the schedules of a workflow (or one schedule id)'],
  ] as const) {
    schedule
      .command(kind)
      .description(description)
      .argument('<name>', 'workflow name or schedule id')
      .option('--note <text>', 'a note recorded on the schedule')
      .option('--conf <path>', 'conf path (default WORKFLOW_CORE_CONF_PATH or ./conf)')
      .action(action((target: string, opts: CommonOptions & { note?: string }) => controlCommand(target, { kind, ...(opts.note ? { note: opts.note } : {}) }, opts)));
  }

  schedule
    .command('trigger')
    .description('start a release now (the release time is now)')
    .argument('<name>', 'workflow name or schedule id')
    .option('--conf <path>', 'conf path (default WORKFLOW_CORE_CONF_PATH or ./conf)')
    .action(action((target: string, opts: CommonOptions) => controlCommand(target, { kind: 'trigger' }, opts)));

  schedule
    .command('backfill')
    .description('run every release the cron missed between two times (overlap buffer-all: each runs, one after another)')
    .argument('<name>', 'workflow name or schedule id')
    .requiredOption('--from <iso>', 'start of the range (ISO 8601)')
    .requiredOption('--to <iso>', 'end of the range (ISO 8601)')
    .option('--conf <path>', 'conf path (default WORKFLOW_CORE_CONF_PATH or ./conf)')
    .action(
      action(async (target: string, opts: CommonOptions & { from?: string; to?: string }) => {
        const start = isoOption('--from', opts.from);
        const end = isoOption('--to', opts.to);
        if (end.getTime() <= start.getTime()) throw new CliExit(ExitCode.INVALID, `--to (${end.toISOString()}) must be after --from (${start.toISOString()})`);
        return controlCommand(target, { kind: 'backfill', start, end }, opts);
      }),
    );

  schedule
    .command('delete')
    .description('delete the schedules of a workflow (or one schedule id); `schedule sync` recreates them while the YAML has them')
    .argument('<name>', 'workflow name or schedule id')
    .option('--conf <path>', 'conf path (default WORKFLOW_CORE_CONF_PATH or ./conf)')
    .action(action((target: string, opts: CommonOptions) => controlCommand(target, { kind: 'delete' }, opts)));
}
