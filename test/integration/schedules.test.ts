/**
 * Schedules on the real server: our cron matcher agrees with Temporal's
 * own fire times (DST days in New York and Sydney, day-of-month with
 * day-of-week, steps, ranges, names); `tempoflow schedule sync` creates,
 * updates and deletes, and a second sync is a no-op; a triggered schedule
 * and a backfill run releases that write audit records.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileAuditStore } from '../../src/audit/index.js';
import { listProjectScheduleIds, scheduleId } from '../../src/client/schedules.js';
import { nextFireTimes } from '../../src/engine/cron.js';
import { runCli } from '../helpers/cli.js';
import { eventually } from '../helpers/processes.js';
import { temporalAddress, testRuntime, uniqueTaskQueue, withWorker, writeConf } from '../helpers/temporal.js';

const CASES: [cron: string, timezone: string, startAt: string][] = [
  ['30 1 * * *', 'America/New_York', '2027-11-06T12:00:07Z'], // fall back: 01:30 twice
  ['30 2 * * *', 'America/New_York', '2027-03-13T12:00:07Z'], // spring forward: 02:30 never
  ['*/20 1-2 * * *', 'America/New_York', '2027-11-07T04:00:07Z'], // steps and a range across the repeated hour
  ['0 12 13 * 5', 'UTC', '2027-01-01T00:00:07Z'], // day-of-month AND day-of-week (a start in the future: Temporal counts from now otherwise)
  ['15 10 1-7 * mon', 'America/New_York', '2027-01-01T00:00:07Z'], // a range with a weekday name
  ['0 9 * * MON-FRI', 'Europe/Paris', '2027-03-26T00:00:07Z'], // Paris DST
  ['0 0 * jan,JUL sun', 'UTC', '2027-01-01T00:00:07Z'], // month and weekday names
  ['5/15 */6 * * *', 'Asia/Kolkata', '2027-05-01T00:00:07Z'], // x/step, half-hour offset
  ['30 2 * * *', 'Australia/Sydney', '2027-04-03T00:00:07Z'], // southern fall back
  ['0 0 29 2 *', 'UTC', '2027-01-01T00:00:07Z'], // leap days only
  ['@weekly', 'Asia/Tokyo', '2027-01-01T00:00:07Z'],
  ['0 9 * * Tu,thursday', 'UTC', '2027-01-01T00:00:07Z'], // weekday names of 2 letters or more
  ['0 0 1 janu,JULY *', 'UTC', '2027-01-01T00:00:07Z'], // month names of 3 letters or more
  ['*/90 * * * *', 'UTC', '2027-01-01T00:00:07Z'], // a step longer than the field: its first value only
];

const unique = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

describe('cron semantics match Temporal', () => {
  it.each(CASES)('%s in %s from %s', async (cron, timezone, startAt) => {
    const runtime = await testRuntime(uniqueTaskQueue('cron'));
    const id = unique('cron-probe');
    try {
      const handle = await runtime.client.schedule.create({
        scheduleId: id,
        spec: { cronExpressions: [cron], timezone, startAt: new Date(startAt) },
        action: { type: 'startWorkflow', workflowType: 'never-runs', taskQueue: 'never-served', args: [] },
        state: { paused: true },
      });
      const temporal = (await handle.describe()).info.nextActionTimes.map((d) => d.toISOString());
      expect(temporal.length).toBeGreaterThan(0);
      const ours = nextFireTimes(cron, timezone, new Date(startAt), temporal.length).map((d) => d.toISOString());
      expect(ours).toEqual(temporal);
      await handle.delete();
    } finally {
      await runtime.close();
    }
  });
});

const yaml = (name: string, crons: string[], body = 'bash: echo "$TF_RUN_ID" >> "$LEDGER"') => `
${name}:
  type: Workflow
  on:
${crons.map((c) => `    - ${c}`).join('\n')}
  jobs:
    main:
      stages:
        - name: Work
          ${body}
`;

