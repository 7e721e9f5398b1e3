import { describe, expect, it } from 'vitest';
import { stageContinuesOnError, stageRuns } from '../../../src/engine/stage-decision.js';
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
