/**
 * The seed's `release()` arguments on the real server, one behaviour per
 * test: auditing switched off by `WORKFLOW_CORE_AUDIT_ENABLED=false` on the
 * worker, by `audit: false` and by `extras.auditEnabled`; `overrideLogName`;
 * a release's `runId`, `timeout` and `parentRunId`; the EVENT release type.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { activityConfigFromEnv } from '../../src/activities/config.js';
import { FileAuditStore } from '../../src/audit/index.js';
import { readResolvedRunInput } from '../../src/client/run-handle.js';
import { Workflow } from '../../src/client/workflow.js';
import { EVENT, NORMAL } from '../../src/engine/release.js';
import { tempDir, withWorker, writeConf } from '../helpers/temporal.js';

const unique = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

/** A workflow releasable at any minute (no cron entry); its one stage echoes `release.type`, or sleeps. */
function conf(name: string): string {
  return writeConf({
    [`${name}.yml`]: `
${name}:
  type: Workflow
  params:
    seconds: { type: int, default: 0 }
  jobs:
    work:
      stages:
        - id: work
          env: { TYPE: "\${{ release.type }}" }
          bash: |
            sleep "$TF_PARAM_SECONDS"
            echo "$TYPE"
`,
  });
}

describe('auditing switched off', () => {
  it('WORKFLOW_CORE_AUDIT_ENABLED=false on the worker: releases write no record, NORMAL dedup still holds, audit: true writes one', async () => {
    const cwd = tempDir('tf-audit-off-');
    const off = activityConfigFromEnv({ ...process.env, WORKFLOW_CORE_AUDIT_ENABLED: 'false', WORKFLOW_CORE_AUDIT_PATH: '' }, cwd);
    expect(off.audit?.enabled).toBe(false);
    await withWorker(
      async ({ runtime }) => {
        const name = unique('off');
        const wf = await Workflow.fromConf(name, { path: conf(name) });
        const first = await wf.release('2024-05-01T10:00:00Z', {}, { runtime });
        expect(first.status).toBe('SUCCESS');
        expect(first.audit).toBeUndefined();
        const again = await wf.release('2024-05-01T10:00:00Z', {}, { runtime });
        expect(again).toMatchObject({ status: 'SKIP', skipped: true, runId: first.runId });
        expect(existsSync(join(cwd, 'audits'))).toBe(false);

        const forced = await wf.release('2024-05-01T10:00:00Z', {}, { runtime, releaseType: 'FORCE', audit: true });
        expect(forced.audit?.written).toBe(true);
        expect(new FileAuditStore(join(cwd, 'audits')).forRelease(name, '20240501100000').map((r) => r.runId)).toEqual([forced.runId]);
      },
      { activityConfig: off },
    );
  });

  it('audit: false, or extras.auditEnabled: false, skip the record on an auditing worker; without them it is written', async () => {
    await withWorker(async ({ runtime, dir }) => {
      const name = unique('quiet');
      const path = conf(name);
      const store = new FileAuditStore(join(dir, 'audits'));
      const wf = await Workflow.fromConf(name, { path });
      const quiet = await wf.release('2024-05-02T10:00:00Z', {}, { runtime, audit: false });
      expect(quiet.status).toBe('SUCCESS');
      expect(quiet.audit).toBeUndefined();

      const viaExtras = await Workflow.fromConf(name, { path, extras: { auditEnabled: false } });
      const quietToo = await viaExtras.release('2024-05-03T10:00:00Z', {}, { runtime });
      expect(quietToo.audit).toBeUndefined();
      // The option wins over extras.
      const loud = await viaExtras.release('2024-05-04T10:00:00Z', {}, { runtime, audit: true });
      expect(loud.audit?.written).toBe(true);

      const audited = await wf.release('2024-05-05T10:00:00Z', {}, { runtime });
      expect(audited.audit?.written).toBe(true);
      expect(store.list(name).map((r) => r.release)).toEqual(['2024-05-05T10:00:00.000Z', '2024-05-04T10:00:00.000Z']);
    });
  });
});

describe('release options', () => {
  it('overrideLogName is the name the audit record carries; the record stays filed under the workflow', async () => {
    await withWorker(async ({ runtime, dir }) => {
      const name = unique('logname');
      const wf = await Workflow.fromConf(name, { path: conf(name) });
      const result = await wf.release('2024-06-01T00:00:00Z', {}, { runtime, overrideLogName: 'nightly-report' });
      expect(result.audit?.written).toBe(true);
      const [record, ...rest] = new FileAuditStore(join(dir, 'audits')).forRelease(name, '20240601000000');
      expect(rest).toEqual([]);
      expect(record).toMatchObject({ workflow: name, logName: 'nightly-report', runId: result.runId });
    });
  });

  it("runId, timeout and parentRunId: the release's run has that id and parent, and its timeout ends it TIMEOUT", async () => {
    await withWorker(async ({ runtime, dir }) => {
      const name = unique('opts');
      const wf = await Workflow.fromConf(name, { path: conf(name) });
      const runId = unique('my-release-run');
      const result = await wf.release('2024-06-02T00:00:00Z', { seconds: 60 }, { runtime, runId, parentRunId: 'upstream-7', timeout: 2 });
      expect(result.status).toBe('TIMEOUT');
      expect(result.runId).toBe(runId);
      expect(result.parentRunId).toBe('upstream-7');
      expect(result.context.jobs['work']!.stages['work']).toMatchObject({ status: 'CANCEL', reason: 'the run timed out while this stage was running' });
      expect(await readResolvedRunInput(runtime, runId)).toMatchObject({ runId, parentRunId: 'upstream-7', timeoutSeconds: 2 });
      const [record] = new FileAuditStore(join(dir, 'audits')).forRelease(name, '20240602000000');
      expect(record).toMatchObject({ runId, parentRunId: 'upstream-7', status: 'TIMEOUT' });
    });
  });

  it('EVENT runs like NORMAL (same run id, once per minute) and is recorded and seen as EVENT', async () => {
    await withWorker(async ({ runtime, dir }) => {
      const name = unique('event');
      const wf = await Workflow.fromConf(name, { path: conf(name) });
      const event = await wf.release('2024-06-03T08:30:00Z', {}, { runtime, releaseType: EVENT });
      expect(event).toMatchObject({ status: 'SUCCESS', releaseType: 'EVENT', runId: `tf:${name}:202406030830` });
      expect(event.context.jobs['work']!.stages['work']!.outputs['stdout']).toBe('EVENT\n');
      expect((await readResolvedRunInput(runtime, event.runId))?.release?.type).toBe('EVENT');
      const [record, ...rest] = new FileAuditStore(join(dir, 'audits')).forRelease(name, '20240603083000');
      expect(rest).toEqual([]);
      expect(record).toMatchObject({ type: 'EVENT', runId: event.runId });

      // The same minute again, as EVENT or NORMAL: the release already happened.
      expect(await wf.release('2024-06-03T08:30:00Z', {}, { runtime, releaseType: EVENT })).toMatchObject({ status: 'SKIP', runId: event.runId });
      expect(await wf.release('2024-06-03T08:30:00Z', {}, { runtime, releaseType: NORMAL })).toMatchObject({ status: 'SKIP', runId: event.runId });
    });
  });
});
