/**
 * The seed's patterns, as shipped in conf/, run on the real dev server with
 * real Python and registered TypeScript tasks. Each asserts every job's
 * status and its key outputs.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Workflow } from '../../src/client/workflow.js';
import { withWorker } from '../helpers/temporal.js';

const conf = resolve(import.meta.dirname, '../../conf');
const load = (name: string) => Workflow.fromConf(name, { path: conf });
const statuses = (jobs: Record<string, { status: string }>) => Object.fromEntries(Object.entries(jobs).map(([k, v]) => [k, v.status]));

describe('seed patterns from conf/', () => {
  it('data-pipeline: ingest, validate in Python, process per environment', async () => {
    await withWorker(async ({ runtime }) => {
      const result = await (await load('data-pipeline')).execute({ processing_date: '2024-03-01' }, { runtime });
      expect(result.status).toBe('SUCCESS');
      const jobs = result.context.jobs;
      expect(statuses(jobs)).toEqual({ 'data-ingestion': 'SUCCESS', 'data-processing': 'SUCCESS' });
      expect(jobs['data-ingestion']!.stages['validate']!.outputs).toMatchObject({ row_count: 3, total_amount: 60 });
      const strategies = jobs['data-processing']!.strategies!;
      expect(strategies.map((s) => [s.matrix['env'], s.status])).toEqual([
        ['dev', 'SUCCESS'],
        ['staging', 'SUCCESS'],
        ['prod', 'SUCCESS'],
      ]);
      expect(Object.keys(jobs['data-processing']!.outputs).sort()).toEqual(['written', 'written_dev', 'written_prod', 'written_staging']);
    });
  });

  it('complex-workflow: a 3 × 4 matrix, then an aggregation that sees all 12', async () => {
    await withWorker(async ({ runtime }) => {
      const result = await (await load('complex-workflow')).execute({ start_date: '2024-01-01T00:00:00Z', end_date: '2024-01-02T00:00:00+07:00' }, { runtime });
      expect(result.status).toBe('SUCCESS');
      const matrixJob = result.context.jobs['parallel-processing']!;
      expect(matrixJob.strategies).toHaveLength(12);
      expect(matrixJob.strategies!.every((s) => s.status === 'SUCCESS')).toBe(true);
      expect(matrixJob.strategies!.slice(0, 2).map((s) => s.matrix)).toEqual([
        { region: 'us-east', shard: 1 },
        { region: 'us-east', shard: 2 },
      ]);
      expect(result.context.jobs['aggregation']!.outputs).toMatchObject({ combinations: 12 });
    });
  });

  it('robust-workflow: main-process fails after its retries, fallback and cleanup run, the run FAILS', async () => {
    await withWorker(async ({ runtime }) => {
      const result = await (await load('robust-workflow')).execute({ retry_count: 1 }, { runtime });
      expect(result.status).toBe('FAILED');
      expect(statuses(result.context.jobs)).toEqual({ 'main-process': 'FAILED', fallback: 'SUCCESS', cleanup: 'SUCCESS' });
      const attempt = result.context.jobs['main-process']!.stages['attempt-processing']!;
      expect(attempt).toMatchObject({ status: 'FAILED', attempt: 2, error: { name: 'RuntimeError' } });
      expect(attempt.error!.message).toMatch(/upstream unavailable \(attempt 2\)/);
      expect(attempt.error!.message).toMatch(/robust-workflow\.yml:\d+/);
      expect(result.context.jobs['fallback']!.outputs).toMatchObject({ status: 'served from cache' });
      expect(result.context.jobs['cleanup']!.outputs).toMatchObject({ cleaned: ['tmp', 'locks'] });
      const ok = await (await load('robust-workflow')).execute({ should_fail: false }, { runtime });
      expect(ok.status).toBe('SUCCESS');
      expect(statuses(ok.context.jobs)).toEqual({ 'main-process': 'SUCCESS', fallback: 'SKIP', cleanup: 'SUCCESS' });
    });
  });

  it('fan-out-fan-in: one combination per partition from fromJson of a run output, merged after', async () => {
    await withWorker(async ({ runtime }) => {
      const result = await (await load('fan-out-fan-in')).execute({ partitions: 3 }, { runtime });
      expect(result.status).toBe('SUCCESS');
      const strategies = result.context.jobs['process-partitions']!.strategies!;
      expect(strategies.map((s) => s.matrix['partition'])).toEqual(['part-0', 'part-1', 'part-2']);
      expect(result.context.jobs['merge']!.outputs).toMatchObject({ partitions_merged: 3 });
      expect(result.context.jobs['process-partitions']!.outputs).toEqual({ checksum_part_0: 532, checksum_part_1: 533, checksum_part_2: 534 });
    });
  });

  it('circuit-breaker: unhealthy skips main and runs the fallback; healthy does the opposite', async () => {
    await withWorker(async ({ runtime }) => {
      const wf = await load('circuit-breaker');
      const broken = await wf.execute({}, { runtime });
      expect(broken.status).toBe('FAILED');
      expect(statuses(broken.context.jobs)).toEqual({ 'check-health': 'FAILED', 'main-process': 'SKIP', fallback: 'SUCCESS' });
      expect(broken.errors[0]).toMatchObject({ job: 'check-health', name: 'Exception' });
      const healthy = await wf.execute({ healthy: true }, { runtime });
      expect(healthy.status).toBe('SUCCESS');
      expect(statuses(healthy.context.jobs)).toEqual({ 'check-health': 'SUCCESS', 'main-process': 'SUCCESS', fallback: 'SKIP' });
    });
  });

  it('retry-pattern: succeeds on attempt 3 after durable backoff', async () => {
    await withWorker(async ({ runtime }) => {
      const result = await (await load('retry-pattern')).execute({}, { runtime });
      expect(result.status).toBe('SUCCESS');
      expect(result.context.jobs['retry-job']!.stages['risky']).toMatchObject({ status: 'SUCCESS', attempt: 3, outputs: { attempt: 3, outcome: 'ok' } });
    });
  });

  it('scheduled-workflow: runs by hand too (its cron entries become schedules)', async () => {
    await withWorker(async ({ runtime }) => {
      const result = await (await load('scheduled-workflow')).execute({}, { runtime });
      expect(result.status).toBe('SUCCESS');
      expect(result.context.jobs['scheduled-task']!.outputs).toMatchObject({ outcome: 'manual task done' });
      // A run stage's printed output is kept as its logs (for `tempoflow logs`), not as outputs.
      expect(result.context.jobs['scheduled-task']!.stages['run']!.logs!.stdout).toMatch(/^Executing at 20\d\d-/);
    });
  });

  it('conditional-pipeline: the mode param picks the jobs', async () => {
    await withWorker(async ({ runtime }) => {
      const wf = await load('conditional-pipeline');
      const prod = await wf.execute({ mode: 'production', backup_enabled: true }, { runtime });
      expect(prod.status).toBe('SUCCESS');
      expect(statuses(prod.context.jobs)).toEqual({ build: 'SUCCESS', backup: 'SUCCESS', deploy: 'SUCCESS', 'dry-run': 'SKIP', report: 'SUCCESS' });
      const dev = await wf.execute({}, { runtime });
      expect(statuses(dev.context.jobs)).toEqual({ build: 'SUCCESS', backup: 'SKIP', deploy: 'SKIP', 'dry-run': 'SUCCESS', report: 'SUCCESS' });
    });
  });
});

describe('nested-stages example', () => {
  it('runs every nested kind to SUCCESS with the context docs/context.md shows', async () => {
    await withWorker(async ({ runtime }) => {
      const result = await (await load('nested-stages')).execute({}, { runtime });
      expect(result.status).toBe('SUCCESS');
      const stages = result.context.jobs['nested']!.stages;
      expect(Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, v.status]))).toEqual({
        build: 'SUCCESS',
        deploy: 'SUCCESS',
        poll: 'SUCCESS',
        route: 'SUCCESS',
        optional: 'FAILED',
      });
      const deploy = stages['deploy']!.outputs['foreach'] as Record<string, { stages: Record<string, { outputs: Record<string, unknown> }> }>;
      expect(deploy['eu']!.stages['push']!.outputs['stdout']).toBe('push eu (item 2)\n');
      expect(stages['poll']!.outputs).toMatchObject({ loop: 2, item: 2 });
      expect(stages['route']!.outputs).toMatchObject({ case: 'dev', matched: 'else' });
      expect(stages['optional']!.error).toMatchObject({ name: 'RaiseError', message: 'this check is allowed to fail' });
    });
  });
});
