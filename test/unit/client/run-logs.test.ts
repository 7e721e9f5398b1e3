/** What `RunHandle.logs()` reports of a context: the tails of finished stages, nested ones included. */
import { describe, expect, it } from 'vitest';
import { stageLogs } from '../../../src/client/run-logs.js';
import type { StageContext } from '../../../src/engine/context.js';

describe('stageLogs', () => {
  it('takes bash tails from outputs and run tails from logs, walks nested stages, skips silent and waiting ones', () => {
    const bash: StageContext = { status: 'SUCCESS', name: 'b', outputs: { stdout: 'one\n', stderr: 'warn\n', return_code: 0 } };
    // A `run` stage may have a user output named stdout: its tails are in `logs`.
    const py: StageContext = { status: 'FAILED', name: 'py', outputs: { stdout: 'a user output named stdout' }, logs: { stdout: 'printed\n', stderr: '' } };
    const silent: StageContext = { status: 'SUCCESS', name: 'e', outputs: {} };
    const waiting: StageContext = { status: 'WAIT', name: 'w', outputs: { stdout: 'partial' } };
    const each: StageContext = {
      status: 'SUCCESS',
      name: 'each',
      outputs: { items: ['x'], foreach: { x: { item: 'x', loop: 1, status: 'SUCCESS', stages: { say: { status: 'SUCCESS', name: 'say', outputs: { stdout: 'item x\n', stderr: '' } } } } } },
    };
    const context = { jobs: { j: { status: 'WAIT', outputs: {}, errors: [], stages: { bash, py, silent, each, waiting } } } } as const;
    expect(stageLogs(context as never)).toEqual([
      { job: 'j', path: 'bash', status: 'SUCCESS', stdout: 'one\n', stderr: 'warn\n' },
      { job: 'j', path: 'py', status: 'FAILED', stdout: 'printed\n', stderr: '' },
      { job: 'j', path: 'each.x.say', status: 'SUCCESS', stdout: 'item x\n', stderr: '' },
    ]);
  });
});