describe('schedule sync', () => {
  it('creates, updates and deletes its own project only; a second sync is a no-op', async () => {
    const project = unique('proj');
    const taskQueue = uniqueTaskQueue('sync');
    const name = unique('nightly');
    const dir = writeConf({
      'a.yml': yaml(name, ['{ cron: "0 2 * * *", timezone: Europe/Paris }', '{ cron: "30 6 * * 1-5", timezone: UTC, overlap: buffer-one }', '{ manual: true }']),
    });
    const env = { TEMPORAL_ADDRESS: temporalAddress(), WORKFLOW_CORE_PROJECT: project, WORKFLOW_CORE_TASK_QUEUE: taskQueue };
    const cli = (...args: string[]) => runCli(['schedule', ...args, '--conf', dir], { cwd: dir, env });
    const runtime = await testRuntime(taskQueue);
    const paris = scheduleId(project, name, '0 2 * * *', 'Europe/Paris');
    const weekdays = scheduleId(project, name, '30 6 * * 1-5', 'UTC');
    // Another project's schedule on the same namespace must survive our syncs.
    const foreign = `tf:${unique('other')}:${name}:000000000000`;
    await runtime.client.schedule.create({
      scheduleId: foreign,
      spec: { cronExpressions: ['0 0 1 1 *'] },
      action: { type: 'startWorkflow', workflowType: 'x', taskQueue, args: [] },
      state: { paused: true },
    });
    try {
      const dry = await cli('sync', '--dry-run');
      expect(dry.code).toBe(0);
      expect(dry.stdout).toContain(`would create   ${paris}`);
      expect(await listProjectScheduleIds(runtime.client, project)).toEqual([]);

      const first = await cli('sync');
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toContain(`create         ${paris}`);
      expect(first.stdout).toContain(`create         ${weekdays}`);
      const d = await runtime.client.schedule.getHandle(weekdays).describe();
      expect(d.spec.timezone).toBe('UTC');
      expect(d.policies.overlap).toBe('BUFFER_ONE');
      expect(d.action).toMatchObject({ workflowType: 'tempoflowRelease', taskQueue });
      expect((await runtime.client.schedule.getHandle(paris).describe()).spec.timezone).toBe('Europe/Paris');

      const again = await cli('sync');
      expect(again.stdout).toMatch(new RegExp(`unchanged +${paris}`));
      expect(again.stderr).toContain('already in sync; nothing to do');

      // An operator's pause survives an update; reordering entries changes nothing.
      await runtime.client.schedule.getHandle(paris).pause('maintenance');
      writeFileSync(join(dir, 'a.yml'), yaml(name, ['{ cron: "0 2 * * *", timezone: Europe/Paris, overlap: allow-all }', '{ manual: true }']));
      await eventually(async () => (await listProjectScheduleIds(runtime.client, project)).length === 2, 15_000, 300);
      const second = await cli('sync');
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).toContain(`update         ${paris}`);
      expect(second.stdout).toContain(`delete         ${weekdays}`);
      const updated = await runtime.client.schedule.getHandle(paris).describe();
      expect(updated.policies.overlap).toBe('ALLOW_ALL');
      expect(updated.state.paused).toBe(true);
      expect(await runtime.client.schedule.getHandle(foreign).describe()).toBeTruthy();

      const list = await cli('list');
      expect(list.stdout).toContain(paris);
      expect(list.stdout).toContain('PAUSED (maintenance)');
      expect(list.stdout).toMatch(/next: \d{4}-/);
      const unpause = await cli('unpause', name);
      expect(unpause.code, unpause.stderr).toBe(0);
      expect((await runtime.client.schedule.getHandle(paris).describe()).state.paused).toBe(false);

      const missing = await cli('pause', 'no-such-workflow');
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/has no schedule in project/);
    } finally {
      for (const id of [paris, weekdays, foreign])
        await runtime.client.schedule
          .getHandle(id)
          .delete()
          .catch(() => undefined);
      await runtime.close();
    }
  });
});

describe('schedule-fired releases', () => {
  it('trigger runs a release with an audit record; a backfill of 3 past minutes runs 3 releases', async () => {
    await withWorker(async ({ runtime, dir, taskQueue }) => {
      const project = unique('proj');
      const name = unique('fired');
      const ledger = join(dir, 'ledger.txt');
      // Three minutes two days ago, at an hour far from now, so the schedule itself does not fire during the test.
      const base = new Date(Date.now() - 2 * 24 * 3600_000);
      base.setUTCHours((base.getUTCHours() + 12) % 24, 10, 0, 0);
      const hour = base.getUTCHours();
      const conf = writeConf({ 'f.yml': yaml(name, [`{ cron: "10-12 ${hour} * * *", timezone: UTC }`], `bash: echo "$TF_RUN_ID" >> "${ledger}"`) });
      const env = { TEMPORAL_ADDRESS: temporalAddress(), WORKFLOW_CORE_PROJECT: project, WORKFLOW_CORE_TASK_QUEUE: taskQueue };
      const cli = (...args: string[]) => runCli(['schedule', ...args, '--conf', conf], { cwd: conf, env });
      const id = scheduleId(project, name, `10-12 ${hour} * * *`, 'UTC');
      try {
        expect((await cli('sync')).code).toBe(0);
        const store = new FileAuditStore(join(dir, 'audits'));

        const triggered = await cli('trigger', name);
        expect(triggered.code, triggered.stderr).toBe(0);
        const fired = await eventually(() => store.list(name), 60_000, 300).then(() => eventually(() => store.list(name).length === 1 && store.list(name), 60_000, 300));
        expect(fired).toBeTruthy();
        const record = store.list(name)[0]!;
        expect(record).toMatchObject({ type: 'NORMAL', status: 'SUCCESS', project });
        expect(record.runId).toMatch(new RegExp(`^tf:${name}:\\d{12}$`));
        expect(record.releaseWorkflowId.startsWith(`tf-release:${name}`)).toBe(true);

        const from = new Date(base.getTime() - 30_000).toISOString();
        const to = new Date(base.getTime() + 2 * 60_000 + 30_000).toISOString();
        const backfill = await cli('backfill', name, '--from', from, '--to', to);
        expect(backfill.code, backfill.stderr).toBe(0);
        const stamp = (m: number) => `${base.toISOString().replace(/[-:T]/g, '').slice(0, 10)}${String(m).padStart(2, '0')}`;
        const expected = [10, 11, 12].map((m) => `tf:${name}:${stamp(m)}`);
        const done = await eventually(() => expected.every((runId) => store.findRun(runId, name)), 90_000, 500);
        expect(done).toBe(true);
        for (const runId of expected) expect(store.findRun(runId, name)).toMatchObject({ status: 'SUCCESS', type: 'NORMAL' });
        expect(store.list(name)).toHaveLength(4);
        const ledgerRuns = (await import('node:fs')).readFileSync(ledger, 'utf8').trim().split('\n');
        expect(ledgerRuns.sort()).toEqual([record.runId, ...expected].sort());
      } finally {
        await runtime.client.schedule
          .getHandle(id)
          .delete()
          .catch(() => undefined);
      }
    });
  });
});
