/** Cron expressions and timezones of `on:` entries. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkTimezone } from '../../../src/config/cron.js';
import type { ConfigIssue } from '../../../src/config/errors.js';
import { confTreeFromTexts, validateWorkflow } from '../../../src/config/loader.js';
import { checkCron, CRON_ALIASES, CronError, parseCron } from '../../../src/engine/cron.js';

describe('checkCron', () => {
  const valid = [
    '* * * * *',
    '0 9 * * 1-5',
    '*/15 9-17 * * MON-FRI',
    '0 0 1 JAN,jul *',
    '5,35 */2 1-15 * 0,6',
    '0 0 * * 7',
    '0-59/5 0 31 12 SUN',
    ' 0 9 * * * ',
    ...Object.keys(CRON_ALIASES),
    '@DAILY',
  ];
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

/** The `bad-cron` issues `tempoflow validate` reports for a workflow with this one cron entry. */
function validateCron(cron: string): ConfigIssue[] {
  const text = `wf:\n  type: Workflow\n  on:\n    - cron: ${JSON.stringify(cron)}\n  jobs:\n    a:\n      stages:\n        - echo: a\n`;
  return validateWorkflow(confTreeFromTexts('/conf', [{ file: 'wf.yml', text }]), 'wf').issues.filter((i) => i.code === 'bad-cron');
}

/** Whether the runtime matcher (schedules, validateRelease) accepts the cron. */
function runtimeAccepts(cron: string): boolean {
  try {
    parseCron(cron);
    return true;
  } catch (err) {
    expect(err).toBeInstanceOf(CronError);
    return false;
  }
}

describe('validate accepts exactly the crons the runtime matcher accepts', () => {
  it.each<[cron: string, accepted: boolean]>([
    ['* * * * *', true],
    ['0 9 * * 1-5', true],
    ['0 9 * * MON-FRI', true],
    ['0 9 * * mon-fri', true],
    ['0 9 * * monday', true], // weekday names: any prefix of 2 letters or more
    ['0 9 * * Tu,thursday', true],
    ['0 9 * * mo-fr', true],
    ['0 0 1 JAN *', true],
    ['0 0 1 janu,JULY *', true], // month names: any prefix of 3 letters or more
    ['0 0 1 ja *', false],
    ['0 0 * * m', false],
    ['0 0 * * mondays', false],
    ['0 0 * * sat-7', true], // 7 is Sunday too
    ['0 0 * * 7', true],
    ['0 0 * * 8', false],
    ['*/15 * * * *', true],
    ['*/90 * * * *', true], // a step larger than the field: only the first value
    ['5/20 * * * *', true],
    ['mon/2 * * * *', false],
    ['0 0 * * mon/2', true],
    ['0 9-17/4 * * *', true],
    ['*/0 * * * *', false],
    ['*/x * * * *', false],
    ['0 18-9 * * *', false],
    ['0 0 * * fri-mon', false],
    ['1,,2 * * * *', false],
    ['1, * * * *', false],
    ['-5 * * * *', false],
    ['1-2-3 * * * *', false],
    ['60 * * * *', false],
    ['0 0 0 * *', false],
    ['0 0 31 12 *', true],
    ['0 0 1 13 *', false],
    ['007 * * * *', true],
    ['@daily', true],
    ['@DAILY', true],
    ['  @hourly  ', true],
    ['@every 5m', false],
    ['@dayly', false],
    ['0 9 * *', false],
    ['0 0 9 * * 1-5', false],
    ['', false],
    ['   ', false],
    ['0\t9 *  *\t1-5', true], // tabs and runs of spaces separate fields
    ['L * * * *', false],
    ['0 0 ? * *', false],
  ])('%j: %s', (cron, accepted) => {
    expect(runtimeAccepts(cron), 'runtime').toBe(accepted);
    expect(validateCron(cron).length === 0, 'validate').toBe(accepted);
  });

  it('on generated strings too (property)', { timeout: 60_000 }, () => {
    const token = fc.oneof(
      fc.constantFrom('*', '0', '1', '5', '7', '9', '12', '13', '23', '24', '31', '59', '60', '99', '007'),
      fc.constantFrom('mon', 'MON', 'mo', 'm', 'monday', 'mondays', 'tu', 'thu', 'sun', 'sa', 'fri', 'jan', 'janu', 'JULY', 'ja', 'dec', 'x', 'L', '?', '#'),
    );
    const item = fc
      .tuple(token, fc.option(token, { nil: undefined }), fc.option(fc.constantFrom('0', '1', '2', '15', '90', 'x', ''), { nil: undefined }))
      .map(([a, b, step]) => `${a}${b === undefined ? '' : `-${b}`}${step === undefined ? '' : `/${step}`}`);
    const field = fc.array(item, { minLength: 1, maxLength: 3 }).map((items) => items.join(','));
    const cron = fc.oneof(
      { weight: 6, arbitrary: fc.array(field, { minLength: 4, maxLength: 6 }).map((fields) => fields.join(' ')) },
      { weight: 1, arbitrary: fc.constantFrom('@daily', '@Weekly', '@midnight', '@dayly', '@', '@every 1h') },
      { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
    );
    fc.assert(
      fc.property(cron, (c) => {
        const issues = validateCron(c);
        expect(issues.length === 0).toBe(runtimeAccepts(c));
        expect(issues.length).toBeLessThanOrEqual(1);
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
