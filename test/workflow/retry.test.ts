/**
 * Retry backoff of stages and jobs, through the real interpreter workflow
 * under time skipping: attempts are counted, and the waits between them, in
 * server time, are initial-interval × coefficient^k capped by
 * maximum-interval (docs/yaml-format.md "Retry").
 */
import { describe, expect, it } from 'vitest';
import { exitWith, FakeStages, secondsBetween, succeed, useWorkflowTestEnv, type StageCall } from '../helpers/time-skipping.js';

const env = useWorkflowTestEnv();

/** Seconds between consecutive calls, in server time. */
function gaps(calls: readonly StageCall[]): number[] {
  return calls.slice(1).map((c, i) => (c.scheduledMs - calls[i]!.scheduledMs) / 1000);
}

/**
 * Each gap is the backoff plus the real time the previous attempt and the
 * workflow task took (milliseconds; a few seconds at most on a loaded
 * machine) — never less than the backoff.
 */
function expectGaps(actual: readonly number[], backoffs: readonly number[]): void {
  expect(actual).toHaveLength(backoffs.length);
  actual.forEach((gap, i) => {
    expect(gap, `gap ${i + 1}`).toBeGreaterThanOrEqual(backoffs[i]!);
    expect(gap, `gap ${i + 1}`).toBeLessThan(backoffs[i]! + 15);
  });
}

describe('stage retry', () => {
  it('backs off exponentially, capped by maximum-interval, until an attempt succeeds', async () => {
    const fakes = new FakeStages({
      flaky: (call) => (call.attempt < 5 ? exitWith(call, 1, `attempt ${call.attempt} failed`) : succeed({ stdout: 'done' })),
      after: () => succeed(),
    });
    const result = await env.runToEnd({
      workflow: 'backoff',
      fakes,
      yaml: `
backoff:
  type: Workflow
  timeout: 6h
  jobs:
    build:
      stages:
        - name: Flaky
          bash: flaky
          retry:
            maximum-attempts: 6
            initial-interval: 10m
            backoff-coefficient: 3
            maximum-interval: 1h
        - name: After
          bash: after
`,
    });
    expect(result.status).toBe('SUCCESS');
    const stage = result.context.jobs.build?.stages['flaky'];
    expect(stage?.status).toBe('SUCCESS');
    expect(stage?.attempt).toBe(5);
    expect(fakes.of('flaky').map((c) => c.attempt)).toEqual([1, 2, 3, 4, 5]);
    // 10 min, 30 min, then 90 and 270 min capped at 1 h.
    expectGaps(gaps(fakes.of('flaky')), [600, 1800, 3600, 3600]);
    expect(stage?.outputs).toMatchObject({ stdout: 'done' });
    expect(fakes.of('after')).toHaveLength(1);
  });

  it('fails after maximum-attempts with the last error; waits are capped at the default maximum-interval (5 min)', async () => {
    const fakes = new FakeStages({ broken: (call) => exitWith(call, 2, `attempt ${call.attempt} broke`), after: () => succeed() });
    const result = await env.runToEnd({
      workflow: 'exhausted',
      fakes,
      yaml: `
exhausted:
  type: Workflow
  jobs:
    build:
      stages:
        - name: Broken
          bash: broken
          retry: { maximum-attempts: 3, initial-interval: 5m, backoff-coefficient: 2 }
        - name: After
          bash: after
`,
    });
    expect(result.status).toBe('FAILED');
    const job = result.context.jobs.build!;
    expect(job.status).toBe('FAILED');
    expect(job.stages['broken']?.status).toBe('FAILED');
    expect(job.stages['broken']?.attempt).toBe(3);
    expect(job.stages['broken']?.error).toMatchObject({ name: 'BashExitError', message: 'bash exited with code 2: attempt 3 broke', stage: 'broken' });
    expect(job.stages['after']).toMatchObject({ status: 'SKIP', reason: 'an earlier stage failed' });
    // 5 min, then 10 min capped at the default 5 min.
    expectGaps(gaps(fakes.of('broken')), [300, 300]);
    expect(result.errors.map((e) => e.message)).toContain('bash exited with code 2: attempt 3 broke');
  });

  it('does not retry an error named in non-retryable-errors', async () => {
    const fakes = new FakeStages({
      picky: (call) => ({ ...exitWith(call, 3), error: { name: 'ValueError', message: 'bad value', job: call.job, stage: call.stage } }),
    });
    const result = await env.runToEnd({
      workflow: 'picky',
      fakes,
      yaml: `
picky:
  type: Workflow
  jobs:
    build:
      stages:
        - name: Picky
          bash: picky
          retry: { maximum-attempts: 4, initial-interval: 1m, non-retryable-errors: [ValueError] }
`,
    });
    expect(result.status).toBe('FAILED');
    expect(result.context.jobs.build?.stages['picky']).toMatchObject({ status: 'FAILED', attempt: 1, error: { name: 'ValueError' } });
    expect(fakes.of('picky')).toHaveLength(1);
  });
});

