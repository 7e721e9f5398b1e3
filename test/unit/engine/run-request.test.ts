/** The two inputs of `tempoflowRun`, told apart before anything runs (docs/clients.md). */
import { describe, expect, it } from 'vitest';
import { ACCEPTED_RUN_INPUTS, runInputShape } from '../../../src/engine/run-request.js';

const WF = 'greet-1';

describe('runInputShape', () => {
  it('recognises the full spec a tempoflow client builds', () => {
    expect(runInputShape({ spec: { name: 'x', jobs: [] }, params: {}, runId: WF }, WF)).toEqual({ kind: 'spec' });
  });

  it('accepts a by-name request, minimal or with every field', () => {
    expect(runInputShape({ workflow: 'greet' }, WF)).toEqual({ kind: 'by-name', input: { workflow: 'greet' } });
    const full = { workflow: 'greet', params: { n: '3' }, timeout: 90, maxJobParallel: 4, jobs: ['a', 'b'], runId: WF };
    expect(runInputShape(full, WF)).toEqual({ kind: 'by-name', input: full });
  });

  it.each([
    ['no input', undefined, 'got no input'],
    ['a string', 'greet', 'got the string "greet"'],
    ['an array', [{ workflow: 'greet' }], 'got an array of 1'],
    ['null', null, 'got null'],
    ['another object', { name: 'greet', params: {} }, 'got an object with keys "name", "params"'],
  ])('refuses %s, naming both shapes', (_label, input, got) => {
    const shape = runInputShape(input, WF);
    expect(shape.kind).toBe('invalid');
    const message = (shape as { message: string }).message;
    expect(message).toContain(ACCEPTED_RUN_INPUTS);
    expect(message).toContain('by-name request');
    expect(message).toContain('the full spec');
    expect(message).toContain(got);
  });

  it('shows the request it was meant to be when the name is under another key', () => {
    const shape = runInputShape({ name: 'hello-world', params: {} }, WF);
    expect((shape as { message: string }).message).toMatch(
      /got an object with keys "name", "params" \(the workflow's name goes under "workflow": \{"workflow": "hello-world", "params": \{\.\.\.\}\}\)$/,
    );
    expect((runInputShape({ name: 3 }, WF) as { message: string }).message).not.toContain('goes under');
  });

  it('refuses a "spec" that is not a workflow spec', () => {
    const shape = runInputShape({ spec: 'hello-world' }, WF);
    expect(shape).toMatchObject({ kind: 'invalid', message: expect.stringContaining(`the input's "spec" is not a workflow spec (got the string "hello-world")`) });
  });

  it('names every bad field of a by-name request at once, with a suggestion for a misspelt key', () => {
    const shape = runInputShape({ workflow: '', param: {}, timeout: -1, maxJobParallel: 1.5, jobs: 'a', runId: 'other' }, WF);
    expect(shape.kind).toBe('invalid');
    const message = (shape as { message: string }).message;
    expect(message).toMatch(/^bad by-name request: /);
    expect(message).toContain('unknown key "param" (did you mean "params"?)');
    expect(message).toContain('"workflow" must be the name of a workflow (a non-empty string), got the string ""');
    expect(message).toContain('"timeout" must be a number of seconds above 0, got number -1');
    expect(message).toContain('"maxJobParallel" must be a whole number above 0, got number 1.5');
    expect(message).toContain('"jobs" must be a list of job ids, got the string "a"');
    expect(message).toContain('"runId" must equal the workflow id (the workflow id is the run id), got the string "other" for workflow id "greet-1"');
    expect(message).toContain(ACCEPTED_RUN_INPUTS);
  });

  it('refuses params that are not an object, and keeps messages short for hostile input', () => {
    expect(runInputShape({ workflow: 'greet', params: ['a'] }, WF)).toMatchObject({
      kind: 'invalid',
      message: expect.stringContaining('"params" must be an object of param names to values, got an array of 1'),
    });
    const many = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]));
    const shape = runInputShape({ workflow: 'greet', ...many }, WF);
    expect((shape as { message: string }).message).toContain('and 9995 more unknown keys');
    expect((shape as { message: string }).message.length).toBeLessThan(2000);
  });
});
