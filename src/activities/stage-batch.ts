/**
 * The `stageBatch` activity (`dispatch: batch`, docs/semantics.md "Batch
 * dispatch"): consecutive action stages of one job, run in order inside one
 * activity. Each stage gets the decisions the job runner makes for a stage
 * of its own (`workflows/job-runner.ts`), with the same functions
 * (`engine/stage-decision.ts`): its `if`, its rendered name, its
 * `retry:` and `timeout:`, the input of `engine/stage-input.ts`, the capped
 * outputs, `continue-on-error` — so a batched stage's context is the one it
 * would have had as an activity of its own. What differs is where it runs:
 *
 * - its retries wait in the activity (heartbeating), not on a durable timer;
 * - every heartbeat carries the contexts of the stages finished so far; a
 *   retry of the batch after a lost worker starts after the stages of the
 *   last heartbeat the server recorded (the stages finished after it run
 *   again);
 * - a cancellation requested by the workflow stops the running stage (its
 *   process group is killed) and returns what finished, so the workflow keeps
 *   those contexts; any other cancellation (worker shutdown) is thrown, and
 *   Temporal retries the batch elsewhere.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { jsonBytes } from '../engine/caps.js';
import type { StageContext } from '../engine/context.js';
import { renderCount, renderSeconds, toErrorInfo } from '../engine/render.js';
import { recordAttempt, stageContinuesOnError, startStage } from '../engine/stage-decision.js';
import { actionStageCall, type ActionStageCall, type ActionStageSpec } from '../engine/stage-input.js';
import { isFailure, Status } from '../engine/status.js';
import type { StageHeartbeat } from './output-window.js';
import { BatchHeartbeats, heartbeats, reportBatchProgress, sendHeartbeat, startHeartbeat } from './stage-runtime.js';
import type { BashStageInput, PythonStageInput, StageAttemptResult, StageBatchEntry, StageBatchInput, StageBatchProgress, StageBatchResult, UsesStageInput } from './types.js';

/** The stage activities a batch calls in-process (masked, as the worker registers them). */
export interface StageFunctions {
  bashStage(input: BashStageInput): Promise<StageAttemptResult>;
  pythonStage(input: PythonStageInput): Promise<StageAttemptResult>;
  usesStage(input: UsesStageInput): Promise<StageAttemptResult>;
}

/** How one stage of the batch ended: its context, or interrupted by a requested cancellation. */
type StageEnding = { readonly context: StageContext } | { readonly interrupted: NonNullable<StageBatchResult['interrupted']> };

/** Runs a stage batch; see the module doc. */
export async function stageBatch(fns: StageFunctions, heartbeatIntervalMs: number, input: StageBatchInput): Promise<StageBatchResult> {
  const ctx = Context.current();
  const done = resumedStages(input, ctx.info.heartbeatDetails);
  const beats = new BatchHeartbeats(ctx, heartbeatIntervalMs, () => ({ done }));
  reportBatchProgress(ctx, beats);
  try {
    return await runStages(fns, ctx, heartbeatIntervalMs, input, done);
  } finally {
    beats.close();
  }
}

/** Runs the stages of the batch after those in `done`, appending each to it. */
async function runStages(fns: StageFunctions, ctx: Context, heartbeatIntervalMs: number, input: StageBatchInput, done: StageBatchEntry[]): Promise<StageBatchResult> {
  const stages: Record<string, StageContext> = { ...input.stagesBefore };
  let failed = input.earlierFailed;
  for (const [i, entry] of done.entries()) {
    stages[entry.id] = entry.context;
    failed = failsJob(input.stages[i]!, entry.context, input, stages, failed);
  }
  if (done.length > 0) ctx.log.info(`stage batch resumed after ${done.length} finished stage(s)`, { job: input.job.job.id, next: input.stages[done.length]?.id });
  let bytes = 0;
  for (let i = done.length; i < input.stages.length; i++) {
    const stage = input.stages[i]!;
    const ending = await runStage(fns, ctx, heartbeatIntervalMs, input, stage, stages, failed);
    if ('interrupted' in ending) return { done, interrupted: ending.interrupted };
    stages[stage.id] = ending.context;
    failed = failsJob(stage, ending.context, input, stages, failed);
    const entry: StageBatchEntry = { id: stage.id, context: ending.context };
    done.push(entry);
    if (heartbeats(ctx)) sendHeartbeat(ctx, idleHeartbeat(input, stage.id, ending.context.attempt ?? 0));
    bytes += jsonBytes(entry);
    if (bytes >= input.resultBytes && i + 1 < input.stages.length) break;
  }
  return { done };
}

/** A heartbeat of the batch between stage processes (no output lines of its own). */
function idleHeartbeat(input: StageBatchInput, stageId: string, attempt: number): StageHeartbeat {
  return { job: input.job.job.id, stage: stageId, attempt, output: { seq: 0, lines: [] } };
}

/** The stages a previous attempt of this batch reported finished (a prefix of the batch), from its last heartbeat. */
function resumedStages(input: StageBatchInput, details: unknown): StageBatchEntry[] {
  const reported = (details as { batch?: Partial<StageBatchProgress> } | undefined)?.batch?.done;
  if (!Array.isArray(reported)) return [];
  const out: StageBatchEntry[] = [];
  for (const [i, entry] of reported.entries()) {
    if (entry?.id !== input.stages[i]?.id || !entry.context) break;
    out.push(entry);
  }
  return out;
}

