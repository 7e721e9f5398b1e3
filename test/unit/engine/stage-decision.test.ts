import { describe, expect, it } from 'vitest';
import type { StageContext } from '../../../src/engine/context.js';
import type { StageSpec } from '../../../src/engine/spec.js';
import { recordAttempt, stageContinuesOnError, stageRuns, startStage } from '../../../src/engine/stage-decision.js';
import { runEndStatus, Status } from '../../../src/engine/status.js';

const values = { params: { env: 'prod', retries: 0 } };

describe('stageRuns', () => {
  it('without if: runs unless an earlier stage failed', () => {
    expect(stageRuns(undefined, values, false)).toBe(true);
    expect(stageRuns(undefined, values, true)).toBe(false);
  });

  it('a plain if is ANDed with "no earlier failure"', () => {
    expect(stageRuns("params.env == 'prod'", values, false)).toBe(true);
    expect(stageRuns("params.env == 'prod'", values, true)).toBe(false);
    expect(stageRuns("params.env == 'dev'", values, false)).toBe(false);
  });

  it('an if with a status function decides alone: cleanup stages run after a failure', () => {
    expect(stageRuns('always()', values, true)).toBe(true);
    expect(stageRuns('failure()', values, true)).toBe(true);
    expect(stageRuns('failure()', values, false)).toBe(false);
    expect(stageRuns('success()', values, true)).toBe(false);
  });

  it('throws when the if cannot be evaluated (the stage then fails, positioned)', () => {
    expect(() => stageRuns('nosuch.thing(', values, false)).toThrow();
  });
});

describe('stageContinuesOnError', () => {
  it('takes a boolean as it is, evaluates an expression, and counts a broken one as false', () => {
    expect(stageContinuesOnError(true, values)).toBe(true);
    expect(stageContinuesOnError(false, values)).toBe(false);
    expect(stageContinuesOnError("${{ params.env == 'prod' }}", values)).toBe(true);
    expect(stageContinuesOnError("${{ params.env == 'dev' }}", values)).toBe(false);
    expect(stageContinuesOnError('${{ nosuch.thing( }}', values)).toBe(false);
  });
});

describe('runEndStatus', () => {
  const job = (status: Status, continueOnError = false) => ({ status, continueOnError });

  it('SUCCESS when every job succeeded, or failed with continue-on-error', () => {
    expect(
      runEndStatus(
        [
          ['a', job(Status.SUCCESS)],
          ['b', job(Status.FAILED, true)],
        ],
        false,
      ),
    ).toEqual({ status: Status.SUCCESS, blocking: [] });
  });

  it('FAILED names the blocking jobs; TIMEOUT counts as a failure', () => {
    expect(
      runEndStatus(
        [
          ['a', job(Status.FAILED)],
          ['b', job(Status.TIMEOUT)],
          ['c', job(Status.SUCCESS)],
        ],
        true,
      ),
    ).toEqual({ status: Status.FAILED, blocking: ['a', 'b'] });
  });

  it('SKIP when every job was skipped; FAILED for run-level errors without jobs', () => {
    expect(runEndStatus([['a', job(Status.SKIP)]], false).status).toBe(Status.SKIP);
    expect(runEndStatus([], true).status).toBe(Status.FAILED);
    expect(runEndStatus([], false).status).toBe(Status.SUCCESS);
  });

  it('a stop decides: CANCEL or TIMEOUT whatever the jobs say', () => {
    expect(runEndStatus([['a', job(Status.FAILED)]], false, Status.CANCEL).status).toBe(Status.CANCEL);
    expect(runEndStatus([['a', job(Status.SUCCESS)]], false, Status.TIMEOUT).status).toBe(Status.TIMEOUT);
  });
});

const bashStage = (extra: Partial<StageSpec> = {}): StageSpec =>
  ({
    kind: 'bash',
    id: 'b',
    name: 'Build \${{ params.os }}',
    bash: 'true',
    env: {},
    continueOnError: false,
    loc: 'wf.yml:3:5',
    retry: { maximumRetries: 2, initialIntervalSeconds: 1, backoffCoefficient: 2, maximumIntervalSeconds: 300, nonRetryableErrors: ['Fatal'] },
    ...extra,
  }) as StageSpec;
const where = { job: 'j', stage: 'b', location: 'wf.yml:3:5' };
const now = () => 'T';

describe('startStage', () => {
  it('renders the name and runs; skips on a false if or after a failure; fails, positioned, on a bad template', () => {
    expect(startStage(bashStage(), { params: { os: 'linux' } }, false, where, now)).toEqual({ name: 'Build linux' });
    expect(startStage(bashStage({ if: 'false' }), { params: { os: 'linux' } }, false, where, now)).toEqual({
      context: { status: Status.SKIP, name: 'Build linux', outputs: {}, reason: 'its `if` is false' },
    });
    expect(startStage(bashStage(), { params: { os: 'linux' } }, true, where, now)).toMatchObject({ context: { status: Status.SKIP, reason: 'an earlier stage failed' } });
    expect(startStage(bashStage({ name: 'Build \${{ params.os | nope }}' }), { params: { os: 'linux' } }, false, where, now)).toMatchObject({
      context: { status: Status.FAILED, start: 'T', end: 'T', error: { location: 'wf.yml:3:5', stage: 'b' } },
    });
  });
});

describe('recordAttempt', () => {
  const live = (): StageContext => ({ status: Status.WAIT, name: 'B', outputs: {}, attempt: 1 });
  const at = (attempt: number) => ({ attempt, maxRetries: 2, stagePath: 'p.b', capOutputs: true });

  it("a success ends the stage and clears an earlier attempt's error", () => {
    const state = { ...live(), error: { name: 'BashExitError', message: 'x' } };
    expect(recordAttempt(state, bashStage(), { ok: true, outputs: { stdout: 'ok' } }, at(2))).toBeUndefined();
    expect(state).toMatchObject({ status: Status.SUCCESS, outputs: { stdout: 'ok' } });
    expect(state.error).toBeUndefined();
  });

  it('a failure is retried with backoff until retry: is spent, then the stage fails with its path', () => {
    const state = live();
    const failed = { ok: false, outputs: {}, error: { name: 'BashExitError', message: 'exit 1' } };
    expect(recordAttempt(state, bashStage(), failed, at(1))).toBe(1);
    expect(recordAttempt(state, bashStage(), failed, at(2))).toBe(2);
    expect(recordAttempt(state, bashStage(), failed, at(3))).toBeUndefined();
    expect(state).toMatchObject({ status: Status.FAILED, error: { name: 'BashExitError', stage: 'p.b' } });
  });

  it('a non-retryable result or a listed error name ends the stage at once', () => {
    const state = live();
    expect(recordAttempt(state, bashStage(), { ok: false, nonRetryable: true, outputs: {} }, at(1))).toBeUndefined();
    expect(state).toMatchObject({ status: Status.FAILED, error: { name: 'StageError' } });
    expect(recordAttempt(live(), bashStage(), { ok: false, outputs: {}, error: { name: 'Fatal', message: 'no' } }, at(1))).toBeUndefined();
  });

  it("caps a leaf stage's outputs, not a nested one's", () => {
    const big = { stdout: 'x'.repeat(100_000) };
    const leaf = live();
    recordAttempt(leaf, bashStage(), { ok: true, outputs: big }, at(1));
    expect(leaf.outputs['stdout']).not.toBe(big.stdout);
    const nested = live();
    recordAttempt(nested, bashStage(), { ok: true, outputs: big }, { ...at(1), capOutputs: false });
    expect(nested.outputs).toBe(big);
  });
});
