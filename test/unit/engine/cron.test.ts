/**
 * The cron matcher, with Temporal's semantics (all fields ANDed, DST gaps
 * skipped, repeated hours fired twice). The same cases run against a real
 * Temporal server in test/integration/schedules.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { CronError, cronMatches, nextFireTimes, parseCron } from '../../../src/engine/cron.js';

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

describe('parseCron', () => {
  it.each([
    ['*/15 * * * *', 'minute', [0, 15, 30, 45]],
    ['5/20 * * * *', 'minute', [5, 25, 45]],
    ['0 9-17/4 * * *', 'hour', [9, 13, 17]],
    ['0 0 1,15,31 * *', 'dayOfMonth', [1, 15, 31]],
    ['0 0 * jan-mar,DEC *', 'month', [1, 2, 3, 12]],
    ['0 0 * * mon-fri', 'dayOfWeek', [1, 2, 3, 4, 5]],
    ['0 0 * * 7', 'dayOfWeek', [0]],
    ['0 0 * * sat-7', 'dayOfWeek', [0, 6]],
    ['0 0 * * Tu,thursday', 'dayOfWeek', [2, 4]],
    ['@hourly', 'minute', [0]],
  ] as const)('%s: %s', (cron, field, values) => {
    expect([...parseCron(cron)[field]].sort((a, b) => a - b)).toEqual(values);
  });

  it.each([
    ['0 9 * *', /5 fields|five/],
    ['0 9 * * * *', /has 6 field/],
    ['60 * * * *', /minute field .* 60 is outside 0-59/],
    ['0 24 * * *', /hour field/],
    ['0 0 0 * *', /day-of-month field .* 0 is outside 1-31/],
    ['0 0 * 13 *', /month field/],
    ['0 0 * * 8', /day-of-week field/],
    ['0 0 * * xyz', /not a number or a name/],
    ['*/0 * * * *', /step '0'/],
    ['0 0 * * fri-mon', /comes before the start/],
    ['@fortnightly', /unknown cron alias/],
  ])('refuses %s', (cron, message) => {
    expect(() => parseCron(cron)).toThrow(CronError);
    expect(() => parseCron(cron)).toThrow(message);
  });
});

describe('cronMatches', () => {
  it('ANDs day-of-month and day-of-week, as Temporal does (not Vixie OR)', () => {
    // 2026-11-13 is a Friday; 2026-11-20 a Friday that is not the 13th; 2026-12-13 a Sunday.
    expect(cronMatches('0 12 13 * 5', 'UTC', new Date('2026-11-13T12:00:00Z'))).toBe(true);
    expect(cronMatches('0 12 13 * 5', 'UTC', new Date('2026-11-20T12:00:00Z'))).toBe(false);
    expect(cronMatches('0 12 13 * 5', 'UTC', new Date('2026-12-13T12:00:00Z'))).toBe(false);
  });

  it('reads the time in the entry timezone', () => {
    expect(cronMatches('0 9 * * 1-5', 'Europe/Paris', new Date('2026-11-30T08:00:00Z'))).toBe(true);
    expect(cronMatches('0 9 * * 1-5', 'Europe/Paris', new Date('2026-11-30T09:00:00Z'))).toBe(false);
    expect(cronMatches('0 9 * * 1-5', 'America/New_York', new Date('2026-07-01T13:00:00Z'))).toBe(true); // EDT
    expect(cronMatches('0 9 * * 1-5', 'America/New_York', new Date('2026-12-01T14:00:00Z'))).toBe(true); // EST
  });

  it('needs whole minutes', () => {
    expect(cronMatches('* * * * *', 'UTC', new Date('2026-01-01T00:00:30Z'))).toBe(false);
  });

  it('refuses an unknown timezone with a hint', () => {
    expect(() => cronMatches('* * * * *', 'Mars/Olympus', new Date())).toThrow(/unknown timezone 'Mars\/Olympus'.*IANA/);
  });
});

describe('nextFireTimes', () => {
  it('Friday the 13th only', () => {
    expect(iso(nextFireTimes('0 12 13 * 5', 'UTC', new Date('2026-11-27T00:00:00Z'), 3))).toEqual([
      '2027-08-13T12:00:00.000Z',
      '2028-10-13T12:00:00.000Z',
      '2029-04-13T12:00:00.000Z',
    ]);
  });

  it('is strictly after `from`', () => {
    expect(iso(nextFireTimes('*/30 * * * *', 'UTC', new Date('2026-01-01T00:30:00Z'), 2))).toEqual(['2026-01-01T01:00:00.000Z', '2026-01-01T01:30:00.000Z']);
  });

  it('skips a wall time that DST skips (spring forward in New York)', () => {
    // 2027-03-14: 02:00 EST jumps to 03:00 EDT, so 02:30 does not exist that day.
    expect(iso(nextFireTimes('30 2 * * *', 'America/New_York', new Date('2027-03-13T12:00:00Z'), 3))).toEqual([
      '2027-03-15T06:30:00.000Z',
      '2027-03-16T06:30:00.000Z',
      '2027-03-17T06:30:00.000Z',
    ]);
  });

  it('fires twice in an hour that DST repeats (fall back in New York)', () => {
    // 2027-11-07: 01:30 happens at 05:30Z (EDT) and again at 06:30Z (EST).
    expect(iso(nextFireTimes('30 1 * * *', 'America/New_York', new Date('2027-11-06T12:00:00Z'), 3))).toEqual([
      '2027-11-07T05:30:00.000Z',
      '2027-11-07T06:30:00.000Z',
      '2027-11-08T06:30:00.000Z',
    ]);
  });

  it('east of UTC, a repeated wall time fires once, at the later instant (Go time.Date, as Temporal)', () => {
    // 2027-04-04 in Sydney: 03:00 AEDT falls back to 02:00 AEST; 02:30 is 15:30Z and 16:30Z.
    expect(iso(nextFireTimes('30 2 * * *', 'Australia/Sydney', new Date('2027-04-03T00:00:07Z'), 2))).toEqual(['2027-04-03T16:30:00.000Z', '2027-04-04T16:30:00.000Z']);
    expect(cronMatches('30 2 * * *', 'Australia/Sydney', new Date('2027-04-03T15:30:00Z'))).toBe(false);
    expect(cronMatches('30 2 * * *', 'Australia/Sydney', new Date('2027-04-03T16:30:00Z'))).toBe(true);
    expect(cronMatches('30 1 * * *', 'America/New_York', new Date('2027-11-07T05:30:00Z'))).toBe(true);
    expect(cronMatches('30 1 * * *', 'America/New_York', new Date('2027-11-07T06:30:00Z'))).toBe(true);
  });

  it('months with fewer days and leap years', () => {
    expect(iso(nextFireTimes('0 0 31 * *', 'UTC', new Date('2027-01-31T00:00:00Z'), 2))).toEqual(['2027-03-31T00:00:00.000Z', '2027-05-31T00:00:00.000Z']);
    expect(iso(nextFireTimes('0 0 29 2 *', 'UTC', new Date('2026-01-01T00:00:00Z'), 1))).toEqual(['2028-02-29T00:00:00.000Z']);
  });
});
