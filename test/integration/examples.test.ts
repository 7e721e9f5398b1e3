/** The conf/ examples run end to end on the real dev server, and their whole context is asserted. */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Workflow } from '../../src/client/workflow.js';
import { withWorker } from '../helpers/temporal.js';

const conf = resolve(import.meta.dirname, '../../conf');

describe('conf examples', () => {
  it('hello-world runs its four-job DAG to SUCCESS', async () => {
    await withWorker(async ({ runtime }) => {
      const wf = await Workflow.fromConf('hello-world', { path: conf });
      const result = await wf.execute({ name: 'tempoflow' }, { runtime });
      expect(result.status).toBe('SUCCESS');
      expect(result.errors).toEqual([]);
      const jobs = result.context.jobs;
      expect(Object.keys(jobs).sort()).toEqual(['build', 'prepare', 'report', 'test']);
      for (const job of Object.values(jobs)) expect(job.status).toBe('SUCCESS');
      expect(result.context.params).toEqual({ name: 'tempoflow' });
      expect(Object.keys(jobs.prepare!.stages)).toEqual(['greet', 'write-input']);
      expect(jobs.prepare!.stages['greet']).toMatchObject({ status: 'SUCCESS', name: 'Greet', outputs: {} });
      expect(jobs.prepare!.stages['write-input']).toMatchObject({ status: 'SUCCESS', attempt: 1, outputs: { return_code: 0, stderr: '' } });
      expect(jobs.prepare!.stages['write-input']!.outputs['stdout']).toMatch(/^prepared in .*hello-world-.*\/prepare\n$/);
      expect(jobs.build!.stages['build']!.outputs).toEqual({ return_code: 0, stdout: 'building for tempoflow\nLinux\n', stderr: '' });
      expect(jobs.test!.outputs).toEqual({ return_code: 0, stdout: 'tests passed\n', stderr: '' });
      expect(jobs.report!.stages['report']).toMatchObject({ status: 'SUCCESS' });
      expect(result.context.status).toBe('SUCCESS');
      expect(result.unwrap()).toBe(result);
    });
  });

  it('dag-with-skip fails check, skips deploy, still runs lint and notify', async () => {
    await withWorker(async ({ runtime }) => {
      const wf = await Workflow.fromConf('dag-with-skip', { path: conf });
      const result = await wf.execute({}, { runtime });
      expect(result.status).toBe('FAILED');
      const jobs = result.context.jobs;
      expect(jobs.lint).toMatchObject({ status: 'SUCCESS', outputs: { return_code: 0, stdout: 'lint ok\n' } });
      expect(jobs.check).toMatchObject({ status: 'FAILED' });
      expect(jobs.check!.stages['check']).toMatchObject({
        status: 'FAILED',
        attempt: 1,
        outputs: { return_code: 3, stdout: 'checking...\n', stderr: 'check failed on purpose\n' },
        error: { name: 'BashExitError', message: 'bash exited with code 3: check failed on purpose' },
      });
      expect(jobs.check!.stages['check']!.error!.location).toMatch(/dag-with-skip\.yml:\d+:\d+$/);
      expect(jobs.deploy).toMatchObject({ status: 'SKIP', stages: {} });
      expect(jobs.deploy!.reason).toMatch(/check/);
      expect(jobs.notify).toMatchObject({ status: 'SUCCESS' });
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]).toMatchObject({ job: 'check', stage: 'check', name: 'BashExitError' });
      expect(() => result.unwrap()).toThrowError(/FAILED.*check/);
    });
  });
});
