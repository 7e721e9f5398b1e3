/**
 * The `uses` stage activity: a registered TypeScript task (docs/stages.md,
 * "`uses`: registered TypeScript tasks"). An unknown task or a `with` its
 * schema refuses is returned non-retryable; a thrown error or a timeout is
 * returned retryable; cancellation aborts `ctx.signal` and throws
 * `CancelledFailure` (after waiting up to the kill grace period for the task
 * to stop).
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { z } from 'zod';
import { StageErrorName } from '../engine/stage-errors.js';
import { capOutputs, capWarning, toJsonValue } from './outputs.js';
import type { TaskContext, TaskDefinition } from './registry.js';
import { renderStageSecrets } from './secrets.js';
import { stageDirs, stageEnv } from './stage-env.js';
import { OutputWindow } from './output-window.js';
import { heartbeats, sendHeartbeat, stageHeartbeat, startHeartbeat, timeoutResult, type StageRuntime } from './stage-runtime.js';
import type { StageTrace } from './trace.js';
import type { StageAttemptResult, UsesStageInput } from './types.js';

/** Where a `uses` stage's errors point. */
interface Where {
  readonly job: string;
  readonly stage: string;
  readonly location: string;
}

/** How a task's run ended: its value, its error, or abandoned after an abort. */
type Settled = { kind: 'value'; value: unknown } | { kind: 'error'; error: unknown } | { kind: 'abandoned' };

/** Runs a `uses` stage attempt; see the module doc. */
export async function usesStage(rt: StageRuntime, raw: UsesStageInput): Promise<StageAttemptResult> {
  const ctx = Context.current();
  const where: Where = { job: raw.jobId, stage: raw.stageId, location: raw.location };
  const trace = rt.openTrace(raw);
  const rendered = renderStageSecrets(raw, ['with', 'env'], rt.secrets);
  if (!rendered.ok) {
    trace.event(`failed: ${StageErrorName.SecretError}: ${rendered.result.error.message}`);
    return rendered.result;
  }
  const input = rendered.input;
  const prepared = await taskAndArgs(rt, input, trace, where);
  if ('failed' in prepared) return prepared.failed;

  const { workspace } = stageDirs(rt.config, input);
  const env = stageEnv(rt.config.baseEnv, input, workspace);
  const run = await runTask(rt, ctx, input, prepared, trace, { workspace, env });
  if (run.cancelled) throw new CancelledFailure(`stage '${input.stageId}' cancelled`);
  const killGraceMs = rt.config.killGraceMs;
  if (run.timedOut) {
    return timeoutResult(input, {}, run.settled.kind === 'abandoned' ? `ctx.signal aborted and the task did not stop within ${killGraceMs} ms` : 'ctx.signal aborted');
  }
  return taskResult(input, run.settled, trace, where);
}

/** The task and its validated arguments, or the non-retryable failure of an unknown task or a refused `with`. */
async function taskAndArgs(rt: StageRuntime, input: UsesStageInput, trace: StageTrace, where: Where): Promise<{ task: TaskDefinition; args: unknown } | { failed: StageAttemptResult }> {
  const task = rt.tasks.resolve(input.uses);
  if ('error' in task) {
    trace.event(`failed: ${StageErrorName.TaskNotFoundError}: ${task.error}`);
    return { failed: { ok: false, nonRetryable: true, outputs: {}, error: { name: StageErrorName.TaskNotFoundError, message: task.error, ...where } } };
  }
  try {
    const parsed = await task.with.safeParseAsync(input.with ?? {});
    if (!parsed.success) {
      const message = `invalid 'with' for ${input.uses}:\n${prettyIssues(parsed.error)}`;
      trace.event(`failed: ${StageErrorName.TaskInputError}: ${message.replace(/\n/g, ' ')}`);
      return { failed: { ok: false, nonRetryable: true, outputs: {}, error: { name: StageErrorName.TaskInputError, message, ...where } } };
    }
    return { task, args: parsed.data };
  } catch (err) {
    const message = `validating 'with' for ${input.uses} threw: ${err instanceof Error ? err.message : String(err)}`;
    return { failed: { ok: false, nonRetryable: true, outputs: {}, error: { name: StageErrorName.TaskInputError, message, ...where } } };
  }
}

/**
 * Runs the task with its context: `ctx.signal` aborts on cancellation and on
 * the stage's timeout; after an abort the task has the kill grace period to
 * settle, then it is abandoned. Heartbeats every interval (details masked).
 */