/** Whether a finished stage fails the job from here on (a failure, and `continue-on-error` does not hold). */
function failsJob(stage: ActionStageSpec, context: StageContext, input: StageBatchInput, stages: Record<string, StageContext>, failed: boolean): boolean {
  return failed || (isFailure(context.status) && !stageContinuesOnError(stage.continueOnError, { ...input.values, stages: { ...stages } }));
}

/** Decides, renders and runs one stage with its own retry loop, as the job runner's `runStage` does. */
async function runStage(
  fns: StageFunctions,
  ctx: Context,
  heartbeatIntervalMs: number,
  input: StageBatchInput,
  stage: ActionStageSpec,
  stages: Record<string, StageContext>,
  earlierFailed: boolean,
): Promise<StageEnding> {
  const values = { ...input.values, stages: { ...stages } };
  const exprCtx = { values };
  const where = { job: input.job.job.id, stage: stage.id, location: stage.loc };
  const now = () => new Date().toISOString();
  const start = startStage(stage, values, earlierFailed, where, now);
  if ('context' in start) return start;
  const name = start.name;

  const state: StageContext = { status: Status.WAIT, name, outputs: {}, start: now(), attempt: 1 };
  // A `run` stage sees its own entry in `context.stages`, as in the job runner.
  stages[stage.id] = state;
  const interrupted = () => ({ interrupted: { id: stage.id, name, start: state.start!, attempt: state.attempt! } });
  try {
    const maxRetries = renderCount(stage.retry.maximumRetries, exprCtx, 'retry');
    for (let attempt = 1; ; attempt++) {
      state.attempt = attempt;
      const timeoutSeconds = stage.timeoutSeconds === undefined ? undefined : renderSeconds(stage.timeoutSeconds, exprCtx, 'timeout');
      const call = actionStageCall(input.job, stage, { stageId: stage.id, name, attempt, ctx: exprCtx, timeoutSeconds, jobStages: stages });
      const result = await callStage(fns, ctx, call);
      if (result === CANCEL_REQUESTED) return interrupted();
      const delay = recordAttempt(state, stage, result, { attempt, maxRetries, stagePath: stage.id, capOutputs: true });
      if (delay === undefined) break;
      ctx.log.info(`stage ${input.job.job.id}.${stage.id}: attempt ${attempt} failed; retrying in ${delay} s`, { error: state.error?.message });
      if ((await waitBeforeRetry(ctx, heartbeatIntervalMs, delay, () => idleHeartbeat(input, stage.id, attempt))) === CANCEL_REQUESTED) return interrupted();
    }
  } catch (err) {
    // Rendering the stage failed (an expression, a count): the stage fails, as in the job runner.
    state.status = Status.FAILED;
    state.error = toErrorInfo(err, where);
  }
  state.end = now();
  return { context: state };
}

/** What a stage call or a retry wait returns when the workflow asked to cancel the batch. */
const CANCEL_REQUESTED = Symbol('cancel requested');

/**
 * Sorts what a stage call or wait threw: a cancellation the workflow asked
 * for ends the batch with a result; a failure a retry of the activity cannot
 * fix (`ApplicationFailure.nonRetryable`) fails the stage, as it would fail a
 * stage of its own; anything else — a worker shutdown, a lost activity, an
 * infrastructure error — is thrown for Temporal to retry the batch.
 */
function cancelRequestedOr(ctx: Context, err: unknown): typeof CANCEL_REQUESTED {
  if ((err instanceof CancelledFailure || ctx.cancellationSignal.aborted) && ctx.cancellationDetails?.cancelRequested) return CANCEL_REQUESTED;
  throw err;
}

/** Waits `seconds` before a stage's next attempt, heartbeating; cancellable. */
async function waitBeforeRetry(ctx: Context, heartbeatIntervalMs: number, seconds: number, details: () => StageHeartbeat): Promise<typeof CANCEL_REQUESTED | undefined> {
  const stop = startHeartbeat(ctx, heartbeatIntervalMs, details);
  try {
    await ctx.sleep(seconds * 1000);
    return undefined;
  } catch (err) {
    return cancelRequestedOr(ctx, err);
  } finally {
    stop();
  }
}

/** Calls the stage activity `call` names, in-process; see {@link cancelRequestedOr} for what it throws. */
async function callStage(fns: StageFunctions, ctx: Context, call: ActionStageCall): Promise<StageAttemptResult | typeof CANCEL_REQUESTED> {
  try {
    switch (call.activity) {
      case 'bashStage':
        return await fns.bashStage(call.input);
      case 'pythonStage':
        return await fns.pythonStage(call.input);
      case 'usesStage':
        return await fns.usesStage(call.input);
    }
  } catch (err) {
    if (err instanceof ApplicationFailure && err.nonRetryable)
      return { ok: false, nonRetryable: true, outputs: {}, error: toErrorInfo(err, { job: call.input.jobId, stage: call.input.stageId, location: call.input.location }) };
    return cancelRequestedOr(ctx, err);
  }
}
