/**
 * Run control: `tempoflow status <run>`, `cancel <run>`, `approve <run> <stage>`
 * and `reject <run> <stage> --reason`. They talk to the run through Temporal
 * (query, cancel, signal), so they work from any machine that reaches the
 * server; they never start a worker of their own.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { TempoflowRuntime } from '../client/runtime.js';
import { awaitResult } from '../client/result.js';
import type { JobContext, RunContext, StageContext } from '../engine/context.js';
import { approvalSignal, jobStatusQuery, statusQuery } from '../workflows/definitions.js';
import { action, CliExit, ExitCode, info } from './common.js';

/** Connects for a control command: no in-process worker. */
async function connect(): Promise<TempoflowRuntime> {
  return TempoflowRuntime.connect({ log: info, inProcessWorker: false });
}

async function handleFor(runtime: TempoflowRuntime, runId: string): Promise<{ handle: WorkflowHandle; running: boolean }> {
  const handle = runtime.client.workflow.getHandle(runId);
  try {
    const d = await handle.describe();
    return { handle, running: d.status.name === 'RUNNING' };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new CliExit(ExitCode.INVALID, `no run '${runId}' on ${runtime.address} (namespace ${runtime.namespace})`);
    throw err;
  }
}

/** The live context of a run: the `status` query while it runs, its result after. */
export async function fetchContext(runtime: TempoflowRuntime, runId: string): Promise<{ context: RunContext; running: boolean }> {
  const { handle, running } = await handleFor(runtime, runId);
  if (!running) return { context: (await awaitResult(handle, runId)).context, running };
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new CliExit(ExitCode.ERROR, `run ${runId} is running but no worker answered; start \`tempoflow dev\` or a \`tempoflow worker\``)), 10_000).unref(),
  );
  return { context: await Promise.race([handle.query(statusQuery), timeout]), running };
}

/** A stage waiting for approval: its path for `tempoflow approve`, its message and approvers. */
export interface WaitingApproval {
  readonly path: string;
  readonly message: string;
  readonly approvers: unknown;
}

/** Waiting approval stages in a stage map, nested stages included, with paths under `prefix`. */
function approvalsIn(prefix: string, stages: Record<string, StageContext>, out: WaitingApproval[]): void {
  for (const [id, st] of Object.entries(stages)) {
    const approval = (st.outputs as { approval?: { waiting?: boolean; message?: string; approvers?: unknown } }).approval;
    if (st.status === 'WAIT' && approval?.waiting) out.push({ path: `${prefix}${id}`, message: approval.message ?? '', approvers: approval.approvers ?? [] });
    for (const nestedKey of ['parallel', 'foreach', 'until', 'branches'] as const) {
      const nested = (st.outputs as Record<string, unknown>)[nestedKey];
      if (nested && typeof nested === 'object') {
        for (const [key, entry] of Object.entries(nested as Record<string, { stages?: Record<string, StageContext> }>)) {
          if (entry?.stages) approvalsIn(`${prefix}${id}.${key}.`, entry.stages, out);
        }
      }
    }
  }
}

/** Stages of inline jobs waiting for approval, as `job.stage` paths. */
export function waitingApprovals(context: RunContext): WaitingApproval[] {
  const out: WaitingApproval[] = [];
  for (const [jobId, job] of Object.entries(context.jobs)) approvalsIn(`${jobId}.`, job.stages, out);
  return out;
}

/** Most running combinations asked for their approvals by one `status`. */
const MAX_COMBINATIONS_QUERIED = 50;

/**
 * Approvals waiting inside running matrix combinations (child workflows), as
 * `job[key].stage` paths: each running combination answers its own `status`.
 */
