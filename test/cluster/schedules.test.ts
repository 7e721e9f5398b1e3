/**
 * Schedules on the cluster: `tempoflow schedule sync` creates a Temporal Schedule per
 * cron entry (the scheduler runs in the server's internal worker service), a triggered
 * release runs on the worker pool and writes exactly one audit record to the shared
 * audit path, which `tempoflow audit list` reads from another directory.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileAuditStore } from '../../src/audit/index.js';
import { scheduleId } from '../../src/client/schedules.js';
import { runCli } from '../helpers/cli.js';
import { eventually } from '../helpers/processes.js';
import { tempDir, temporalAddress, writeConf } from '../helpers/temporal.js';
import { lines, startPool, type WorkerPool } from './pool.js';

let pool: WorkerPool;
beforeAll(async () => {
  pool = await startPool('cluster-schedules');
});
afterAll(async () => {
  await pool?.stop();
});

describe('schedules and releases', () => {
  it('schedule sync, then a triggered release runs once with one audit record', async () => {
    const project = `proj-${randomBytes(3).toString('hex')}`;
    const name = `nightly-${randomBytes(3).toString('hex')}`;
    const ledger = join(pool.shared, `${name}.txt`);
    // An hour far from now, so the schedule itself does not fire during the test.
    const hour = (new Date().getUTCHours() + 12) % 24;
    const conf = writeConf({
      'n.yml': `
${name}:
  type: Workflow
  on:
    - cron: "15 ${hour} * * *"
      timezone: UTC
  jobs:
    main:
      stages:
        - name: Work
          bash: echo "$TF_RUN_ID $TEMPOFLOW_TEST_WORKER" >> "${ledger}"
`,
    });
    const env = { TEMPORAL_ADDRESS: temporalAddress(), WORKFLOW_CORE_PROJECT: project, WORKFLOW_CORE_TASK_QUEUE: pool.taskQueue, ...pool.env };
    const cli = (...args: string[]) => runCli(args, { cwd: tempDir(), env });
    const id = scheduleId(project, name, `15 ${hour} * * *`, 'UTC');
    try {
      const sync = await cli('schedule', 'sync', '--conf', conf);
      expect(sync.code, sync.stderr).toBe(0);
      expect(sync.stdout).toContain(`create         ${id}`);
      const again = await cli('schedule', 'sync', '--conf', conf);
      expect(again.stdout).toMatch(new RegExp(`unchanged +${id}`));
      const list = await cli('schedule', 'list', '--conf', conf);
      expect(list.stdout).toContain(id);
      expect(list.stdout).toMatch(/next: \d{4}-/);

      const trigger = await cli('schedule', 'trigger', name, '--conf', conf);
      expect(trigger.code, trigger.stderr).toBe(0);
      const store = new FileAuditStore(pool.env.WORKFLOW_CORE_AUDIT_PATH!);
      const records = await eventually(() => (store.list(name).length > 0 ? store.list(name) : undefined), 90_000, 500);
      expect(records).toHaveLength(1);
      const record = records![0]!;
      expect(record).toMatchObject({ type: 'NORMAL', status: 'SUCCESS', project });
      expect(record.runId).toMatch(new RegExp(`^tf:${name}:\\d{12}$`));
      expect(lines(ledger)).toEqual([expect.stringMatching(new RegExp(`^${record.runId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} [ab]$`))]);

      const audit = await cli('audit', 'list', name);
      expect(audit.code, audit.stderr).toBe(0);
      expect(audit.stdout).toContain(record.runId);
    } finally {
      await pool.runtime.client.schedule
        .getHandle(id)
        .delete()
        .catch(() => undefined);
    }
  });
});
