/**
 * The shared helpers of the workflow layer, outside a workflow: stop
 * reasons, count and duration rendering, display text, the decoding of a
 * child's ending. (The pool needs a workflow's cancellation scopes: the
 * integration tests and the replay test cover it inside runs.)
 */
import { ApplicationFailure, CancelledFailure, ChildWorkflowFailure, RetryState, TerminatedFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { Status } from '../../../src/engine/status.js';
import { ChildEndedBy, childEnding } from '../../../src/workflows/child-outcome.js';
import { RunFailureType } from '../../../src/workflows/definitions.js';
import { backoffSeconds, masked, renderCount, renderSeconds } from '../../../src/engine/render.js';
import { JOB_CANCELLED_REASON, jobTimeoutReason, StopCause, StopMoment, StopState } from '../../../src/workflows/stop-state.js';

const root = (cancelled = false) => ({ consideredCancelled: cancelled }) as never;

describe('StopState', () => {
  it('words every stop in one place, the job timeout before the run cause', () => {
    const run = StopState.ofWorkflow(root());
    const attempt = run.forJobAttempt();
    expect(run.cause).toBeUndefined();
    run.stop(StopCause.TIMEOUT);
    run.stop(StopCause.CANCEL); // the first cause wins
    expect(attempt.stopping()).toBe(true);
    expect(run.status()).toBe(Status.TIMEOUT);
    expect(attempt.reason(StopMoment.DURING_STAGE)).toBe('the run timed out while this stage was running');
    attempt.stop(StopCause.JOB_TIMEOUT);
    expect(attempt.reason(StopMoment.BEFORE_STAGE)).toBe('the job timed out before this stage started');
    expect(run.reason(StopMoment.BEFORE_JOB)).toBe('the run timed out before this job started');
    expect(jobTimeoutReason(5)).toBe('the job timed out after 5 s');
    expect(JOB_CANCELLED_REASON).toBe('the job was cancelled');
  });

  it('reads a cancelled execution as cancel', () => {
    const run = StopState.ofWorkflow(root(true));
    expect(run.cause).toBe(StopCause.CANCEL);
    expect(run.status()).toBe(Status.CANCEL);
    expect(run.forJobAttempt().reason(StopMoment.DURING_JOB)).toBe('the run was cancelled while this job was running');
  });
});

describe('rendering', () => {
  const ctx = { values: { params: { n: '3', s: 1.5, bad: 'x' } } };

  it('renders counts and durations, literal or templated, naming the field when wrong', () => {
    expect(renderCount(2, ctx, 'retry')).toBe(2);
    expect(renderCount('${{ params.n }}', ctx, 'retry')).toBe(3);
    expect(() => renderCount('${{ params.bad }}', ctx, 'max-parallel')).toThrow('\'max-parallel\' must be a whole number from 0 to 1000, got "x"');
    expect(() => renderCount(1001, ctx, 'retry')).toThrow(/'retry'/);
    expect(renderSeconds('${{ params.s }}', ctx, 'timeout')).toBe(1.5);
    expect(() => renderSeconds(-1, ctx, 'sleep')).toThrow('\'sleep\' must be a number of seconds, got "-1"');
  });

  it('masks templates of secrets in display text', () => {
    expect(masked('token ${{ Secrets.TOKEN }}')).toBe('token ***');
    expect(masked({ a: 1 })).toBe('{"a":1}');
    expect(masked(null)).toBe('');
  });

  it('backs off exponentially, capped', () => {
    const retry = { maximumRetries: 5, initialIntervalSeconds: 1, backoffCoefficient: 2, maximumIntervalSeconds: 5, nonRetryableErrors: [] };
    expect([1, 2, 3, 4].map((a) => backoffSeconds(retry, a))).toEqual([1, 2, 4, 5]);
  });
});

describe('childEnding', () => {
  const child = (cause: Error) => new ChildWorkflowFailure('default', { workflowId: 'w', runId: 'r' }, 'tempoflowJob', RetryState.NON_RETRYABLE_FAILURE, cause);

  it('reads a tempoflow failure with its context', () => {
    const context = { status: Status.TIMEOUT, outputs: {}, stages: {}, errors: [] };
    const ending = childEnding(child(ApplicationFailure.create({ type: RunFailureType.JOB_FAILED, message: 'job x TIMEOUT', details: [context] })));
    expect(ending).toMatchObject({ status: Status.TIMEOUT, endedBy: ChildEndedBy.FAILURE, context, error: { name: RunFailureType.JOB_FAILED, message: 'job x TIMEOUT' } });
    expect(childEnding(child(ApplicationFailure.create({ type: RunFailureType.TIMEOUT, message: 'late' })))).toMatchObject({ status: Status.TIMEOUT, endedBy: ChildEndedBy.FAILURE });
  });

  it('reads cancellation and termination, and nothing that is not a child ending', () => {
    expect(childEnding(child(new CancelledFailure('stop')))).toMatchObject({ status: Status.CANCEL, endedBy: ChildEndedBy.CANCELLATION });
    expect(childEnding(child(new TerminatedFailure('by hand')))).toMatchObject({ status: Status.CANCEL, endedBy: ChildEndedBy.TEMPORAL, error: { message: 'the run was terminated: by hand' } });
    expect(childEnding(new CancelledFailure('own scope'))).toBeUndefined();
  });
});
