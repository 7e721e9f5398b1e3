/** The normalized WorkflowSpec: every field of spec.ts from its YAML forms. */
import { describe, expect, it } from 'vitest';
import { loadWorkflowSpec } from '../../../src/config/loader.js';
import type { CaseStageSpec, ParallelStageSpec, RunStageSpec, StageSpec, UntilStageSpec } from '../../../src/engine/spec.js';
import { writeConf } from '../../helpers/conf.js';

function load(yaml: string) {
  return loadWorkflowSpec('wf', { path: writeConf({ 'wf.yml': yaml }) }).spec;
}

function allStages(stages: readonly StageSpec[]): StageSpec[] {
  return stages.flatMap((s) => [
    s,
    ...(s.kind === 'parallel' ? s.branches.flatMap((b) => allStages(b.stages)) : []),
    ...(s.kind === 'foreach' || s.kind === 'until' ? allStages(s.stages) : []),
    ...(s.kind === 'case' ? s.match.flatMap((m) => allStages(m.stages)) : []),
  ]);
}

describe('normalized spec', () => {
  it('maps concurrency at workflow and job level, with defaults, and leaves it out when absent', () => {
    const spec = load(`wf:
  type: Workflow
  params: { env: str }
  concurrency:
    group: " deploy-\${{ params.env }} "
    limit: 3
    queue: 0
    on-full: skip
    cancel-in-progress: true
  jobs:
    a:
      concurrency: warehouse
      stages:
        - echo: hi
    b:
      stages:
        - echo: hi
`);
    expect(spec.concurrency).toMatchObject({ group: 'deploy-${{ params.env }}', limit: 3, queue: 0, onFull: 'skip', cancelInProgress: true });
    expect(spec.concurrency!.loc).toMatch(/wf\.yml:4:3$/);
    expect(spec.jobs[0]!.concurrency).toMatchObject({ group: 'warehouse', limit: 1, queue: 1000, onFull: 'fail', cancelInProgress: false });
    expect(spec.jobs[0]!.concurrency!.loc).toMatch(/wf\.yml:12:7$/);
    // Absent means absent (not undefined): runs without it carry the same input as before.
    expect('concurrency' in spec.jobs[1]!).toBe(false);
    expect('concurrency' in load(`wf:\n  type: Workflow\n  jobs:\n    a:\n      stages:\n        - echo: hi\n`)).toBe(false);
  });

  it('maps the workflow keys', () => {
    const spec = load(`wf:
  type: Workflow
  desc: hello
  tags: [a, b]
  timeout: 1h30m
  allow-undeclared-params: true
  env: { N: 1, B: true, S: x }
  on:
    - cron: " 0 9 * * 1-5 "
      timezone: America/New_York
      params: { mode: batch }
      overlap: buffer-all
      catchup-window: 10m
    - cron: "@daily"
    - manual: true
  jobs:
    a:
      stages:
        - echo: hi
`);
    expect(spec).toMatchObject({ name: 'wf', desc: 'hello', tags: ['a', 'b'], timeoutSeconds: 5400, allowUndeclaredParams: true, manual: true, env: { N: '1', B: 'true', S: 'x' } });
    expect(spec.schedules.map(({ loc, ...s }) => s)).toEqual([
      { cron: '0 9 * * 1-5', timezone: 'America/New_York', params: { mode: 'batch' }, overlap: 'buffer-all', catchupWindowSeconds: 600 },
      { cron: '@daily', timezone: 'UTC', params: {}, overlap: 'skip' },
    ]);
    expect(spec.schedules[0]!.loc).toMatch(/wf\.yml:9:7$/);
    expect(spec.loc).toMatch(/wf\.yml:1:1$/);
  });

  it('maps the map form of on', () => {
    const spec = load(`wf:
  type: Workflow
  on:
    schedule:
      - cronjob: "0 2 * * *"
        timezone: UTC
  jobs:
    a:
      stages:
        - echo: hi
`);
    expect(spec.manual).toBe(false);
    expect(spec.schedules.map((s) => [s.cron, s.timezone, s.overlap])).toEqual([['0 2 * * *', 'UTC', 'skip']]);
  });

  it('maps job keys, retry forms and timeouts', () => {
    const spec = load(`wf:
  type: Workflow
  jobs:
    a:
      retry: { maximum-attempts: 4, initial-interval: 5s, backoff-coefficient: 3, maximum-interval: 2m, non-retryable-errors: [TimeoutError] }
      timeout-minutes: 2
      runs-on: { type: self-hosted, task-queue: gpu }
      outputs: { x: "\${{ stages.s.outputs.y }}" }
      stages:
        - id: s
          echo: hi
          retry: "\${{ params.n }}"
          timeout: "\${{ params.t }}"
    b:
      needs: a
      trigger-rule: one_failed
      continue-on-error: "\${{ params.c }}"
      timeout: 45s
      stages:
        - echo: hi
          retry: { maximum-attempts: 1 }
  params:
    n: { type: int, default: 1 }
    t: { type: int, default: 1 }
    c: { type: bool, default: true }
`);
    const [a, b] = spec.jobs;
    expect(a!.retry).toEqual({ maximumRetries: 3, initialIntervalSeconds: 5, backoffCoefficient: 3, maximumIntervalSeconds: 120, nonRetryableErrors: ['TimeoutError'] });
    expect(a!.timeoutSeconds).toBe(120);
    expect(a!.runsOn).toEqual({ type: 'self-hosted', taskQueue: 'gpu' });
    expect(a!.outputs).toEqual({ x: '${{ stages.s.outputs.y }}' });
    expect(a!.stages[0]!.retry).toEqual({ maximumRetries: '${{ params.n }}', initialIntervalSeconds: 1, backoffCoefficient: 2, maximumIntervalSeconds: 300, nonRetryableErrors: [] });
    expect(a!.stages[0]!.timeoutSeconds).toBe('${{ params.t }}');
    expect(b).toMatchObject({ needs: ['a'], triggerRule: 'one_failed', continueOnError: '${{ params.c }}', timeoutSeconds: 45, runsOn: { type: 'local' } });
    expect(b!.retry.maximumRetries).toBe(0);
    expect(b!.stages[0]!.retry.maximumRetries).toBe(0);
  });

  it('moves include/exclude written inside the matrix ahead of the ones beside it', () => {
    const spec = load(`wf:
  type: Workflow
  params:
    p: { type: int, default: 2 }
  jobs:
    a:
      strategy:
        matrix:
          os: [linux, mac]
          include: [{ os: linux, extra: 1 }]
          exclude: [{ os: mac }]
        include: [{ os: win }]
        max-parallel: "\${{ params.p }}"
        fail-fast: false
      stages:
        - echo: "\${{ matrix.os }}"
    b:
      strategy:
        matrix: "\${{ fromJson('[{\\"a\\":1}]') }}"
      stages:
        - echo: "\${{ matrix.a }}"
`);
    expect(spec.jobs[0]!.strategy).toEqual({
      matrix: { os: ['linux', 'mac'] },
      include: [{ os: 'linux', extra: 1 }, { os: 'win' }],
      exclude: [{ os: 'mac' }],
      maxParallel: '${{ params.p }}',
      failFast: false,
    });
    expect(spec.jobs[1]!.strategy).toMatchObject({ matrix: '${{ fromJson(\'[{"a":1}]\') }}', include: [], exclude: [], failFast: true });
  });

  it('maps every stage kind, with ids, codeLine and a loc on every stage', () => {
    const spec = load(`wf:
  type: Workflow
  params:
    items: { type: array, default: [1] }
  jobs:
    a:
      stages:
        - name: Py block
          run: |
            x = 1
          vars: { v: 1 }
        - name: Py plain
          run: print(1)
        - parallel:
            left:
              - echo: l
            right:
              - bash: echo r
                cwd: sub
          max-workers: 1
        - foreach: "\${{ params.items }}"
          concurrent: 2
          stages:
            - echo: "\${{ item }}"
        - until: "\${{ item > 2 }}"
          item: 0
          max-loop: 5
          stages:
            - echo: "\${{ loop }}"
        - case: "\${{ params.items }}"
          skip-not-match: true
          match:
            - case: 1
              stages: [{ echo: one }]
            - else: [{ echo: other }]
        - uses: tasks/x@v1
          with: { a: 1 }
        - trigger: wf2
          params: { p: 1 }
        - raise: boom
        - approval: ok?
          approvers: [me]
        - echo: slept
          sleep: 2
wf2:
  type: Workflow
  jobs:
    b:
      stages:
        - echo: b
`);
    const stages = spec.jobs[0]!.stages;
    expect(stages.map((s) => s.kind)).toEqual(['run', 'run', 'parallel', 'foreach', 'until', 'case', 'uses', 'trigger', 'raise', 'approval', 'echo']);
    const [block, plain] = stages as RunStageSpec[];
    expect(block!.codeLine).toBe(10);
    expect(block!.vars).toEqual({ v: 1 });
    expect(plain!.codeLine).toBe(13);
    const par = stages[2] as ParallelStageSpec;
    expect(par.branches.map((b) => [b.name, b.stages.map((s) => s.kind)])).toEqual([
      ['left', ['echo']],
      ['right', ['bash']],
    ]);
    expect(par.maxWorkers).toBe(1);
    expect(stages[3]).toMatchObject({ foreach: '${{ params.items }}', concurrent: 2 });
    const until = stages[4] as UntilStageSpec;
    expect(until).toMatchObject({ until: '${{ item > 2 }}', item: 0, maxLoop: 5 });
    const kase = stages[5] as CaseStageSpec;
    expect(kase.skipNotMatch).toBe(true);
    expect(kase.match.map((m) => [m.case, m.else, m.stages.length])).toEqual([
      [1, undefined, 1],
      [undefined, true, 1],
    ]);
    expect(stages[6]).toMatchObject({ uses: 'tasks/x@v1', with: { a: 1 } });
    expect(stages[7]).toMatchObject({ trigger: 'wf2', params: { p: 1 } });
    expect(stages[9]).toMatchObject({ approval: 'ok?', approvers: ['me'] });
    expect(stages[10]).toMatchObject({ echo: 'slept', sleepSeconds: 2 });
    expect(stages.map((s) => s.id)).toEqual(['py-block', 'py-plain', 'parallel-3', 'foreach-4', 'until-5', 'case-6', 'uses-7', 'trigger-8', 'raise-9', 'approval-10', 'echo-11']);
    for (const s of allStages(stages)) expect(s.loc).toMatch(/wf\.yml:\d+:\d+$/);
    expect(par.branches[1]!.stages[0]!.loc).toMatch(/wf\.yml:18:17$/);
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
  });
});
