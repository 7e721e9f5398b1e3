/** Run ids and the environment's run defaults. */
import { describe, expect, it } from 'vitest';
import { defaultMaxJobParallel, defaultTimeoutSeconds, newRunId } from '../../../src/client/run-defaults.js';
import { WorkflowError } from '../../../src/errors.js';

describe('run defaults', () => {
  it('makes run ids from the workflow name and the UTC time', () => {
    expect(newRunId('etl', new Date('2024-01-02T03:04:05.678Z'))).toMatch(/^etl-20240102T030405Z-[0-9a-f]{6}$/);
    expect(newRunId('etl')).not.toBe(newRunId('etl'));
  });

  it('reads WORKFLOW_CORE_TIMEOUT and WORKFLOW_CORE_MAX_JOB_PARALLEL, and names a bad one', () => {
    expect(defaultTimeoutSeconds({})).toBe(3600);
    expect(defaultMaxJobParallel({ WORKFLOW_CORE_MAX_JOB_PARALLEL: '' })).toBe(2);
    expect(defaultTimeoutSeconds({ WORKFLOW_CORE_TIMEOUT: '90' })).toBe(90);
    expect(() => defaultMaxJobParallel({ WORKFLOW_CORE_MAX_JOB_PARALLEL: 'zero' })).toThrow(WorkflowError);
    expect(() => defaultTimeoutSeconds({ WORKFLOW_CORE_TIMEOUT: '-1' })).toThrow(/WORKFLOW_CORE_TIMEOUT=-1 is not a positive number/);
  });
});