async function runTask(
  rt: StageRuntime,
  ctx: Context,
  input: UsesStageInput,
  { task, args }: { task: TaskDefinition; args: unknown },
  trace: StageTrace,
  place: { workspace: string; env: Record<string, string> },
): Promise<{ settled: Settled; cancelled: boolean; timedOut: boolean }> {
  const { config, secrets } = rt;
  const controller = new AbortController();
  let cancelled = false;
  let timedOut = false;
  const onCancel = (): void => {
    cancelled = true;
    controller.abort(new CancelledFailure(`stage '${input.stageId}' cancelled`));
  };
  if (ctx.cancellationSignal.aborted) onCancel();
  else ctx.cancellationSignal.addEventListener('abort', onCancel, { once: true });
  const timeout =
    input.timeoutSeconds !== undefined
      ? setTimeout(() => {
          timedOut = true;
          const reason = new Error(`stage timed out after ${input.timeoutSeconds} s`);
          reason.name = StageErrorName.TimeoutError;
          controller.abort(reason);
        }, input.timeoutSeconds * 1000)
      : undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  const abandoned = new Promise<{ kind: 'abandoned' }>((resolveAbandoned) => {
    const arm = (): void => {
      graceTimer = setTimeout(() => resolveAbandoned({ kind: 'abandoned' }), config.killGraceMs);
    };
    if (controller.signal.aborted) arm();
    else controller.signal.addEventListener('abort', arm, { once: true });
  });
  const window = new OutputWindow(secrets.masker());
  let progress: unknown;
  const stopHeartbeat = startHeartbeat(ctx, config.heartbeatIntervalMs, () => stageHeartbeat(input, window, progress));
  const taskCtx: TaskContext = {
    signal: controller.signal,
    heartbeat: (d?: unknown) => {
      progress = d === undefined ? undefined : secrets.masker().maskValue(d);
      if (heartbeats(ctx)) sendHeartbeat(ctx, stageHeartbeat(input, window, progress));
    },
    attempt: input.attempt,
    workspace: place.workspace,
    runId: input.runId,
    job: input.jobId,
    stage: input.stageId,
    params: input.params,
    matrix: input.matrix ?? {},
    env: place.env,
    log: (message: string) => {
      trace.output('log', String(message));
      window.push('log', String(message));
    },
  };

  trace.event(`start attempt ${input.attempt} (${input.uses})`);
  const started = Date.now();
  let settled: Settled;
  try {
    settled = await Promise.race<Settled>([
      (async () => task.run(args, taskCtx))().then(
        (value) => ({ kind: 'value' as const, value }),
        (error: unknown) => ({ kind: 'error' as const, error }),
      ),
      abandoned,
    ]);
  } finally {
    stopHeartbeat();
    window.end();
    if (heartbeats(ctx) && !ctx.cancellationSignal.aborted) sendHeartbeat(ctx, stageHeartbeat(input, window, progress));
    if (timeout) clearTimeout(timeout);
    if (graceTimer) clearTimeout(graceTimer);
    ctx.cancellationSignal.removeEventListener('abort', onCancel);
    trace.close();
  }
  trace.event(`end ${settled.kind === 'value' ? 'returned' : settled.kind === 'error' ? 'threw' : 'abandoned'} in ${Date.now() - started} ms`);
  if (settled.kind === 'abandoned') trace.event(`warning: the task did not stop within ${config.killGraceMs} ms of its signal aborting; abandoned`);
  return { settled, cancelled, timedOut };
}

/** The attempt's result from what the task returned or threw (not cancelled, not timed out). */
function taskResult(input: UsesStageInput, settled: Settled, trace: StageTrace, where: Where): StageAttemptResult {
  if (settled.kind === 'error') {
    const err = settled.error;
    const failure = err instanceof ApplicationFailure ? err : undefined;
    const name = failure ? failure.type || 'ApplicationFailure' : err instanceof Error ? err.name || 'Error' : 'Error';
    const message = err instanceof Error ? err.message : String(err);
    trace.event(`failed: ${name}: ${(err instanceof Error && err.stack) || message}`);
    return { ok: false, outputs: {}, error: { name, message, ...where }, ...(failure?.nonRetryable ? { nonRetryable: true } : {}) };
  }
  if (settled.kind !== 'value') throw new Error('unreachable: an abandoned task is either cancelled or timed out');
  const value = settled.value;
  if (value !== undefined && value !== null && (typeof value !== 'object' || Array.isArray(value))) {
    const message = `task ${input.uses} returned ${Array.isArray(value) ? 'an array' : `a ${typeof value}`}; a task returns an object of outputs (or nothing)`;
    trace.event(`failed: ${StageErrorName.TaskOutputError}: ${message}`);
    return { ok: false, outputs: {}, error: { name: StageErrorName.TaskOutputError, message, ...where } };
  }
  const json = toJsonValue(value ?? {}, 'outputs');
  if (!json.ok) {
    const message = `task ${input.uses} returned outputs that are not JSON: ${json.error}`;
    trace.event(`failed: ${StageErrorName.TaskOutputError}: ${message}`);
    return { ok: false, outputs: {}, error: { name: StageErrorName.TaskOutputError, message, ...where } };
  }
  const capped = capOutputs(json.value as Record<string, unknown>);
  const warning = capWarning(capped);
  if (warning) trace.event(`warning: ${warning}`);
  return { ok: true, outputs: capped.outputs };
}

/** A zod error as readable lines naming each field (zod's `prettifyError`, whatever zod made the schema). */
function prettyIssues(error: unknown): string {
  try {
    return z.prettifyError(error as z.ZodError);
  } catch {
    return error instanceof Error ? error.message : String(error);
  }
}
