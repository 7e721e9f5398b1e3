/** Pure client-side pieces of releases: schedule ids and options, validateRelease, the project name. */
import { describe, expect, it } from 'vitest';
import { projectName, validateReleaseTime } from '../../../src/client/release.js';
import { desiredSchedules, scheduleId } from '../../../src/client/schedules.js';
import type { CronTriggerSpec, WorkflowSpec } from '../../../src/engine/spec.js';
import { WorkflowError } from '../../../src/errors.js';

const entry = (cron: string, timezone = 'UTC', over: Partial<CronTriggerSpec> = {}): CronTriggerSpec => ({ cron, timezone, params: {}, overlap: 'skip', loc: 'conf/w.yml:3:5', ...over });
const wf = (schedules: CronTriggerSpec[], manual = false, name = 'etl'): WorkflowSpec => ({
  name,
  file: 'conf/w.yml',
  tags: [],
  params: [],
  allowUndeclaredParams: false,
  schedules,
  manual,
  env: {},
  jobs: [],
  loc: 'conf/w.yml:1:1',
});

describe('schedule ids', () => {
  it('are stable per (project, workflow, cron, timezone), whitespace aside', () => {
    const id = scheduleId('default', 'etl', '0 9 * * 1-5', 'Europe/Paris');
    expect(id).toMatch(/^tf:default:etl:[0-9a-f]{12}$/);
    expect(scheduleId('default', 'etl', ' 0  9 * * 1-5 ', 'Europe/Paris')).toBe(id);
    expect(scheduleId('default', 'etl', '0 9 * * 1-5', 'UTC')).not.toBe(id);
    expect(scheduleId('other', 'etl', '0 9 * * 1-5', 'Europe/Paris')).toMatch(/^tf:other:etl:/);
  });

  it('do not depend on the order of entries', () => {
    const a = entry('0 9 * * *');
    const b = entry('30 18 * * *', 'Asia/Tokyo');
    const opts = { project: 'p', taskQueue: 'q' };
    expect(desiredSchedules([wf([a, b])], opts).map((d) => [d.id, d.fingerprint])).toEqual(desiredSchedules([wf([b, a])], opts).map((d) => [d.id, d.fingerprint]));
  });

  it('carry timezone, overlap, catch-up window and a release action; a change changes the fingerprint', () => {
    const [d] = desiredSchedules([wf([entry('0 9 * * *', 'America/New_York', { overlap: 'buffer-all', catchupWindowSeconds: 3600 })])], { project: 'p', taskQueue: 'q', confPath: '/conf' });
    expect(d!.options.spec).toEqual({ cronExpressions: ['0 9 * * *'], timezone: 'America/New_York' });
    expect(d!.options.policies).toEqual({ overlap: 'BUFFER_ALL', catchupWindow: 3_600_000 });
    expect(d!.options.action).toMatchObject({ type: 'startWorkflow', workflowType: 'tempoflowRelease', taskQueue: 'q' });
    expect(d!.options.action.args).toEqual([{ workflow: 'etl', schedule: { id: d!.id, cron: '0 9 * * *', timezone: 'America/New_York' }, project: 'p', confPath: '/conf' }]);
    const [other] = desiredSchedules([wf([entry('0 9 * * *', 'America/New_York', { overlap: 'skip', catchupWindowSeconds: 3600 })])], { project: 'p', taskQueue: 'q', confPath: '/conf' });
    expect(other!.id).toBe(d!.id);
    expect(other!.fingerprint).not.toBe(d!.fingerprint);
  });

  it('no schedule for a workflow without cron entries', () => {
    expect(desiredSchedules([wf([], true)], { project: 'p', taskQueue: 'q' })).toEqual([]);
  });
});

describe('validateReleaseTime', () => {
  const w = wf([entry('0 9 * * 1-5', 'America/New_York'), entry('30 18 13 * 5')]);

  it('accepts a fire time of any entry, in its timezone', () => {
    expect(validateReleaseTime(w, '2026-12-01T14:00:00Z').toISOString()).toBe('2026-12-01T14:00:00.000Z'); // Tue 09:00 EST
    expect(validateReleaseTime(w, new Date('2026-07-01T13:00:00Z')).toISOString()).toBe('2026-07-01T13:00:00.000Z'); // Wed 09:00 EDT
    expect(validateReleaseTime(w, '2026-11-13T18:30:00Z').toISOString()).toBe('2026-11-13T18:30:00.000Z'); // Friday the 13th
  });

  it('refuses other times, naming the entries and their next fire times', () => {
    expect(() => validateReleaseTime(w, '2026-12-01T09:00:00Z')).toThrow(WorkflowError);
    expect(() => validateReleaseTime(w, '2026-12-01T09:00:00Z')).toThrow(/matches no cron entry.*'0 9 \* \* 1-5' in America\/New_York \(conf\/w.yml:3:5\), next at 2026-12-01T14:00:00.000Z/);
    // The 13th that is not a Friday: Temporal ANDs day-of-month and day-of-week.
    expect(() => validateReleaseTime(w, '2026-12-13T18:30:00Z')).toThrow(/matches no cron entry/);
    expect(() => validateReleaseTime(w, '2026-12-01T14:00:30Z')).toThrow(/whole minutes/);
    expect(() => validateReleaseTime(w, 'not a date')).toThrow(/is not a date/);
  });

  it('accepts any time without cron entries or with manual: true', () => {
    expect(validateReleaseTime(wf([]), '2026-12-01T09:17:00Z').toISOString()).toBe('2026-12-01T09:17:00.000Z');
    expect(validateReleaseTime(wf([entry('0 9 * * *')], true), '2026-12-01T09:17:00Z').toISOString()).toBe('2026-12-01T09:17:00.000Z');
  });
});

describe('projectName', () => {
  it('defaults to default and refuses characters that do not belong in ids', () => {
    expect(projectName({})).toBe('default');
    expect(projectName({ WORKFLOW_CORE_PROJECT: 'team-a' })).toBe('team-a');
    expect(() => projectName({ WORKFLOW_CORE_PROJECT: 'a:b' })).toThrow(/WORKFLOW_CORE_PROJECT/);
  });
});
