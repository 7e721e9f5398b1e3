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
 *
 * Pure module: safe to import from workflow code.
 */
import { conditionUsesStatusFunction, evaluateCondition } from '../expressions/index.js';
import type { Templated } from './spec.js';

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
