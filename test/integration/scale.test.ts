/**
 * Scale mechanisms with thresholds lowered through the run input (never
 * server-wide settings): continue-as-new at drain points, two-level matrix
 * batches, foreach chunk children, and the size caps. Results, outputs,
 * cancellation and the status query stay correct across them.
 */
import { describe, expect, it } from 'vitest';
import type { WorkflowHandle } from '@temporalio/client';
import { Workflow } from '../../src/client/workflow.js';
import { statusQuery } from '../../src/workflows/definitions.js';
import { eventually } from '../helpers/processes.js';
import { withWorker, writeConf } from '../helpers/temporal.js';

/** A chain of `n` jobs; each echoes its index and reads its need's output. */
function chainYaml(n: number, lastStage = 'echo done'): string {
  const jobs = Array.from({ length: n }, (_, i) => {
    const needs = i === 0 ? '' : `\n      needs: [j${i - 1}]`;
    const stage = i === n - 1 ? lastStage : i === 0 ? 'echo start' : `echo "j${i} after \${{ needs.j${i - 1}.outputs.stdout }}" | head -c 40`;
    return `    j${i}:${needs}\n      stages:\n        - name: Step\n          bash: ${stage}`;
  }).join('\n');
  return `chain:\n  type: Workflow\n  jobs:\n${jobs}\n`;
}

async function executions(handle: WorkflowHandle, runtime: { client: import('@temporalio/client').Client }): Promise<number> {
  let n = 0;
  for await (const _ of runtime.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) n++;
  return n;
}

describe('continue-as-new', () => {
  it('continues as new at drain points and keeps results, needs outputs and the status query', async () => {
    await withWorker(async ({ runtime }) => {
      const wf = await Workflow.fromConf('chain', { path: writeConf({ 'c.yml': chainYaml(24) }) });
      let handle: WorkflowHandle | undefined;
      const result = await wf.execute({}, { runtime, limits: { maxHistoryEvents: 40 }, onStart: (i) => (handle = i.handle) });
      expect(result.status).toBe('SUCCESS');
      expect(Object.keys(result.context.jobs)).toHaveLength(24);
      expect(Object.values(result.context.jobs).every((j) => j.status === 'SUCCESS')).toBe(true);
      expect(result.context.jobs['j23']!.outputs['stdout']).toBe('done\n');
      expect(result.context.jobs['j5']!.outputs['stdout']).toMatch(/^j5 after j4 after/);
      const runs = await eventually(async () => ((await executions(handle!, runtime)) > 1 ? await executions(handle!, runtime) : 0), 10_000);
      expect(runs).toBeGreaterThan(2);
      const description = await handle!.describe();
      expect(description.runId).not.toBe(description.raw.workflowExecutionInfo?.firstRunId);
      expect(Number(description.historyLength)).toBeLessThanOrEqual(60);
      // The status query answers from the last run with the whole context.
      const ctx = await handle!.query(statusQuery);
      expect(Object.keys(ctx.jobs)).toHaveLength(24);
    });
  });

  it('cancellation still works after continuing as new', async () => {
    await withWorker(async ({ runtime }) => {
      const wf = await Workflow.fromConf('chain', { path: writeConf({ 'c.yml': chainYaml(12, 'sleep 30') }) });
      let handle: WorkflowHandle | undefined;
      const pending = wf.execute({}, { runtime, limits: { maxHistoryEvents: 40 }, onStart: (i) => (handle = i.handle) });
      const waiting = await eventually(async () => {
        try {
          return (await handle!.query(statusQuery)).jobs['j11']?.stages['step']?.status === 'WAIT';
        } catch {
          return false;
        }
      }, 30_000);
      expect(waiting).toBe(true);
      expect(await executions(handle!, runtime)).toBeGreaterThan(1);
      await handle!.cancel();
      const result = await pending;
      expect(result.status).toBe('CANCEL');
      expect(result.context.jobs['j0']!.status).toBe('SUCCESS');
      expect(result.context.jobs['j11']!.status).toBe('CANCEL');
      expect((await handle!.describe()).status.name).toBe('CANCELLED');
    });
  });
});

