/**
 * The job decision (docs/semantics.md "Jobs"): once every need of a job is terminal,
 * decide whether the job runs or is SKIP, from its needs' results, its `if`
 * or its `trigger-rule`.
 *
 * Rules, in order:
 * - `if` and `trigger-rule` on one job is a validation error ({@link JobDecisionError} here).
 * - With an `if`: a condition that calls a status function (`always() success()
 *   failure() cancelled()`) or reads `needs.<job>.result` / `.outcome`
 *   (`needs.*.result` included) decides alone; any other `if` is ANDed with
 *   `success()` (GitHub's rule), and is not evaluated when `success()` is false.
 * - With a `trigger-rule`: Airflow's truth table over the need results (see
 *   {@link TriggerRule}); a job without needs runs whatever the rule.
 * - Neither: the job runs only if every need's result is `success`, so a SKIP
 *   propagates down such chains. A job without needs runs.
 *
 * Status answers for a job's `if`: `success()` = every need result is
 * `success` and the run is not cancelled; `failure()` = some need result is
 * `failure`; `cancelled()` = the run was cancelled. Once the run is cancelled,
 * only an `if` with a status function (e.g. `always()`, `cancelled()`) can
 * still run a job; trigger-rule and default jobs are skipped.
 *
 * Pure module: safe to import from workflow code.
 */
import { analyzeCondition, evaluateCondition, type ExpressionContext, type FilterRegistry, type StatusAnswers } from '../expressions/index.js';
import { NeedResult, Status, outcomeOf, resultOf } from './status.js';

/**
 * Airflow trigger rules over the results of a job's needs (`needs.<job>.result`,
 * so `continue-on-error` failures count as `success`). `cancelled` counts as
 * failed for the failure-based rules (`all_failed`, `one_failed`, `none_failed`).
 */
export const TriggerRule = {
  /** Every need succeeded (the default without `if`). */
  all_success: 'all_success',
  /** Every need failed or was cancelled. */
  all_failed: 'all_failed',
  /** Every need finished, whatever its result. */
  all_done: 'all_done',
  /** At least one need succeeded. */
  one_success: 'one_success',
  /** At least one need failed or was cancelled. */
  one_failed: 'one_failed',
  /** No need failed or was cancelled (succeeded or skipped). */
  none_failed: 'none_failed',
  /** No need was skipped. */
  none_skipped: 'none_skipped',
} as const;
export type TriggerRule = (typeof TriggerRule)[keyof typeof TriggerRule];

/** What the decision needs to know about one need (a job listed in `needs`). */
export interface NeedSummary {
  /** Its terminal status. */
  readonly status: Status;
  /** Whether it has `continue-on-error: true` (a FAILED need then counts as `success`). */
  readonly continueOnError: boolean;
}

/** Input of {@link decideJob}. */
export interface JobDecisionInput {
  /** The job's needs by job id, all terminal. */
  readonly needs: Readonly<Record<string, NeedSummary>>;
  /** The job's `if` (bare, `${{ }}`-wrapped, or mixed text). Blank counts as absent. */
  readonly if?: string;
  /** The job's `trigger-rule`. */
  readonly triggerRule?: TriggerRule;
  /**
   * Root namespaces for the `if` (`params`, `env`, `extras`, ...). When it has no
   * `needs` entry, one is built from {@link JobDecisionInput.needs} (without outputs).
   */
  readonly values: Readonly<Record<string, unknown>>;
  /** Whether the run was cancelled. */
  readonly cancelled?: boolean;
  /** Filters for the `if`; defaults to the built-ins. */
  readonly filters?: FilterRegistry;
  /** Expression caps for the `if`. */
  readonly limits?: ExpressionContext['limits'];
}

/** Outcome of {@link decideJob}: whether to run, and a human sentence saying why. */
export interface JobDecision {
  readonly run: boolean;
  readonly reason: string;
}

/**
 * Thrown by {@link decideJob} when it is called wrongly: a need that is not
 * terminal yet, an unknown trigger rule, or both `if` and `trigger-rule`
 * (which validation rejects before a run starts).
 */
export class JobDecisionError extends Error {
  override readonly name = 'JobDecisionError' as const;
}

const PAST: Readonly<Record<NeedResult, { one: string; many: string }>> = {
  success: { one: 'succeeded', many: 'succeeded' },
  failure: { one: 'failed', many: 'failed' },
  cancelled: { one: 'was cancelled', many: 'were cancelled' },
  skipped: { one: 'was skipped', many: 'were skipped' },
};

