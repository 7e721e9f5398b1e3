import { describe, expect, it } from 'vitest';
import { buildNeedsContext, decideJob, JobDecisionError, jobStatusAnswers, TriggerRule, triggerRuleMet, type NeedSummary } from '../../../src/engine/decision.js';
import { Status } from '../../../src/engine/status.js';
import { ExpressionError, FilterRegistry } from '../../../src/expressions/index.js';

const ok: NeedSummary = { status: Status.SUCCESS, continueOnError: false };
const failed: NeedSummary = { status: Status.FAILED, continueOnError: false };
const failedCoe: NeedSummary = { status: Status.FAILED, continueOnError: true };
const timedOut: NeedSummary = { status: Status.TIMEOUT, continueOnError: false };
const skipped: NeedSummary = { status: Status.SKIP, continueOnError: false };
const cancelled: NeedSummary = { status: Status.CANCEL, continueOnError: false };

/** Needs named after their letter: S success, F failed, C cancelled, K skipped, E failed with continue-on-error, T timeout. */
function needs(pattern: string): Record<string, NeedSummary> {
  const map: Record<string, NeedSummary> = { S: ok, F: failed, C: cancelled, K: skipped, E: failedCoe, T: timedOut };
  return Object.fromEntries([...pattern].map((c, i) => [`${c.toLowerCase()}${i}`, map[c] as NeedSummary]));
}

describe('default rule (no if, no trigger-rule)', () => {
  it.each([
    ['', true, 'runs: no needs'],
    ['S', true, 'runs: every need succeeded'],
    ['SS', true, 'runs: every need succeeded'],
    ['E', true, 'runs: every need succeeded'],
    ['F', false, "skipped: need 'f0' failed"],
    ['T', false, "skipped: need 't0' failed"],
    ['K', false, "skipped: need 'k0' was skipped"],
    ['C', false, "skipped: need 'c0' was cancelled"],
    ['SF', false, "skipped: need 'f1' failed"],
    ['FFK', false, "skipped: needs 'f0', 'f1' failed; need 'k2' was skipped"],
    ['KK', false, "skipped: needs 'k0', 'k1' were skipped"],
    ['CFK', false, "skipped: need 'f1' failed; need 'c0' was cancelled; need 'k2' was skipped"],
  ])('needs %j → run=%s', (pattern, run, reason) => {
    expect(decideJob({ needs: needs(pattern), values: {} })).toEqual({ run, reason });
  });

  it('skips everything once the run is cancelled', () => {
    expect(decideJob({ needs: needs('S'), values: {}, cancelled: true })).toEqual({ run: false, reason: 'skipped: the run was cancelled' });
    expect(decideJob({ needs: {}, values: {}, cancelled: true }).run).toBe(false);
  });

  it('treats a blank if as absent', () => {
    expect(decideJob({ needs: needs('F'), values: {}, if: '   ' }).run).toBe(false);
    expect(decideJob({ needs: needs('S'), values: {}, if: '' }).run).toBe(true);
  });
});