describe('fan-out trees', () => {
  it('a matrix larger than a batch runs in batch children, combinations as grandchildren', async () => {
    await withWorker(async ({ runtime }) => {
      const conf = writeConf({
        'm.yml': `
big-matrix:
  type: Workflow
  jobs:
    fan:
      strategy:
        matrix:
          a: [1, 2, 3, 4]
          b: [x, y, z]
      stages:
        - name: Work
          bash: echo "\${{ matrix.a }}\${{ matrix.b }}"
    after:
      needs: [fan]
      stages:
        - name: Count
          bash: echo '\${{ toJson(needs.fan.strategies) }}' | python3 -c 'import json,sys; s=json.load(sys.stdin); print(len(s), sum(1 for x in s if x["status"]=="SUCCESS"))'
`,
      });
      const result = await (await Workflow.fromConf('big-matrix', { path: conf })).execute({}, { runtime, limits: { matrixBatchSize: 5 } });
      expect(result.status).toBe('SUCCESS');
      const strategies = result.context.jobs['fan']!.strategies!;
      expect(strategies.map((s) => s.outputs['stdout'])).toEqual(['1x\n', '1y\n', '1z\n', '2x\n', '2y\n', '2z\n', '3x\n', '3y\n', '3z\n', '4x\n', '4y\n', '4z\n']);
      expect(result.context.jobs['after']!.outputs['stdout']).toBe('12 12\n');
      const batch = await runtime.client.workflow.getHandle(`${result.runId}.fan.batch-3`).describe();
      expect(batch.type).toBe('tempoflowMatrixBatch');
      const grandchild = await runtime.client.workflow.getHandle(strategies[11]!.workflowId!).describe();
      expect(grandchild.type).toBe('tempoflowJob');
      expect(grandchild.raw.workflowExecutionInfo?.parentExecution?.workflowId).toBe(`${result.runId}.fan.batch-3`);
    });
  });

  it('a large foreach runs in chunk children, keyed like an inline one; a failure stops later chunks', async () => {
    await withWorker(async ({ runtime }) => {
      const conf = writeConf({
        'f.yml': `
big-each:
  type: Workflow
  params:
    bad: { type: int, default: -1 }
  jobs:
    main:
      stages:
        - name: Prepare
          id: prep
          echo: ready
        - name: Each
          id: each
          foreach: \${{ fromJson('[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25]') }}
          concurrent: 3
          stages:
            - name: Work
              bash: |
                test "\${{ item }}" != "\${{ params.bad }}"
                echo "item \${{ item }} loop \${{ loop }} prep \${{ stages.prep.status }}"
`,
      });
      const wf = await Workflow.fromConf('big-each', { path: conf });
      const ok = await wf.execute({}, { runtime, limits: { foreachChunkSize: 10 } });
      expect(ok.status).toBe('SUCCESS');
      const perItem = ok.context.jobs['main']!.stages['each']!.outputs['foreach'] as Record<string, { status: string; stages: Record<string, { outputs: Record<string, unknown> }> }>;
      expect(Object.keys(perItem)).toHaveLength(25);
      expect(perItem['17']!.stages['work']!.outputs['stdout']).toBe('item 17 loop 17 prep SUCCESS\n');
      const chunk = await runtime.client.workflow.getHandle(`${ok.runId}.main.each.chunk-3`).describe();
      expect(chunk.type).toBe('tempoflowJob');

      const bad = await wf.execute({ bad: 4 }, { runtime, limits: { foreachChunkSize: 10 } });
      expect(bad.status).toBe('FAILED');
      const badItems = bad.context.jobs['main']!.stages['each']!.outputs['foreach'] as Record<string, { status: string }>;
      expect(badItems['4']!.status).toBe('FAILED');
      expect(badItems['25']!.status).toBe('CANCEL');
    });
  });
});

describe('size caps', () => {
  it('a stage output over 64 KB is replaced by a __truncated marker with a clear message', async () => {
    await withWorker(async ({ runtime }) => {
      const conf = writeConf({
        's.yml': `
big-output:
  type: Workflow
  jobs:
    main:
      stages:
        - name: Big
          id: big
          run: |
            blob = "x" * 200000
            small = 42
        - name: Trigger-size
          id: reader
          bash: echo '\${{ stages.big.outputs.small }}'
`,
      });
      const result = await (await Workflow.fromConf('big-output', { path: conf })).execute({}, { runtime });
      expect(result.status).toBe('SUCCESS');
      const outputs = result.context.jobs['main']!.stages['big']!.outputs;
      expect(outputs['small']).toBe(42);
      expect(outputs['blob']).toMatchObject({ __truncated: true });
      expect(result.context.jobs['main']!.stages['reader']!.outputs['stdout']).toBe('42\n');
    });
  });
});
