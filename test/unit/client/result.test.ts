/** `result.unwrap()`: the typed error of each end (the seed's `except WorkflowTimeoutError`), by class, not only by message. */
import { describe, expect, it } from 'vitest';
import { Result } from '../../../src/client/result.js';
import type { Status } from '../../../src/engine/status.js';
import { WorkflowCancelledError, WorkflowError, WorkflowTimeoutError } from '../../../src/errors.js';

const result = (status: Status) =>
  new Result({
    status,
    runId: 'etl-1',
    context: { params: {}, jobs: {}, status, start: '2024-01-01T00:00:00.000Z', errors: [] },
    errors: status === 'SUCCESS' || status === 'SKIP' ? [] : [{ name: 'BashExitError', message: 'exit 3', job: 'load', stage: 'insert' }],
  });

function thrownBy(status: Status): unknown {
  try {
    result(status).unwrap();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('Result.unwrap', () => {
  it('returns the result for SUCCESS and SKIP', () => {
    const ok = result('SUCCESS');
    expect(ok.unwrap()).toBe(ok);
    expect(thrownBy('SKIP')).toBeUndefined();
  });

  it('throws WorkflowTimeoutError for TIMEOUT, WorkflowCancelledError for CANCEL, WorkflowError for FAILED', () => {
    const timeout = thrownBy('TIMEOUT');
    expect(timeout).toBeInstanceOf(WorkflowTimeoutError);
    expect(timeout).toBeInstanceOf(WorkflowError);
    expect(timeout).not.toBeInstanceOf(WorkflowCancelledError);
    expect((timeout as Error).name).toBe('WorkflowTimeoutError');
    expect((timeout as Error).message).toBe('run etl-1 ended TIMEOUT: load.insert: exit 3');

    const cancelled = thrownBy('CANCEL');
    expect(cancelled).toBeInstanceOf(WorkflowCancelledError);
    expect(cancelled).not.toBeInstanceOf(WorkflowTimeoutError);

    const failed = thrownBy('FAILED');
    expect(failed).toBeInstanceOf(WorkflowError);
    expect(failed).not.toBeInstanceOf(WorkflowTimeoutError);
    expect(failed).not.toBeInstanceOf(WorkflowCancelledError);
    expect((failed as Error).name).toBe('WorkflowError');
  });
});
