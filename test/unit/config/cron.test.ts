/** Cron expressions and timezones of `on:` entries. */
import { describe, expect, it } from 'vitest';
import { checkCron, checkTimezone } from '../../../src/config/cron.js';
import { CRON_ALIASES } from '../../../src/engine/cron.js';

describe('checkCron', () => {
  const valid = ['* * * * *', '0 9 * * 1-5', '*/15 9-17 * * MON-FRI', '0 0 1 JAN,jul *', '5,35 */2 1-15 * 0,6', '0 0 * * 7', '0-59/5 0 31 12 SUN', ' 0 9 * * * ', ...Object.keys(CRON_ALIASES), '@DAILY'];
  for (const c of valid) it(`accepts '${c}'`, () => expect(checkCron(c)).toBeUndefined());

  const invalid: [string, RegExp, number][] = [
    ['0 9 * *', /has 5 fields.*has 4/, 0],
    ['0 0 9 * * 1-5', /has 6/, 0],
    ['60 9 * * *', /'60' is not a valid minute/, 0],
    ['0 24 * * *', /'24' is not a valid hour/, 2],
    ['0 0 0 * *', /'0' is not a valid day-of-month/, 4],
    ['0 0 1 13 *', /'13' is not a valid month/, 6],
    ['0 0 * * 8', /'8' is not a valid day-of-week/, 8],
    ['0 9 * * MON-FRX', /'FRX' is not a valid day-of-week/, 12],
    ['0 18-9 * * *', /runs backwards/, 2],
    ['*/0 * * * *', /bad step '\/0'/, 1],
    ['1,,2 * * * *', /empty list item/, 2],
    ['@dayly', /unknown cron alias/, 0],
    ['', /empty cron/, 0],
  ];
  for (const [c, message, offset] of invalid) {
    it(`rejects '${c}'`, () => {
      const p = checkCron(c);
      expect(p?.message).toMatch(message);
      expect(p?.offset).toBe(offset);
    });
  }
  it('suggests the closest alias and weekday', () => {
    expect(checkCron('@dayly')?.hint).toBe("did you mean '@daily'?");
    expect(checkCron('0 9 * * MON-FRX')?.hint).toBe("did you mean 'FRI'?");
    expect(checkCron('0 0 9 * * *')?.hint).toMatch(/seconds are not supported/);
  });
});

describe('checkTimezone', () => {
  for (const tz of ['UTC', 'America/New_York', 'Europe/Paris', 'Asia/Tokyo', 'Etc/UTC', 'America/Argentina/Buenos_Aires']) {
    it(`accepts ${tz}`, () => expect(checkTimezone(tz)).toBeUndefined());
  }
  it('rejects unknown zones with a suggestion', () => {
    expect(checkTimezone('America/New_Yrok')).toEqual({ message: "unknown timezone 'America/New_Yrok'", hint: "did you mean 'America/New_York'?" });
    expect(checkTimezone('Mars/Olympus')?.message).toBe("unknown timezone 'Mars/Olympus'");
    expect(checkTimezone('')?.message).toMatch(/unknown timezone/);
  });
  it('is case-sensitive, as Temporal is', () => {
    expect(checkTimezone('europe/paris')).toEqual({ message: "timezone 'europe/paris' is spelled with the wrong case", hint: "did you mean 'Europe/Paris'?" });
  });
});
