/**
 * `runs-on` routing: a self-hosted job's activities (a stage batch too, and
 * its matrix children) go to their task queue and are run by the worker serving it.
 * Each worker writes a marker, so the test can tell which ran which stage.
 */
import { describe, expect, it } from 'vitest';
import { Workflow } from '../../src/client/workflow.js';
import { tempDir, testRuntime, uniqueTaskQueue, writeConf } from '../helpers/temporal.js';
import { startWorkerProcess } from '../helpers/worker-process.js';

describe('worker pools', () => {
  it('two workers on two queues each run the stages routed to them', async () => {
    const main = uniqueTaskQueue('main');
    const gpu = uniqueTaskQueue('gpu');
    const conf = writeConf({
      'pools.yml': `
pools:
  type: Workflow
  jobs:
    prepare:
      runs-on: { type: local }
      stages:
        - name: Where
          bash: echo "$WORKER_MARK"
    train:
      needs: [prepare]
      runs-on: { type: self-hosted, task-queue: ${gpu} }
      stages:
        - name: Where
          bash: echo "$WORKER_MARK"
    batched:
      needs: [prepare]
      runs-on: { type: self-hosted, task-queue: ${gpu} }
      dispatch: batch
      stages:
        - name: Where
          bash: echo "$WORKER_MARK"
        - name: Again
          bash: echo "again on $WORKER_MARK"
    shards:
      needs: [prepare]
      runs-on: { type: self-hosted, task-queue: ${gpu} }
      strategy:
        matrix: { shard: [1, 2] }
      stages:
        - name: Where
          bash: echo "$WORKER_MARK"
`,
    });
    const runtime = await testRuntime(main);
    const mainWorker = startWorkerProcess(main, tempDir(), { WORKER_MARK: 'main-worker' });
    const gpuWorker = startWorkerProcess(gpu, tempDir(), { WORKER_MARK: 'gpu-worker' });
    try {
      await Promise.all([mainWorker.ready, gpuWorker.ready]);
      const result = await (await Workflow.fromConf('pools', { path: conf })).execute({}, { runtime });
      expect(result.status).toBe('SUCCESS');
      expect(result.context.jobs['prepare']!.outputs['stdout']).toBe('main-worker\n');
      expect(result.context.jobs['train']!.outputs['stdout']).toBe('gpu-worker\n');
      // A stage batch (dispatch: batch) is one activity on the job's queue.
      expect(result.context.jobs['batched']!.stages['where']!.outputs['stdout']).toBe('gpu-worker\n');
      expect(result.context.jobs['batched']!.stages['again']!.outputs['stdout']).toBe('again on gpu-worker\n');
      expect(result.context.jobs['shards']!.strategies!.map((s) => s.outputs['stdout'])).toEqual(['gpu-worker\n', 'gpu-worker\n']);
      // The small matrix ran inline; as children, the combinations run on the pool's queue too.
      const children = await (await Workflow.fromConf('pools', { path: conf })).execute({}, { runtime, limits: { inlineMatrixStageRuns: 0 } });
      expect(children.context.jobs['shards']!.strategies!.map((s) => s.outputs['stdout'])).toEqual(['gpu-worker\n', 'gpu-worker\n']);
      const child = await runtime.client.workflow.getHandle(children.context.jobs['shards']!.strategies![0]!.workflowId!).describe();
      expect(child.taskQueue).toBe(gpu);
    } finally {
      await mainWorker.kill('SIGTERM');
      await gpuWorker.kill('SIGTERM');
      await runtime.close();
    }
  });
});