/** `need 'a' failed`, `needs 'a', 'b' were skipped`. */
function describeGroup(ids: readonly string[], result: NeedResult): string {
  const names = ids.map((id) => `'${id}'`).join(', ');
  return ids.length === 1 ? `need ${names} ${PAST[result].one}` : `needs ${names} ${PAST[result].many}`;
}

/** Sentences for the needs whose result is one of `results`, grouped by result in a fixed order. */
function describeNeeds(results: ReadonlyMap<string, NeedResult>, wanted: readonly NeedResult[]): string {
  const parts: string[] = [];
  for (const result of wanted) {
    const ids = [...results].filter(([, r]) => r === result).map(([id]) => id);
    if (ids.length > 0) parts.push(describeGroup(ids, result));
  }
  return parts.join('; ');
}

const NOT_SUCCESS: readonly NeedResult[] = [NeedResult.failure, NeedResult.cancelled, NeedResult.skipped];
const FAILED_LIKE: readonly NeedResult[] = [NeedResult.failure, NeedResult.cancelled];
const ALL: readonly NeedResult[] = [NeedResult.success, NeedResult.failure, NeedResult.cancelled, NeedResult.skipped];

/** The results (`needs.<job>.result`) of terminal needs. */
function needResults(needs: Readonly<Record<string, NeedSummary>>): Map<string, NeedResult> {
  const results = new Map<string, NeedResult>();
  for (const [id, need] of Object.entries(needs)) {
    if (need.status === Status.WAIT) {
      throw new JobDecisionError(`cannot decide yet: need '${id}' has not finished (status WAIT)`);
    }
    results.set(id, resultOf(need.status, need.continueOnError));
  }
  return results;
}

/**
 * Status-function answers for a job's `if`: `success` = every need result is
 * `success` and the run is not cancelled, `failure` = some need result is
 * `failure`, `cancelled` = the run was cancelled.
 */
export function jobStatusAnswers(needs: Readonly<Record<string, NeedSummary>>, cancelled = false): StatusAnswers {
  const results = [...needResults(needs).values()];
  return {
    success: !cancelled && results.every((r) => r === NeedResult.success),
    failure: results.some((r) => r === NeedResult.failure),
    cancelled,
  };
}

/** Whether `rule` is met by `results`, per Airflow's truth table (cancelled counts as failed). */
export function triggerRuleMet(rule: TriggerRule, results: Iterable<NeedResult>): boolean {
  const list = [...results];
  const failedLike = (r: NeedResult): boolean => r === NeedResult.failure || r === NeedResult.cancelled;
  switch (rule) {
    case TriggerRule.all_success:
      return list.every((r) => r === NeedResult.success);
    case TriggerRule.all_failed:
      return list.every(failedLike);
    case TriggerRule.all_done:
      return true;
    case TriggerRule.one_success:
      return list.some((r) => r === NeedResult.success);
    case TriggerRule.one_failed:
      return list.some(failedLike);
    case TriggerRule.none_failed:
      return !list.some(failedLike);
    case TriggerRule.none_skipped:
      return !list.some((r) => r === NeedResult.skipped);
    default:
      throw new JobDecisionError(`unknown trigger-rule '${String(rule)}'; use one of ${Object.values(TriggerRule).join(', ')}`);
  }
}

/** Which needs explain a trigger rule's verdict (those that made it fail, or that satisfied it). */
function explainRule(rule: TriggerRule, met: boolean, results: ReadonlyMap<string, NeedResult>): string {
  switch (rule) {
    case TriggerRule.all_success:
      return met ? 'every need succeeded' : describeNeeds(results, NOT_SUCCESS);
    case TriggerRule.all_failed:
      return met ? describeNeeds(results, FAILED_LIKE) : describeNeeds(results, [NeedResult.success, NeedResult.skipped]);
    case TriggerRule.all_done:
      return 'every need finished';
    case TriggerRule.one_success:
      return met ? describeNeeds(results, [NeedResult.success]) : 'no need succeeded';
    case TriggerRule.one_failed:
      return met ? describeNeeds(results, FAILED_LIKE) : 'no need failed or was cancelled';
    case TriggerRule.none_failed:
      return met ? 'no need failed or was cancelled' : describeNeeds(results, FAILED_LIKE);
    case TriggerRule.none_skipped:
      return met ? 'no need was skipped' : describeNeeds(results, [NeedResult.skipped]);
  }
}

function shortIf(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 80 ? `${oneLine.slice(0, 77)}...` : oneLine;
}