export async function combinationApprovals(runtime: TempoflowRuntime, context: RunContext): Promise<WaitingApproval[]> {
  const out: WaitingApproval[] = [];
  const running = Object.entries(context.jobs)
    .flatMap(([jobId, job]) => (job.strategies ?? []).filter((s) => s.status === 'WAIT' && s.workflowId).map((s) => ({ jobId, s })))
    .slice(0, MAX_COMBINATIONS_QUERIED);
  await Promise.all(
    running.map(async ({ jobId, s }) => {
      try {
        const child = await runtime.client.workflow.getHandle(s.workflowId!).query(jobStatusQuery);
        approvalsIn(`${jobId}[${s.key}].`, child.stages, out);
      } catch {
        // Not started yet, already done, or no worker: nothing to list.
      }
    }),
  );
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

function printContext(runId: string, context: RunContext, running: boolean, approvals: readonly WaitingApproval[]): void {
  process.stdout.write(`run ${runId}: ${context.status}${running ? ' (running)' : ''}\n`);
  const line = (indent: string, text: string) => process.stdout.write(`${indent}${text}\n`);
  const stageLines = (indent: string, stages: Record<string, StageContext>) => {
    for (const [id, st] of Object.entries(stages)) {
      const attempt = st.attempt && st.attempt > 1 ? ` (attempt ${st.attempt})` : '';
      const why = st.error ? `: ${st.error.message.split('\n')[0]}` : st.reason ? ` (${st.reason})` : '';
      line(indent, `${id}: ${st.status}${attempt}${why}`);
    }
  };
  for (const [id, job] of Object.entries(context.jobs) as [string, JobContext][]) {
    line('  ', `job ${id}: ${job.status}${job.reason ? ` (${job.reason})` : ''}`);
    stageLines('    ', job.stages);
    for (const s of job.strategies ?? []) line('    ', `[${Object.entries(s.matrix).map(([k, v]) => `${k}=${String(v)}`).join(',')}] ${s.status}`);
  }
  for (const w of approvals) {
    line('  ', `waiting for approval: ${w.path}: ${w.message}  (tempoflow approve ${runId} ${w.path})`);
  }
}

export function register(program: Command): void {
  program
    .command('status')
    .description("show a run's live status: jobs, stages, waiting approvals")
    .argument('<run>', 'run id')
    .option('--json', 'print the context as JSON')
    .action(
      action(async (runId: string, opts: { json?: boolean }) => {
        const runtime = await connect();
        try {
          const { context, running } = await fetchContext(runtime, runId);
          const approvals = [...waitingApprovals(context), ...(running ? await combinationApprovals(runtime, context) : [])];
          if (opts.json) process.stdout.write(`${JSON.stringify({ runId, running, context, waitingApprovals: approvals }, null, 2)}\n`);
          else printContext(runId, context, running, approvals);
          return ExitCode.OK;
        } finally {
          await runtime.close();
        }
      }),
    );

  program
    .command('cancel')
    .description('cancel a run: running stages are stopped and the run ends CANCEL')
    .argument('<run>', 'run id')
    .action(
      action(async (runId: string) => {
        const runtime = await connect();
        try {
          const { handle, running } = await handleFor(runtime, runId);
          if (!running) throw new CliExit(ExitCode.INVALID, `run ${runId} has already ended`);
          await handle.cancel();
          info(`cancellation requested for ${runId}`);
          return ExitCode.OK;
        } finally {
          await runtime.close();
        }
      }),
    );

  for (const approved of [true, false]) {
    const cmd = program
      .command(approved ? 'approve' : 'reject')
      .description(approved ? 'approve a waiting approval stage' : 'reject a waiting approval stage (the stage fails)')
      .argument('<run>', 'run id (the root run; it forwards to the job that owns the stage)')
      .argument('<stage>', 'the stage: job.stage, job[matrix-key].stage, or a unique stage id');
    if (!approved) cmd.requiredOption('--reason <text>', 'why it is rejected');
    else cmd.option('--reason <text>', 'a note recorded with the approval');
    cmd.option('--by <name>', 'who decides (recorded; default: your user name)');
    cmd.action(
      action(async (runId: string, stage: string, opts: { reason?: string; by?: string }) => {
        const runtime = await connect();
        try {
          const { handle, running } = await handleFor(runtime, runId);
          if (!running) throw new CliExit(ExitCode.INVALID, `run ${runId} has already ended`);
          const by = opts.by ?? safeUser();
          await handle.signal(approvalSignal, { stage, approved, ...(opts.reason ? { reason: opts.reason } : {}), ...(by ? { by } : {}) });
          info(`${approved ? 'approved' : 'rejected'} ${stage} of ${runId}`);
          return ExitCode.OK;
        } finally {
          await runtime.close();
        }
      }),
    );
  }
}

function safeUser(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}
