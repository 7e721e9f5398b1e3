/** `tempoflow logs` lines: each line of a stage's tails, prefixed. */
import { describe, expect, it } from 'vitest';
import { logLines } from '../../../src/cli/logs.js';

describe('logLines', () => {
  it('prefixes each line with workflow, job and stage path, and marks stderr', () => {
    expect(logLines('wf', { job: 'j', path: 'b', status: 'SUCCESS', stdout: 'one\ntwo\n', stderr: 'warn\n' })).toEqual(['[wf] [j] [b] one', '[wf] [j] [b] two', '[wf] [j] [b] (stderr) warn']);
    expect(logLines('wf', { job: 'j', path: 'each.x.say', status: 'FAILED', stdout: '', stderr: 'no newline' })).toEqual(['[wf] [j] [each.x.say] (stderr) no newline']);
  });
});