/**
 * Decide whether a job whose needs are all terminal runs (see the module
 * docs for the rules). `reason` is a sentence such as
 * `skipped: need 'build' failed` or `runs: its \`if\` (always()) is true`.
 * @throws {ExpressionError} when the `if` cannot be parsed or evaluated.
 * @throws {JobDecisionError} on a non-terminal need, an unknown rule, or both `if` and `triggerRule`.
 */
export function decideJob(input: JobDecisionInput): JobDecision {
  const condition = input.if !== undefined && input.if.trim() !== '' ? input.if : undefined;
  if (condition !== undefined && input.triggerRule !== undefined) {
    throw new JobDecisionError('a job cannot have both `if` and `trigger-rule`; keep one of them');
  }
  const results = needResults(input.needs);
  const cancelled = input.cancelled ?? false;
  const all = describeNeeds(results, ALL);

  if (condition !== undefined) {
    const analysis = analyzeCondition(condition, input.limits);
    const status = jobStatusAnswers(input.needs, cancelled);
    const replacesDefault = analysis.usesStatusFunction || analysis.readsNeedsResult;
    if (!replacesDefault && !status.success) {
      const why = cancelled ? 'the run was cancelled' : describeNeeds(results, NOT_SUCCESS);
      return { run: false, reason: `skipped: ${why} (an \`if\` without a status function also requires success())` };
    }
    const values = Object.prototype.hasOwnProperty.call(input.values, 'needs') ? input.values : { ...input.values, needs: buildNeedsContext(input.needs) };
    const ctx: ExpressionContext = {
      values,
      status,
      ...(input.filters !== undefined ? { filters: input.filters } : {}),
      ...(input.limits !== undefined ? { limits: input.limits } : {}),
    };
    const run = evaluateCondition(condition, ctx);
    const suffix = replacesDefault && all !== '' ? ` (${all})` : '';
    return { run, reason: `${run ? 'runs' : 'skipped'}: its \`if\` (${shortIf(condition)}) is ${run ? 'true' : 'false'}${suffix}` };
  }

  if (input.triggerRule !== undefined) {
    const rule = input.triggerRule;
    if (!Object.values(TriggerRule).includes(rule)) triggerRuleMet(rule, []);
    if (cancelled) return { run: false, reason: 'skipped: the run was cancelled' };
    if (results.size === 0) return { run: true, reason: `runs: no needs (trigger-rule ${rule} applies to needs only)` };
    const met = triggerRuleMet(rule, results.values());
    return { run: met, reason: `${met ? 'runs' : 'skipped'}: trigger-rule ${rule} is ${met ? 'met' : 'not met'} (${explainRule(rule, met, results)})` };
  }

  if (cancelled) return { run: false, reason: 'skipped: the run was cancelled' };
  if (results.size === 0) return { run: true, reason: 'runs: no needs' };
  const failing = describeNeeds(results, NOT_SUCCESS);
  return failing === '' ? { run: true, reason: 'runs: every need succeeded' } : { run: false, reason: `skipped: ${failing}` };
}

/** What `needs.<job>` holds in expressions. */
export interface NeedContext {
  /** GitHub word seen by dependents (`continue-on-error` failures read `success`). */
  readonly result: NeedResult;
  /** GitHub word of the job's own status. */
  readonly outcome: NeedResult;
  /** The job's outputs (`{}` when none were given). */
  readonly outputs: unknown;
  /** For a matrix job: `{ matrix, status, outputs }` per combination. */
  readonly strategies?: unknown;
}

/**
 * Build the `needs` namespace: `needs.<job>.{result, outcome, outputs}` (plus
 * `strategies` when given) for each need. Only own entries of `outputs` and
 * `strategies` are read.
 */
export function buildNeedsContext(
  needs: Readonly<Record<string, NeedSummary>>,
  outputs: Readonly<Record<string, unknown>> = {},
  strategies?: Readonly<Record<string, unknown>>,
): Record<string, NeedContext> {
  const own = (record: Readonly<Record<string, unknown>> | undefined, key: string): unknown => (record !== undefined && Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined);
  return Object.fromEntries(
    Object.entries(needs).map(([id, need]) => {
      const strategy = own(strategies, id);
      const entry: NeedContext = {
        result: resultOf(need.status, need.continueOnError),
        outcome: outcomeOf(need.status),
        outputs: own(outputs, id) ?? {},
        ...(strategy !== undefined ? { strategies: strategy } : {}),
      };
      return [id, entry];
    }),
  );
}