describe('trigger rules (Airflow truth table; cancelled counts as failed)', () => {
  // Columns: needs pattern, then the expected verdict for each rule in this order.
  const rules = [TriggerRule.all_success, TriggerRule.all_failed, TriggerRule.all_done, TriggerRule.one_success, TriggerRule.one_failed, TriggerRule.none_failed, TriggerRule.none_skipped] as const;
  const table: [string, ...boolean[]][] = [
    //            all_s  all_f  done   one_s  one_f  none_f none_sk
    ['S', true, false, true, true, false, true, true],
    ['SS', true, false, true, true, false, true, true],
    ['F', false, true, true, false, true, false, true],
    ['FF', false, true, true, false, true, false, true],
    ['C', false, true, true, false, true, false, true],
    ['FC', false, true, true, false, true, false, true],
    ['K', false, false, true, false, false, true, false],
    ['KK', false, false, true, false, false, true, false],
    ['SF', false, false, true, true, true, false, true],
    ['SK', false, false, true, true, false, true, false],
    ['FK', false, false, true, false, true, false, false],
    ['SC', false, false, true, true, true, false, true],
    ['CK', false, false, true, false, true, false, false],
    ['SFK', false, false, true, true, true, false, false],
    ['SFCK', false, false, true, true, true, false, false],
    ['E', true, false, true, true, false, true, true],
    ['EF', false, false, true, true, true, false, true],
    ['T', false, true, true, false, true, false, true],
  ];
  const rows = table.flatMap(([pattern, ...verdicts]) => rules.map((rule, i) => [rule, pattern, verdicts[i] as boolean] as const));

  it.each(rows)('%s with needs %j → %s', (rule, pattern, run) => {
    const decision = decideJob({ needs: needs(pattern), values: {}, triggerRule: rule });
    expect(decision.run).toBe(run);
    expect(decision.reason).toMatch(new RegExp(`^${run ? 'runs' : 'skipped'}: trigger-rule ${rule} is ${run ? 'met' : 'not met'} \\(.+\\)$`));
    expect(
      triggerRuleMet(
        rule,
        Object.values(needs(pattern)).map((n) => (n === ok || n === failedCoe ? 'success' : n === skipped ? 'skipped' : n === cancelled ? 'cancelled' : 'failure')),
      ),
    ).toBe(run);
  });

  it.each(rules)('%s runs a job without needs', (rule) => {
    expect(decideJob({ needs: {}, values: {}, triggerRule: rule }).run).toBe(true);
  });

  it.each(rules)('%s skips once the run is cancelled', (rule) => {
    expect(decideJob({ needs: needs('F'), values: {}, triggerRule: rule, cancelled: true })).toEqual({ run: false, reason: 'skipped: the run was cancelled' });
  });

  it('explains verdicts with the needs that decided them', () => {
    expect(decideJob({ needs: needs('SF'), values: {}, triggerRule: 'one_failed' }).reason).toBe("runs: trigger-rule one_failed is met (need 'f1' failed)");
    expect(decideJob({ needs: needs('SK'), values: {}, triggerRule: 'none_failed' }).reason).toBe('runs: trigger-rule none_failed is met (no need failed or was cancelled)');
    expect(decideJob({ needs: needs('SK'), values: {}, triggerRule: 'none_skipped' }).reason).toBe("skipped: trigger-rule none_skipped is not met (need 'k1' was skipped)");
    expect(decideJob({ needs: needs('FS'), values: {}, triggerRule: 'all_failed' }).reason).toBe("skipped: trigger-rule all_failed is not met (need 's1' succeeded)");
    expect(decideJob({ needs: needs('FF'), values: {}, triggerRule: 'one_success' }).reason).toBe('skipped: trigger-rule one_success is not met (no need succeeded)');
    expect(decideJob({ needs: needs('FK'), values: {}, triggerRule: 'all_done' }).reason).toBe('runs: trigger-rule all_done is met (every need finished)');
  });

  it('exposes the rule names as a const object', () => {
    expect(Object.keys(TriggerRule)).toEqual(['all_success', 'all_failed', 'all_done', 'one_success', 'one_failed', 'none_failed', 'none_skipped']);
    expect(() => decideJob({ needs: needs('S'), values: {}, triggerRule: 'sometimes' as TriggerRule })).toThrow(JobDecisionError);
  });
});

