/**
 * The stage decisions of a job's stage loop (docs/semantics.md, "Stages"):
 * whether a stage runs, and whether a failed stage lets the job go on.
 *
 * - Without `if`, a stage runs unless an earlier stage failed.
 * - An `if` that calls a status function (`always() success() failure()
 *   cancelled()`) decides alone (that is how cleanup stages run after a
 *   failure); any other `if` is ANDed with "no earlier stage failed".
 * - `continue-on-error` is a boolean or an expression; an expression that
 *   cannot be evaluated counts as false (the failure stands).
 * - After an attempt, the stage succeeded, failed for good (`retry:` spent,
 *   or the error is not retryable), or is retried after a backoff.
 *
 * The job runner (workflow code) and a stage batch (`dispatch: batch`, on
 * the worker) both decide with these, so a stage ends the same either way.
 *
 * Pure module: safe to import from workflow code and from activities.
 */
import type { StageAttemptResult } from '../activities/types.js';
import { conditionUsesStatusFunction, DEFER_SECRETS, evaluateCondition, renderTemplate } from '../expressions/index.js';
import { capStageOutputs } from './caps.js';
import type { StageContext } from './context.js';
import { backoffSeconds, masked, toErrorInfo, type ErrorWhere } from './render.js';
import type { StageSpec, Templated } from './spec.js';
import { StageErrorName } from './stage-errors.js';
import { Status } from './status.js';

/**
 * Whether a stage runs, given its `if`, the values its expressions see and
 * whether an earlier stage of the list failed.
 * @throws {ExpressionError} when the `if` cannot be evaluated (the stage then fails, positioned).
 */
export function stageRuns(condition: string | undefined, values: Record<string, unknown>, earlierFailed: boolean): boolean {
  if (condition === undefined) return !earlierFailed;
  const decidesAlone = conditionUsesStatusFunction(condition);
  const met = evaluateCondition(condition, { values, status: { success: !earlierFailed, failure: earlierFailed, cancelled: false } });
  return decidesAlone ? met : met && !earlierFailed;
}

/** Whether a failed stage lets the stages after it run as if it had succeeded. Never throws. */
export function stageContinuesOnError(continueOnError: Templated<boolean>, values: Record<string, unknown>): boolean {
  if (typeof continueOnError === 'boolean') return continueOnError;
  try {
    return evaluateCondition(continueOnError, { values });
  } catch {
    return false;
  }
}

/** How a stage starts: its context when it ends before any attempt (skipped, or its name or `if` failed), else its rendered name. */
export type StageStart = { readonly context: StageContext } | { readonly name: string };

/**
 * Renders a stage's display name and decides its `if`. `where` positions
 * an error; `now()` stamps a stage that fails here.
 */
export function startStage(stage: StageSpec, values: Record<string, unknown>, earlierFailed: boolean, where: ErrorWhere, now: () => string): StageStart {
  let name = stage.name;
  try {
    name = masked(renderTemplate(stage.name, { values }, DEFER_SECRETS));
    if (!stageRuns(stage.if, values, earlierFailed)) return { context: { status: Status.SKIP, name, outputs: {}, reason: earlierFailed ? 'an earlier stage failed' : 'its `if` is false' } };
    return { name };
  } catch (err) {
    return { context: { status: Status.FAILED, name, outputs: {}, error: toErrorInfo(err, where), start: now(), end: now() } };
  }
}

/** One attempt of a stage, as {@link recordAttempt} records it. */
export interface AttemptRecord {
  readonly attempt: number;
  readonly maxRetries: number;
  /** The stage's dotted path in its job, for its error. */
  readonly stagePath: string;
  /** Leaf stages' outputs are capped at 64 KB; nested stages hold capped leaves. */
  readonly capOutputs: boolean;
}

/**
 * Records an attempt's result in the stage's live context: SUCCESS, or
 * FAILED once `retry:` is spent or the error is not retryable.
 * @returns the seconds to wait before the next attempt, or `undefined` when the stage ended.
 */
export function recordAttempt(state: StageContext, stage: StageSpec, result: StageAttemptResult, at: AttemptRecord): number | undefined {
  state.outputs = at.capOutputs ? capStageOutputs(result.outputs) : result.outputs;
  if (result.logs) state.logs = result.logs;
  if (result.ok) {
    state.status = Status.SUCCESS;
    delete state.error;
    return undefined;
  }
  state.error = { ...(result.error ?? { name: StageErrorName.StageError, message: 'the stage failed' }), stage: at.stagePath };
  const retryable = !result.nonRetryable && !stage.retry.nonRetryableErrors.includes(state.error.name);
  if (at.attempt > at.maxRetries || !retryable) {
    state.status = Status.FAILED;
    return undefined;
  }
  return backoffSeconds(stage.retry, at.attempt);
}
