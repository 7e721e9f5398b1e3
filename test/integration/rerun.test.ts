/**
 * Rerun on the real server: only the failed job and its dependents run
 * again (side effects counted in files the stages append to), the rest is
 * reused; `--from-stage` restarts a failed job at a stage; a release RERUN
 * reruns the failed jobs of that release.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Workflow } from '../../src/client/workflow.js';
import { runCli } from '../helpers/cli.js';
import { temporalAddress, withWorker, writeConf } from '../helpers/temporal.js';

const count = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);

//   extract ── transform ── load
//   audit (independent)
function pipeline(name: string, dir: string): string {
  return writeConf({
    [`${name}.yml`]: `
${name}:
  type: Workflow
  on:
    - cron: "0 6 * * *"
      timezone: UTC
  jobs:
    extract:
      stages:
        - name: Extract
          bash: echo x >> "${dir}/extract.count"
    transform:
      needs: [extract]
      stages:
        - name: Transform
          bash: |
            echo x >> "${dir}/transform.count"
            test -f "${dir}/fixed" || { echo "input not ready" >&2; exit 1; }
    load:
      needs: [transform]
      stages:
        - name: Load
          bash: echo x >> "${dir}/load.count"
    audit:
      stages:
        - name: Audit
          bash: echo x >> "${dir}/audit.count"
`,
  });
}

describe('rerun', () => {
  it('reruns only the failed job and its dependents, reusing the rest', async () => {
    await withWorker(async ({ runtime, dir }) => {
      const wf = await Workflow.fromConf('rerun-pipeline', { path: pipeline('rerun-pipeline', dir) });
      const failed = await wf.execute({}, { runtime });
      expect(failed.status).toBe('FAILED');
      expect(failed.context.jobs.load?.status).toBe('SKIP');
      writeFileSync(join(dir, 'fixed'), '');

      const rerun = await wf.rerun(failed.runId, { runtime });
      expect(rerun.status).toBe('SUCCESS');
      expect(rerun.parentRunId).toBe(failed.runId);
      expect(rerun.context.jobs.extract).toMatchObject({ status: 'SUCCESS', reusedFrom: failed.runId });
      expect(rerun.context.jobs.audit).toMatchObject({ status: 'SUCCESS', reusedFrom: failed.runId });
      expect(rerun.context.jobs.transform?.status).toBe('SUCCESS');
      expect(rerun.context.jobs.load?.status).toBe('SUCCESS');
      expect({ extract: count(join(dir, 'extract.count')), audit: count(join(dir, 'audit.count')), transform: count(join(dir, 'transform.count')), load: count(join(dir, 'load.count')) }).toEqual({
        extract: 1,
        audit: 1,
        transform: 2,
        load: 1,
      });

      await expect(wf.rerun(rerun.runId, { runtime })).rejects.toThrow(/every job of run .* succeeded; there is nothing to rerun/);
      await expect(wf.rerun('no-such-run', { runtime })).rejects.toThrow(/no run 'no-such-run'/);
    });
  });

  it('--from-stage restarts the failed job at that stage, keeping the stages before it (CLI)', async () => {
    await withWorker(async ({ runtime, dir, taskQueue }) => {
      const conf = writeConf({
        'stages.yml': `
rerun-stages:
  type: Workflow
  jobs:
    load:
      stages:
        - name: Prepare
          bash: echo x >> "${dir}/prepare.count"
        - name: Insert
          bash: |
            echo x >> "${dir}/insert.count"
            test -f "${dir}/fixed" || exit 3
        - name: Verify
          bash: echo x >> "${dir}/verify.count"
`,
      });
      const wf = await Workflow.fromConf('rerun-stages', { path: conf });
      const failed = await wf.execute({}, { runtime });
      expect(failed.context.jobs.load?.stages.insert?.status).toBe('FAILED');
      writeFileSync(join(dir, 'fixed'), '');
      const env = { TEMPORAL_ADDRESS: temporalAddress(), WORKFLOW_CORE_TASK_QUEUE: taskQueue };

      const bad = await runCli(['rerun', failed.runId, '--from-stage', 'load.nope'], { cwd: dir, env });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/job 'load' has no stage 'nope' \(stages: prepare, insert, verify\)/);

      const res = await runCli(['rerun', failed.runId, '--from-stage', 'load.insert', '--json'], { cwd: dir, env });
      expect(res.code, res.stderr).toBe(0);
      const out = JSON.parse(res.stdout) as { status: string; context: { jobs: Record<string, { stages: Record<string, { status: string; reused?: boolean }> }> } };
      expect(out.status).toBe('SUCCESS');
      expect(out.context.jobs.load!.stages.prepare).toMatchObject({ status: 'SUCCESS', reused: true });
      expect({ prepare: count(join(dir, 'prepare.count')), insert: count(join(dir, 'insert.count')), verify: count(join(dir, 'verify.count')) }).toEqual({ prepare: 1, insert: 2, verify: 1 });
    });
  });

  it('a RERUN release reruns the failed jobs of that release', async () => {
    await withWorker(async ({ runtime, dir }) => {
      const name = `rerun-release-${Date.now().toString(36)}`;
      const wf = await Workflow.fromConf(name, { path: pipeline(name, dir) });
      const first = await wf.release('2024-06-01T06:00:00Z', {}, { runtime });
      expect(first.status).toBe('FAILED');
      writeFileSync(join(dir, 'fixed'), '');
      const again = await wf.release('2024-06-01T06:00:00Z', {}, { runtime, releaseType: 'RERUN' });
      expect(again.status).toBe('SUCCESS');
      expect(again.runId).toMatch(new RegExp(`^tf:${name}:202406010600:rerun-`));
      expect({ extract: count(join(dir, 'extract.count')), transform: count(join(dir, 'transform.count')), load: count(join(dir, 'load.count')) }).toEqual({ extract: 1, transform: 2, load: 1 });
    });
  });
});