describe('if', () => {
  const values = { params: { env: 'prod' } };

  it.each([
    // [if, needs, run]
    ['always()', 'F', true],
    ['always()', 'K', true],
    ['always()', 'C', true],
    ['${{ always() }}', 'SF', true],
    ['failure()', 'F', true],
    ['failure()', 'S', false],
    ['failure()', 'K', false],
    ['failure()', 'C', false],
    ['failure()', 'E', false],
    ['success()', 'S', true],
    ['success()', 'E', true],
    ['success()', 'F', false],
    ['success()', 'K', false],
    ['!success()', 'K', true],
    ['cancelled()', 'C', false],
    ['success() || failure()', 'SF', true],
    ["needs.main-process.result == 'failure'", { 'main-process': failed }, true],
    ["needs.main-process.result == 'failure'", { 'main-process': ok }, false],
    ["needs.main-process.result == 'success'", { 'main-process': failedCoe }, true],
    ["needs.main-process.outcome == 'failure'", { 'main-process': failedCoe }, true],
    ["needs.main-process.result == 'skipped'", { 'main-process': skipped }, true],
    ["needs.main-process.result == 'cancelled'", { 'main-process': cancelled }, true],
    ["needs.main-process.result == 'failure'", { 'main-process': timedOut }, true],
    ["contains(needs.*.result, 'failure')", 'SF', true],
    ["${{ contains(needs.*.result, 'failure') }}", 'SS', false],
    ['"${{ needs.f0.result }}" == "failure"', 'F', true],
    // Not status-aware: ANDed with success().
    ["params.env == 'prod'", 'S', true],
    ["params.env == 'prod'", '', true],
    ["params.env == 'dev'", 'S', false],
    ["params.env == 'prod'", 'F', false],
    ["params.env == 'prod'", 'K', false],
    ["params.env == 'prod'", 'E', true],
    ["${{ params.env == 'prod' }}", 'C', false],
    ['needs.f0.outputs.x == null', 'F', false],
  ] as const)('%s with needs %j → %s', (condition, pattern, run) => {
    const n = typeof pattern === 'string' ? needs(pattern) : pattern;
    expect(decideJob({ needs: n, values, if: condition }).run).toBe(run);
  });

  it('does not evaluate a plain if once success() is false', () => {
    const decision = decideJob({ needs: needs('F'), values, if: "fromJson('not json')" });
    expect(decision).toEqual({ run: false, reason: "skipped: need 'f0' failed (an `if` without a status function also requires success())" });
  });

  it('explains the verdict', () => {
    expect(decideJob({ needs: needs('F'), values, if: 'always()' }).reason).toBe("runs: its `if` (always()) is true (need 'f0' failed)");
    expect(decideJob({ needs: needs('S'), values, if: "params.env == 'dev'" }).reason).toBe("skipped: its `if` (params.env == 'dev') is false");
    expect(decideJob({ needs: {}, values, if: 'true' }).reason).toBe('runs: its `if` (true) is true');
    const long = `params.env == '${'x'.repeat(200)}'`;
    expect(decideJob({ needs: {}, values, if: long }).reason).toMatch(/^skipped: its `if` \(params\.env == 'x+\.\.\.\) is false$/);
  });

  it('answers status functions per the job rules, cancellation included', () => {
    expect(jobStatusAnswers(needs('SS'))).toEqual({ success: true, failure: false, cancelled: false });
    expect(jobStatusAnswers(needs('SF'))).toEqual({ success: false, failure: true, cancelled: false });
    expect(jobStatusAnswers(needs('SK'))).toEqual({ success: false, failure: false, cancelled: false });
    expect(jobStatusAnswers(needs('S'), true)).toEqual({ success: false, failure: false, cancelled: true });
    expect(decideJob({ needs: needs('S'), values, if: 'cancelled()', cancelled: true }).run).toBe(true);
    expect(decideJob({ needs: needs('S'), values, if: 'always()', cancelled: true }).run).toBe(true);
    expect(decideJob({ needs: needs('S'), values, if: 'success()', cancelled: true }).run).toBe(false);
    expect(decideJob({ needs: needs('S'), values, if: "params.env == 'prod'", cancelled: true })).toEqual({
      run: false,
      reason: 'skipped: the run was cancelled (an `if` without a status function also requires success())',
    });
  });

  it('builds needs into the values unless given, and uses the given filters', () => {
    const given = { needs: { f0: { result: 'success' } } };
    expect(decideJob({ needs: needs('F'), values: given, if: "needs.f0.result == 'success'" }).run).toBe(true);
    const filters = new FilterRegistry().registerFilter('yes', () => true);
    expect(decideJob({ needs: {}, values: {}, if: 'false | yes', filters }).run).toBe(true);
  });

  it('throws ExpressionError for a bad if, even when it would be skipped', () => {
    expect(() => decideJob({ needs: needs('F'), values, if: 'params.env ==' })).toThrow(ExpressionError);
    expect(() => decideJob({ needs: needs('S'), values, if: "fromJson('x')" })).toThrow(ExpressionError);
    expect(() => decideJob({ needs: {}, values, if: '${{ a' })).toThrow(ExpressionError);
  });
});

describe('misuse', () => {
  it('refuses if together with trigger-rule', () => {
    expect(() => decideJob({ needs: {}, values: {}, if: 'always()', triggerRule: 'all_done' })).toThrow(/both `if` and `trigger-rule`/);
  });

  it('refuses a need that has not finished', () => {
    const error = (() => {
      try {
        decideJob({ needs: { build: { status: Status.WAIT, continueOnError: false } }, values: {} });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(JobDecisionError);
    expect((error as Error).name).toBe('JobDecisionError');
    expect((error as Error).message).toContain("need 'build' has not finished");
  });
});

describe('buildNeedsContext', () => {
  it('maps statuses to GitHub words, with outputs', () => {
    const context = buildNeedsContext({ build: ok, lint: failedCoe, test: failed, late: timedOut, gone: cancelled, skip: skipped }, { build: { artifact: 'a.tgz' }, constructor: { bad: true } });
    expect(context).toEqual({
      build: { result: 'success', outcome: 'success', outputs: { artifact: 'a.tgz' } },
      lint: { result: 'success', outcome: 'failure', outputs: {} },
      test: { result: 'failure', outcome: 'failure', outputs: {} },
      late: { result: 'failure', outcome: 'failure', outputs: {} },
      gone: { result: 'cancelled', outcome: 'cancelled', outputs: {} },
      skip: { result: 'skipped', outcome: 'skipped', outputs: {} },
    });
  });

  it('adds strategies when given and reads only own entries', () => {
    const context = buildNeedsContext({ m: ok, constructor: ok }, {}, { m: [{ matrix: { a: 1 }, status: 'SUCCESS', outputs: {} }] });
    expect(context['m']?.strategies).toEqual([{ matrix: { a: 1 }, status: 'SUCCESS', outputs: {} }]);
    expect(context['constructor']).toEqual({ result: 'success', outcome: 'success', outputs: {} });
    expect('strategies' in (context['constructor'] ?? {})).toBe(false);
  });
});
