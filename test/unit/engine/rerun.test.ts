/** planRerun, table-driven: what reruns, what is kept, and --from-stage. */
import { describe, expect, it } from 'vitest';
import type { JobContext, RunContext, StageContext, StrategyContext } from '../../../src/engine/context.js';
import { planRerun, RerunPlanError } from '../../../src/engine/rerun.js';
import type { JobSpec, StageSpec, WorkflowSpec } from '../../../src/engine/spec.js';
import type { Status } from '../../../src/engine/status.js';

const retry = { maximumRetries: 0, initialIntervalSeconds: 1, backoffCoefficient: 2, maximumIntervalSeconds: 1, nonRetryableErrors: [] };
const stage = (id: string): StageSpec => ({ kind: 'echo', id, name: id, echo: id, retry, env: {}, continueOnError: false, loc: 'x:1:1' });
const job = (id: string, needs: string[] = [], opts: { stages?: string[]; matrix?: boolean } = {}): JobSpec => ({
  id,
  needs,
  runsOn: { type: 'local' },
  retry,
  continueOnError: false,
  env: {},
  stages: (opts.stages ?? ['s1']).map(stage),
  ...(opts.matrix ? { strategy: { matrix: { n: [1, 2, 3] }, include: [], exclude: [], failFast: false } } : {}),
  loc: `x:${id}`,
});
const spec = (jobs: JobSpec[]): WorkflowSpec => ({ name: 'w', file: 'x', tags: [], params: [], allowUndeclaredParams: false, schedules: [], manual: false, env: {}, jobs, loc: 'x:1:1' });
const st = (status: Status): StageContext => ({ status, name: 's', outputs: { at: status } });
const jc = (status: Status, extra: Partial<JobContext> = {}): JobContext => ({ status, outputs: {}, stages: { s1: st(status) }, errors: [], ...extra });
const ctx = (jobs: Record<string, JobContext>): RunContext => ({ params: {}, jobs, status: 'FAILED', start: '2026-01-01T00:00:00Z', errors: [] });
const combo = (key: string, status: Status): StrategyContext => ({ key, matrix: { n: key }, status, outputs: {} });

//   a ─┬─ b ── d
//      └─ c
//   e (independent)
const diamond = spec([job('a'), job('b', ['a']), job('c', ['a']), job('d', ['b']), job('e')]);

describe('planRerun', () => {
  it.each([
    { name: 'a failed leaf reruns alone', context: { a: jc('SUCCESS'), b: jc('SUCCESS'), c: jc('FAILED'), d: jc('SUCCESS'), e: jc('SUCCESS') }, rerun: ['c'], kept: ['a', 'b', 'd', 'e'] },
    { name: 'a failed job reruns with its dependents', context: { a: jc('SUCCESS'), b: jc('FAILED'), c: jc('SUCCESS'), d: jc('SKIP'), e: jc('SUCCESS') }, rerun: ['b', 'd'], kept: ['a', 'c', 'e'] },
    {
      name: 'a failed root reruns everything below it, even SUCCESS dependents',
      context: { a: jc('FAILED'), b: jc('SKIP'), c: jc('SUCCESS'), d: jc('SKIP'), e: jc('SUCCESS') },
      rerun: ['a', 'b', 'c', 'd'],
      kept: ['e'],
    },
    { name: 'jobs that never started (cancelled run) rerun', context: { a: jc('SUCCESS'), b: jc('CANCEL') }, rerun: ['b', 'c', 'd', 'e'], kept: ['a'] },
    { name: 'TIMEOUT and SKIP are not SUCCESS', context: { a: jc('SUCCESS'), b: jc('SUCCESS'), c: jc('TIMEOUT'), d: jc('SUCCESS'), e: jc('SKIP') }, rerun: ['c', 'e'], kept: ['a', 'b', 'd'] },
  ])('$name', ({ context, rerun, kept }) => {
    const plan = planRerun(diamond, ctx(context as Record<string, JobContext>), { fromRunId: 'old' });
    expect(plan.rerun).toEqual(rerun);
    expect(Object.keys(plan.jobs).sort()).toEqual(kept);
    expect(plan.fromRunId).toBe('old');
    for (const id of kept) expect(plan.jobs[id]).toBe((context as Record<string, JobContext>)[id]);
    expect(plan.fromStage).toBeUndefined();
  });

  it('refuses a run where everything succeeded', () => {
    const all = Object.fromEntries(diamond.jobs.map((j) => [j.id, jc('SUCCESS')]));
    expect(() => planRerun(diamond, ctx(all), { fromRunId: 'old' })).toThrow(/nothing to rerun/);
  });

  it('keeps the SUCCESS combinations of a failed matrix job, not of one downstream of a rerun', () => {
    const w = spec([job('prep'), job('m', [], { matrix: true }), job('after', ['prep'], { matrix: true })]);
    const plan = planRerun(
      w,
      ctx({
        prep: jc('FAILED'),
        m: jc('FAILED', { strategies: [combo('1', 'SUCCESS'), combo('2', 'FAILED'), combo('3', 'SUCCESS')] }),
        after: jc('FAILED', { strategies: [combo('1', 'SUCCESS'), combo('2', 'FAILED')] }),
      }),
      { fromRunId: 'old' },
    );
    expect(plan.rerun).toEqual(['prep', 'm', 'after']);
    expect(Object.keys(plan.combinations)).toEqual(['m']);
    expect(plan.combinations.m!.map((s) => s.key)).toEqual(['1', '3']);
  });

  describe('fromStage', () => {
    const w = spec([job('extract'), job('load', ['extract'], { stages: ['prepare', 'insert', 'verify'] }), job('report', ['load'])]);
    const failedLoad = ctx({
      extract: jc('SUCCESS'),
      load: { status: 'FAILED', outputs: {}, errors: [], stages: { prepare: st('SUCCESS'), insert: st('FAILED'), verify: st('SKIP') } },
      report: jc('SKIP'),
    });

    it('restarts the failed job at that stage, keeping the earlier ones', () => {
      const plan = planRerun(w, failedLoad, { fromRunId: 'old', fromStage: 'load.insert' });
      expect(plan.rerun).toEqual(['load', 'report']);
      expect(plan.fromStage).toEqual({ job: 'load', stage: 'insert', stages: { prepare: failedLoad.jobs.load!.stages.prepare } });
      expect(Object.keys(plan.jobs)).toEqual(['extract']);
    });

    it('from the first stage keeps nothing', () => {
      expect(planRerun(w, failedLoad, { fromRunId: 'old', fromStage: 'load.prepare' }).fromStage).toEqual({ job: 'load', stage: 'prepare', stages: {} });
    });

    it.each([
      ['load', /must be <job>\.<stage>/],
      ['nope.insert', /no job 'nope' \(jobs: extract, load, report\)/],
      ['extract.s1', /job 'extract' succeeded/],
      ['load.nope', /no stage 'nope' \(stages: prepare, insert, verify\)/],
      ['load.verify', /stage 'load.insert' before it ended FAILED; restart from 'load.insert'/],
    ])('refuses %s', (fromStage, message) => {
      expect(() => planRerun(w, failedLoad, { fromRunId: 'old', fromStage })).toThrow(RerunPlanError);
      expect(() => planRerun(w, failedLoad, { fromRunId: 'old', fromStage })).toThrow(message);
    });

    it('refuses a matrix job', () => {
      const m = spec([job('m', [], { matrix: true, stages: ['a', 'b'] })]);
      expect(() => planRerun(m, ctx({ m: jc('FAILED') }), { fromRunId: 'old', fromStage: 'm.b' })).toThrow(/matrix job/);
    });
  });
});
