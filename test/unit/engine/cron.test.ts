/**
 * The cron matcher, with Temporal's semantics (all fields ANDed, DST gaps
 * skipped, repeated hours fired twice). The same cases run against a real
 * Temporal server in test/integration/schedules.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { checkCron, CronError, cronMatches, nextFireTimes, parseCron } from '../../../src/engine/cron.js';

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

  it.each<[string, string, { offset: number; length: number }]>([
    ['0 9 * *', "cron '0 9 * *': a cron expression has 5 fields (minute hour day-of-month month day-of-week), this one has 4 (e.g. '0 9 * * 1-5' is 09:00 on weekdays)", { offset: 0, length: 7 }],
    [
      '0 9 * * * *',
      "cron '0 9 * * * *': a cron expression has 5 fields (minute hour day-of-month month day-of-week), this one has 6 (seconds are not supported: remove the first field)",
      { offset: 0, length: 11 },
    ],
    ['60 * * * *', "cron '60 * * * *': '60' is not a valid minute (use a value from 0 to 59)", { offset: 0, length: 2 }],
    ['0 24 * * *', "cron '0 24 * * *': '24' is not a valid hour (use a value from 0 to 23)", { offset: 2, length: 2 }],
    ['0 0 0 * *', "cron '0 0 0 * *': '0' is not a valid day-of-month (use a value from 1 to 31)", { offset: 4, length: 1 }],
    ['0 0 * 13 *', "cron '0 0 * 13 *': '13' is not a valid month (use a value from 1 to 12, or a month name of 3 letters or more (jan, janu, january))", { offset: 6, length: 2 }],
    [
      '0 0 * * 8',
      "cron '0 0 * * 8': '8' is not a valid day-of-week (use a value from 0 to 7 (0 and 7 are Sunday), or a weekday name of 2 letters or more (mo, mon, monday))",
      { offset: 8, length: 1 },
    ],
    [
      '0 0 * * mon,xyz',
      "cron '0 0 * * mon,xyz': 'xyz' is not a valid day-of-week (use a value from 0 to 7 (0 and 7 are Sunday), or a weekday name of 2 letters or more (mo, mon, monday))",
      { offset: 12, length: 3 },
    ],
    [
      '0 0 * * tuseday',
      "cron '0 0 * * tuseday': 'tuseday' is not a valid day-of-week (use a value from 0 to 7 (0 and 7 are Sunday), or a weekday name of 2 letters or more (mo, mon, monday))",
      { offset: 8, length: 7 },
    ],
    ['0 0 * * mon-frx', "cron '0 0 * * mon-frx': 'frx' is not a valid day-of-week (did you mean 'FRI'?)", { offset: 12, length: 3 }],
    ['*/0 * * * *', "cron '*/0 * * * *': bad step '/0' in the minute field (a step is a whole number ≥ 1)", { offset: 1, length: 2 }],
    ['0 0 * * fri-mon', "cron '0 0 * * fri-mon': range 'fri-mon' runs backwards in the day-of-week field (write the smaller value first)", { offset: 8, length: 7 }],
    ['1,,2 * * * *', "cron '1,,2 * * * *': empty list item in the minute field (remove the extra comma)", { offset: 2, length: 1 }],
    [
      '  @fortnightly',
      "cron '  @fortnightly': unknown cron alias '@fortnightly' (use five fields or one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)",
      { offset: 2, length: 12 },
    ],
  ])('refuses %s, saying where', (cron, message, where) => {
    expect(() => parseCron(cron)).toThrow(CronError);
    expect(() => parseCron(cron)).toThrow(message);
    const problem = checkCron(cron);
    expect(problem).toMatchObject(where);
    try {
      parseCron(cron);
    } catch (err) {
      expect((err as CronError).problem).toEqual(problem);
    }
  });

  it('accepts what checkCron accepts, and the other way round', () => {
    for (const cron of ['0 9 * * monday', '0 0 1 janu *', '*/90 * * * *', '@DAILY', '0 0 * * sat-7']) {
      expect(checkCron(cron)).toBeUndefined();
      expect(() => parseCron(cron)).not.toThrow();
    }
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
    expect(iso(nextFireTimes('0 12 13 * 5', 'UTC', new Date('2026-11-27T00:00:00Z'), 3))).toEqual(['2027-08-13T12:00:00.000Z', '2028-10-13T12:00:00.000Z', '2029-04-13T12:00:00.000Z']);
  });

  it('is strictly after `from`', () => {
    expect(iso(nextFireTimes('*/30 * * * *', 'UTC', new Date('2026-01-01T00:30:00Z'), 2))).toEqual(['2026-01-01T01:00:00.000Z', '2026-01-01T01:30:00.000Z']);
  });

  it('skips a wall time that DST skips (spring forward in New York)', () => {
    // 2027-03-14: 02:00 EST jumps to 03:00 EDT, so 02:30 does not exist that day.
    expect(iso(nextFireTimes('30 2 * * *', 'America/New_York', new Date('2027-03-13T12:00:00Z'), 3))).toEqual(['2027-03-15T06:30:00.000Z', '2027-03-16T06:30:00.000Z', '2027-03-17T06:30:00.000Z']);
  });

  it('fires twice in an hour that DST repeats (fall back in New York)', () => {
    // 2027-11-07: 01:30 happens at 05:30Z (EDT) and again at 06:30Z (EST).
    expect(iso(nextFireTimes('30 1 * * *', 'America/New_York', new Date('2027-11-06T12:00:00Z'), 3))).toEqual(['2027-11-07T05:30:00.000Z', '2027-11-07T06:30:00.000Z', '2027-11-08T06:30:00.000Z']);
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