describe('stage retry in matrix combinations', () => {
  it.each([
    ['inline in the run', undefined],
    ['in its child workflow', 0],
  ])('each combination backs off on its own durable timers, %s', async (_mode, inlineMatrixStageRuns) => {
    const fakes = new FakeStages({
      deploy: (call) => (call.args[0] === 'us' && call.attempt < 3 ? exitWith(call, 1, 'us is flaky') : succeed({ stdout: call.args[0] })),
    });
    const result = await env.runToEnd({
      workflow: 'matrix-retry',
      fakes,
      ...(inlineMatrixStageRuns === undefined ? {} : { input: { limits: { inlineMatrixStageRuns } } }),
      yaml: `
matrix-retry:
  type: Workflow
  timeout: 6h
  jobs:
    deploy:
      strategy:
        matrix:
          region: [eu, us]
      stages:
        - name: Deploy
          bash: deploy \${{ matrix.region }}
          retry: { maximum-attempts: 3, initial-interval: 15m, backoff-coefficient: 2, maximum-interval: 1h }
`,
    });
    expect(result.status).toBe('SUCCESS');
    const strategies = result.context.jobs.deploy!.strategies!;
    expect(strategies.map((s) => [s.matrix['region'], s.status])).toEqual([
      ['eu', 'SUCCESS'],
      ['us', 'SUCCESS'],
    ]);
    const us = fakes.calls.filter((c) => c.args[0] === 'us');
    expect(us.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expectGaps(gaps(us), [900, 1800]);
    expect(fakes.calls.filter((c) => c.args[0] === 'eu')).toHaveLength(1);
    // Inline combinations have no child workflow id.
    expect(strategies.map((s) => s.workflowId === undefined)).toEqual([inlineMatrixStageRuns === undefined, inlineMatrixStageRuns === undefined]);
  });
});

describe('job retry', () => {
  it('reruns the whole job after its backoff; the job stays WAIT until its last attempt', async () => {
    let pushes = 0;
    const fakes = new FakeStages({
      prepare: () => succeed(),
      push: (call) => (++pushes < 3 ? exitWith(call, 1, `push ${pushes} rejected`) : succeed({ stdout: 'pushed' })),
      notify: () => succeed(),
    });
    const result = await env.runToEnd({
      workflow: 'job-retry',
      fakes,
      yaml: `
job-retry:
  type: Workflow
  timeout: 6h
  jobs:
    deploy:
      retry: { maximum-attempts: 3, initial-interval: 20m, backoff-coefficient: 2, maximum-interval: 2h }
      stages:
        - name: Prepare
          bash: prepare
        - name: Push
          bash: push
    notify:
      needs: [deploy]
      stages:
        - name: Notify
          bash: notify
`,
    });
    expect(result.status).toBe('SUCCESS');
    const deploy = result.context.jobs.deploy!;
    expect(deploy.status).toBe('SUCCESS');
    expect(deploy.attempt).toBe(3);
    // Every job attempt runs every stage again, each stage from its own attempt 1.
    expect(fakes.of('prepare').map((c) => c.attempt)).toEqual([1, 1, 1]);
    expect(fakes.of('push').map((c) => c.attempt)).toEqual([1, 1, 1]);
    expectGaps(gaps(fakes.of('prepare')), [1200, 2400]);
    // The dependent job ran once, after the last attempt.
    expect(fakes.of('notify')).toHaveLength(1);
    expect(fakes.of('notify')[0]!.scheduledMs).toBeGreaterThan(fakes.of('push')[2]!.scheduledMs);
    expect(secondsBetween(result.context.start, result.context.end)).toBeGreaterThanOrEqual(3600);
  });

  it('ends FAILED after its last attempt, and its dependents are skipped', async () => {
    const fakes = new FakeStages({ push: (call) => exitWith(call, 1, 'rejected'), notify: () => succeed() });
    const result = await env.runToEnd({
      workflow: 'job-retry-exhausted',
      fakes,
      yaml: `
job-retry-exhausted:
  type: Workflow
  timeout: 6h
  jobs:
    deploy:
      retry: { maximum-attempts: 2, initial-interval: 30m, maximum-interval: 1h }
      stages:
        - name: Push
          bash: push
    notify:
      needs: [deploy]
      stages:
        - name: Notify
          bash: notify
`,
    });
    expect(result.status).toBe('FAILED');
    expect(result.context.jobs.deploy).toMatchObject({ status: 'FAILED', attempt: 2 });
    expect(result.context.jobs.notify?.status).toBe('SKIP');
    expectGaps(gaps(fakes.of('push')), [1800]);
    expect(fakes.of('notify')).toHaveLength(0);
  });
});
