/** `tempoflow logs` lines: bash tails from outputs, run tails from logs. */
import { describe, expect, it } from 'vitest';
import { stageLines } from '../../../src/cli/logs.js';

describe('stageLines', () => {
  it('prefixes each line with workflow, job and stage, bash and run alike', () => {
    expect(stageLines('wf', 'j', 'b', { status: 'SUCCESS', name: 'b', outputs: { stdout: 'one\ntwo\n', stderr: 'warn\n', return_code: 0 } })).toEqual([
      '[wf] [j] [b] one',
      '[wf] [j] [b] two',
      '[wf] [j] [b] (stderr) warn',
    ]);
    expect(stageLines('wf', 'j', 'py', { status: 'SUCCESS', name: 'py', outputs: { stdout: 'a user output named stdout' }, logs: { stdout: 'printed\n', stderr: '' } })).toEqual(['[wf] [j] [py] printed']);
  });
});
