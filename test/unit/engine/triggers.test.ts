/** Static trigger-cycle detection. */
import { describe, expect, it } from 'vitest';
import type { JobSpec, StageSpec, WorkflowSpec } from '../../../src/engine/spec.js';
import { findTriggerCycle, staticTriggerTargets } from '../../../src/engine/triggers.js';

const retry = { maximumRetries: 0, initialIntervalSeconds: 1, backoffCoefficient: 2, maximumIntervalSeconds: 1, nonRetryableErrors: [] };
const trigger = (target: string): StageSpec => ({ kind: 'trigger', id: `t-${target}`, name: target, trigger: target, params: {}, retry, env: {}, continueOnError: false, loc: 'x:1:1' });
const job = (stages: StageSpec[]): JobSpec => ({ id: 'j', needs: [], runsOn: { type: 'local' }, retry, continueOnError: false, env: {}, stages, loc: 'x:1:1' });
const wf = (name: string, stages: StageSpec[]): WorkflowSpec => ({
  name,
  file: 'x',
  tags: [],
  params: [],
  allowUndeclaredParams: false,
  schedules: [],
  manual: false,
  env: {},
  jobs: [job(stages)],
  loc: 'x:1:1',
});

describe('trigger cycles', () => {
  it('finds literal targets, nested ones included, and ignores templated ones', () => {
    const nested: StageSpec = { kind: 'parallel', id: 'p', name: 'p', branches: [{ name: 'b', stages: [trigger('deep')] }], retry, env: {}, continueOnError: false, loc: 'x:1:1' };
    expect(staticTriggerTargets(wf('a', [trigger('b'), trigger('${{ params.x }}'), nested]))).toEqual(['b', 'deep']);
  });

  it('reports A → B → A and longer loops, not diamonds', () => {
    const specs: Record<string, WorkflowSpec> = {
      a: wf('a', [trigger('b')]),
      b: wf('b', [trigger('c')]),
      c: wf('c', [trigger('a')]),
      d: wf('d', [trigger('e'), trigger('f')]),
      e: wf('e', [trigger('g')]),
      f: wf('f', [trigger('g')]),
      g: wf('g', []),
      self: wf('self', [trigger('self')]),
    };
    const load = (n: string) => specs[n];
    expect(findTriggerCycle(specs.a!, load)).toEqual(['a', 'b', 'c', 'a']);
    expect(findTriggerCycle(specs.b!, load)).toEqual(['b', 'c', 'a', 'b']);
    expect(findTriggerCycle(specs.d!, load)).toBeUndefined();
    expect(findTriggerCycle(specs.self!, load)).toEqual(['self', 'self']);
    expect(findTriggerCycle(wf('x', [trigger('missing')]), load)).toBeUndefined();
  });
});
