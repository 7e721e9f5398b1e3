/**
 * Run control: `tempoflow status <run>`, `cancel <run>`, `approve <run> <stage>`
 * and `reject <run> <stage> --reason`, each a thin wrapper over the run's
 * handle (`getRun`). They talk to the run through Temporal, so they work from
 * any machine that reaches the server; they never start a worker of their own.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { stageResults, type ConcurrencyContext, type RunContext, type StageContext } from '../client/result.js';
import { getRun, type RunHandle, type WaitingApproval } from '../client/run-handle.js';
import type { RunSnapshot } from '../client/run-output.js';
import { action, ExitCode, info, out } from './common.js';
import { RunView } from './run-view.js';
import { CONTROL, withRuntime } from './with-runtime.js';

/** `tempoflow status <run>`: the run's jobs, stages (nested ones indented) and waiting approvals. */
export async function statusCommand(runId: string, opts: { json?: boolean; watch?: boolean; quiet?: boolean } = {}): Promise<ExitCode> {
  return withRuntime(CONTROL, async (runtime) => {
    const run = await getRun(runId, { runtime });
    if (opts.watch && !opts.json) return watchRun(run, opts.quiet ?? false);
    const { running } = await run.describe();
    const context = await run.status();
    const waitingApprovals = await run.waitingApprovals();
    if (opts.json) out(JSON.stringify({ runId, running, context, waitingApprovals }, null, 2));
    else printStatus(runId, context, running, waitingApprovals);
    return ExitCode.OK;
  });
}

/**
 * `tempoflow status <run> --watch`: the run as it goes until it ends — the
 * live tree on a terminal, one line per event elsewhere (`run-view.ts`).
 */
async function watchRun(run: RunHandle, quiet: boolean): Promise<ExitCode> {
  const view = new RunView({ runId: run.runId, ...(run.workflowName ? { workflowName: run.workflowName } : {}), live: Boolean(process.stderr.isTTY) && Boolean(process.stdout.isTTY), quiet, info });
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  let last: RunSnapshot | undefined;
  try {
    for await (const snapshot of run.watch({ signal: stop.signal })) {
      view.update(snapshot);
      last = snapshot;
    }
  } finally {
    process.off('SIGINT', onSigint);
    view.finish();
  }
  if (last && !last.running) out(last.context.status);
  return ExitCode.OK;
}

/** `tempoflow cancel <run>`: asks the run to stop; it ends CANCEL. */
export async function cancelCommand(runId: string, opts: { reason?: string } = {}): Promise<ExitCode> {
  return withRuntime(CONTROL, async (runtime) => {
    await (await getRun(runId, { runtime })).cancel(opts.reason);
    info(`cancellation requested for ${runId}`);
    return ExitCode.OK;
  });
}

/** `tempoflow approve|reject <run> <stage>`: decides a waiting approval stage. */
export async function decideCommand(approved: boolean, runId: string, stage: string, opts: { reason?: string; by?: string } = {}): Promise<ExitCode> {
  return withRuntime(CONTROL, async (runtime) => {
    const run = await getRun(runId, { runtime });
    const by = opts.by ?? userName();
    const decision = { ...(opts.reason ? { reason: opts.reason } : {}), ...(by ? { by } : {}) };
    await (approved ? run.approve(stage, decision) : run.reject(stage, decision));
    info(`${approved ? 'approved' : 'rejected'} ${stage} of ${runId}`);
    return ExitCode.OK;
  });
}

function stageSummary(st: StageContext): string {
  const attempt = st.attempt && st.attempt > 1 ? ` (attempt ${st.attempt})` : '';
  const why = st.error ? `: ${st.error.message.split('\n')[0]}` : st.reason ? ` (${st.reason})` : '';
  return `${st.status}${attempt}${why}`;
}

/** A concurrency slot in a few words: `waiting in concurrency group 'x' (position 3, since ...)`. */
export function slotSummary(slot: ConcurrencyContext): string {
  const group = `concurrency group '${slot.group}'`;
  switch (slot.state) {
    case 'waiting':
      return `waiting in ${group} (${slot.position !== undefined ? `position ${slot.position}, ` : ''}since ${slot.waitingSince ?? '?'}, limit ${slot.limit})`;
    case 'holding':
      return `holds ${group} since ${slot.heldSince ?? '?'}`;
    case 'released':
      return slot.heldSince ? `held ${group} from ${slot.heldSince} to ${slot.releasedAt ?? '?'}` : `left the queue of ${group} at ${slot.releasedAt ?? '?'} without holding it`;
    case 'superseded':
      return `superseded in ${group} by ${slot.supersededBy ?? '?'}`;
    default:
      return `refused by ${group}${slot.reason ? `: ${slot.reason}` : ''}`;
  }
}

function printStatus(runId: string, context: RunContext, running: boolean, approvals: readonly WaitingApproval[]): void {
  out(`run ${runId}: ${context.status}${running ? ' (running)' : ''}`);
  if (context.concurrency) out(`  ${slotSummary(context.concurrency)}`);
  for (const [id, job] of Object.entries(context.jobs)) {
    out(`  job ${id}: ${job.status}${job.reason ? ` (${job.reason})` : ''}`);
    if (job.concurrency) out(`    ${slotSummary(job.concurrency)}`);
    for (const { path, stage, depth } of stageResults(job.stages)) out(`${'  '.repeat(depth + 2)}${path}: ${stageSummary(stage)}`);
    for (const s of job.strategies ?? [])
      out(
        `    [${Object.entries(s.matrix)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(',')}] ${s.status}`,
      );
  }
  for (const w of approvals) out(`  waiting for approval: ${w.path}: ${w.message}  (tempoflow approve ${runId} ${w.path})`);
}

function userName(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

export function register(program: Command): void {
  program
    .command('status')
    .description("show a run's live status: jobs, stages, waiting approvals")
    .argument('<run>', 'run id')
    .option('--json', 'print the context and waiting approvals as JSON')
    .option('-w, --watch', 'follow the run until it ends (a live tree on a terminal), with its stage output')
    .option('-q, --quiet', 'with --watch: hide the stage output')
    .action(action(statusCommand));

  program
    .command('cancel')
    .description('cancel a run: running stages are stopped and the run ends CANCEL')
    .argument('<run>', 'run id')
    .option('--reason <text>', "why (recorded in the run's history)")
    .action(action(cancelCommand));

  for (const approved of [true, false]) {
    const cmd = program
      .command(approved ? 'approve' : 'reject')
      .description(approved ? 'approve a waiting approval stage' : 'reject a waiting approval stage (the stage fails)')
      .argument('<run>', 'run id (the root run; it forwards to the job that owns the stage)')
      .argument('<stage>', 'the stage: job.stage, job[matrix-key].stage, job.parent.key.stage, or a unique stage id');
    if (!approved) cmd.requiredOption('--reason <text>', 'why it is rejected');
    else cmd.option('--reason <text>', 'a note recorded with the approval');
    cmd.option('--by <name>', 'who decides (recorded; default: your user name)');
    cmd.action(action((runId: string, stage: string, opts: { reason?: string; by?: string }) => decideCommand(approved, runId, stage, opts)));
  }
}
