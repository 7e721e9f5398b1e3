/**
 * Job semantics on the real dev server: matrix children (ids, names,
 * max-parallel, fail-fast) and small matrices run inline with the same
 * context, declared outputs, job retry and timeout,
 * continue-on-error (job and stage), trigger-rule, `trigger:` child runs and
 * the refusal of trigger cycles, `uses` tasks.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Workflow } from '../../src/client/workflow.js';
import { withWorker, writeConf } from '../helpers/temporal.js';

const statuses = (jobs: Record<string, { status: string }>) => Object.fromEntries(Object.entries(jobs).map(([k, v]) => [k, v.status]));

describe('matrix jobs', () => {
  it('run one named child workflow per combination (or inline when small, with the same context); fail-fast cancels the rest', async () => {
    await withWorker(async ({ runtime, dir }) => {
      const ledger = join(dir, 'ledger.txt');
      const conf = writeConf({
        'm.yml': `
matrix-demo:
  type: Workflow
  params:
    fail_fast: { type: bool, default: true }
  jobs:
    build:
      strategy:
        matrix:
          item: [a, bad, c, d]
        max-parallel: 1
        fail-fast: \${{ params.fail_fast }}
      stages:
        - name: Build \${{ matrix.item }}
          id: build
          bash: |
            echo "$TF_MATRIX_ITEM" >> "${ledger}"
            test "$TF_MATRIX_ITEM" != bad
            echo "built-$TF_MATRIX_ITEM"
    after:
      needs: [build]
      if: \${{ always() }}
      stages:
        - name: Count
          bash: echo '\${{ toJson(needs.build.strategies) }}' | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
`,
      });
      const wf = await Workflow.fromConf('matrix-demo', { path: conf });
      const ff = await wf.execute({}, { runtime, limits: { inlineMatrixStageRuns: 0 } });
      expect(ff.status).toBe('FAILED');
      const job = ff.context.jobs['build']!;
      expect(job.status).toBe('FAILED');
      expect(job.reason).toMatch(/fail-fast: combination item=bad FAILED/);
      expect(job.strategies!.map((s) => [s.matrix['item'], s.status])).toEqual([
        ['a', 'SUCCESS'],
        ['bad', 'FAILED'],
        ['c', 'CANCEL'],
        ['d', 'CANCEL'],
      ]);
      expect(readFileSync(ledger, 'utf8')).toBe('a\nbad\n');
      expect(job.outputs).toMatchObject({ stdout: 'built-a\n' });
      expect(ff.context.jobs['after']!.outputs).toMatchObject({ stdout: '4\n' });
      // Children: ids hash the matrix key; the summary names the combination.
      const first = job.strategies![0]!;
      expect(first.workflowId).toBe(`${ff.runId}.build.${first.key}`);
      expect(first.key).toMatch(/^[0-9a-f]{12}$/);
      const child = await runtime.client.workflow.getHandle(first.workflowId!).describe();
      expect(child.type).toBe('tempoflowJob');
      expect(child.status.name).toBe('COMPLETED');
      expect(await child.staticSummary()).toBe('matrix-demo / build (item=a)');
      const failedChild = await runtime.client.workflow.getHandle(job.strategies![1]!.workflowId!).describe();
      expect(failedChild.status.name).toBe('FAILED');

      // 4 combinations × 1 stage fit the run's history: the same context, no children.
      const inline = await wf.execute({}, { runtime });
      expect(inline.status).toBe('FAILED');
      const inlineJob = inline.context.jobs['build']!;
      // Inline entries carry their stages where a child keeps them in its own execution.
      const withoutIds = (j: typeof job) => ({ ...j, start: undefined, end: undefined, strategies: j.strategies!.map((s) => ({ ...s, workflowId: undefined, stages: undefined })) });
      expect(withoutIds(inlineJob)).toEqual(withoutIds(job));
      expect(inlineJob.strategies!.every((s) => s.workflowId === undefined)).toBe(true);
      const ended = inlineJob.strategies!.filter((s) => s.status !== 'CANCEL');
      expect(ended.length).toBeGreaterThan(0);
      for (const s of ended) expect(s.stages?.['build']?.status).toBe(s.status);
      expect(readFileSync(ledger, 'utf8')).toBe('a\nbad\na\nbad\n');
      expect(inline.context.jobs['after']!.outputs).toMatchObject({ stdout: '4\n' });
      await expect(runtime.client.workflow.getHandle(`${inline.runId}.build.${first.key}`).describe()).rejects.toThrow(/not found/i);

      const all = await wf.execute({ fail_fast: false }, { runtime });
      expect(all.context.jobs['build']!.strategies!.map((s) => s.status)).toEqual(['SUCCESS', 'FAILED', 'SUCCESS', 'SUCCESS']);
      expect(all.context.jobs['build']!.outputs).toMatchObject({ stdout: 'built-d\n' });
    });
  });
});

describe('job features', () => {
  it('declared outputs, job env, job retry, stage continue-on-error', async () => {
    await withWorker(async ({ runtime, dir }) => {
      const counter = join(dir, 'count.txt');
      const conf = writeConf({
        'j.yml': `
job-features:
  type: Workflow
  env: { WHO: workflow }
  jobs:
    producer:
      env: { WHO: job }
      outputs:
        greeting: \${{ stages.say.outputs.stdout }}
        fixed: constant
      stages:
        - name: Say
          bash: printf '%s' "hello from $WHO"
        - name: Soft failure
          continue-on-error: true
          bash: exit 7
    flaky:
      retry: 2
      stages:
        - name: Count
          bash: |
            echo x >> "${counter}"
            test "$(wc -l < "${counter}")" -ge 2
    consumer:
      needs: [producer, flaky]
      stages:
        - name: Use
          bash: echo "\${{ needs.producer.outputs.greeting }} / \${{ needs.producer.outputs.fixed }}"
`,
      });
      const result = await (await Workflow.fromConf('job-features', { path: conf })).execute({}, { runtime });
      expect(result.status).toBe('SUCCESS');
      expect(result.context.jobs['producer']!.outputs).toEqual({ greeting: 'hello from job', fixed: 'constant' });
      expect(result.context.jobs['producer']!.stages['soft-failure']).toMatchObject({ status: 'FAILED', outputs: { return_code: 7 } });
      expect(result.context.jobs['flaky']).toMatchObject({ status: 'SUCCESS', attempt: 2 });
      expect(result.context.jobs['consumer']!.outputs).toMatchObject({ stdout: 'hello from job / constant\n' });
    });
  });

  it('job timeout ends the job TIMEOUT; job continue-on-error lets the run succeed with result success / outcome failure', async () => {
    await withWorker(async ({ runtime }) => {
      const conf = writeConf({
        't.yml': `
job-timeout:
  type: Workflow
  jobs:
    slow:
      timeout: 1s
      continue-on-error: true
      stages:
        - name: Nap
          bash: sleep 20
    after:
      needs: [slow]
      stages:
        - name: Report
          bash: echo "\${{ needs.slow.result }}/\${{ needs.slow.outcome }}"
`,
      });
      const result = await (await Workflow.fromConf('job-timeout', { path: conf })).execute({}, { runtime });
      expect(result.status).toBe('SUCCESS');
      expect(result.context.jobs['slow']).toMatchObject({ status: 'TIMEOUT', continueOnError: true });
      expect(result.context.jobs['slow']!.stages['nap']!.status).toBe('CANCEL');
      expect(result.context.jobs['after']!.outputs).toMatchObject({ stdout: 'success/failure\n' });
    });
  });

  it('robust-workflow with continue-on-error on main-process: run SUCCESS, result success, outcome failure', async () => {
    await withWorker(async ({ runtime }) => {
      const text = readFileSync(resolve(import.meta.dirname, '../../conf/workflows/robust-workflow.yml'), 'utf8')
        .replace('    main-process:\n', '    main-process:\n      continue-on-error: true\n')
        .replace(
          '        - name: Cleanup resources\n',
          '        - name: Observe\n          bash: echo "${{ needs.main-process.result }}/${{ needs.main-process.outcome }}"\n        - name: Cleanup resources\n',
        );
      const conf = writeConf({ 'robust.yml': text });
      const result = await (await Workflow.fromConf('robust-workflow', { path: conf })).execute({ retry_count: 0 }, { runtime });
      expect(result.status).toBe('SUCCESS');
      expect(statuses(result.context.jobs)).toEqual({ 'main-process': 'FAILED', fallback: 'SKIP', cleanup: 'SUCCESS' });
      expect(result.context.jobs['cleanup']!.stages['observe']!.outputs).toMatchObject({ stdout: 'success/failure\n' });
    });
  });
});

describe('trigger stages', () => {
  const conf = () =>
    writeConf({
      'parent.yml': `
parent:
  type: Workflow
  params:
    ok: { type: bool, default: true }
  jobs:
    main:
      stages:
        - name: Call child
          id: call
          trigger: child
          params:
            value: "from-\${{ workflow.name }}"
            ok: \${{ params.ok }}
`,
      'child.yml': `
child:
  type: Workflow
  params:
    value: str
    ok: bool
  jobs:
    work:
      stages:
        - name: Echo
          bash: |
            echo "child got $TF_PARAM_VALUE"
            test "$TF_PARAM_OK" = true
`,
      'loop.yml': `
loop-a:
  type: Workflow
  jobs:
    go:
      stages:
        - name: To B
          trigger: loop-b
loop-b:
  type: Workflow
  jobs:
    go:
      stages:
        - name: Back to A
          trigger: loop-a
`,
    });

  it('runs another workflow as a child; its status and outputs become the stage’s', async () => {
    await withWorker(async ({ runtime }) => {
      const path = conf();
      const wf = await Workflow.fromConf('parent', { path });
      const ok = await wf.execute({}, { runtime });
      expect(ok.status).toBe('SUCCESS');
      const call = ok.context.jobs['main']!.stages['call']!;
      expect(call.outputs).toMatchObject({ status: 'SUCCESS', run_id: `${ok.runId}.main.call`, jobs: { work: { status: 'SUCCESS', outputs: { stdout: 'child got from-parent\n' } } } });
      const child = await runtime.client.workflow.getHandle(`${ok.runId}.main.call`).describe();
      expect(child.type).toBe('tempoflowRun');

      const bad = await wf.execute({ ok: false }, { runtime });
      expect(bad.status).toBe('FAILED');
      expect(bad.context.jobs['main']!.stages['call']).toMatchObject({ status: 'FAILED', error: { name: 'TriggeredRunFailed' }, outputs: { status: 'FAILED' } });
    });
  });

  it('refuses a cycle A → B → A, naming the chain, before any child starts', async () => {
    await withWorker(async ({ runtime }) => {
      const path = conf();
      const wf = await Workflow.fromConf('loop-a', { path });
      await expect(wf.execute({}, { runtime })).rejects.toThrow(/trigger cycle: loop-a → loop-b → loop-a/);
      const started = [];
      for await (const r of runtime.client.workflow.list({ query: `WorkflowType = 'tempoflowRun' AND TaskQueue = '${runtime.taskQueue}'` })) started.push(r);
      expect(started).toEqual([]);
    });
  });
});
