/**
 * Static checks of the scalar formats of `on:` entries: 5-field cron
 * expressions (with `@daily`-style aliases) and IANA timezones.
 *
 * Pure module: no I/O.
 */
import { CRON_ALIASES, parseCron } from '../engine/cron.js';
import { didYouMean } from '../expressions/suggest.js';


interface FieldRule {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Value of the first name (JAN = 1, SUN = 0). */
  readonly namesFrom?: number;
}

const FIELDS: readonly FieldRule[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'], namesFrom: 1 },
  // 7 is Sunday too, as in most crons (and Temporal's).
  { name: 'day-of-week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'], namesFrom: 0 },
];

/** A problem in a cron expression: what is wrong and the 0-based offset of the bad part. */
export interface CronProblem {
  readonly message: string;
  readonly offset: number;
  readonly hint?: string;
}

/**
 * Checks a cron expression: five space-separated fields (minute hour
 * day-of-month month day-of-week), each a list of `*`, values, ranges `a-b`
 * and steps `/n`, with month and weekday names (`JAN`, `MON-FRI`); or one of
 * {@link CRON_ALIASES}. Returns `undefined` when it is valid.
 */
export function checkCron(expr: string): CronProblem | undefined {
  const trimmed = expr.trim();
  const lead = expr.length - expr.trimStart().length;
  if (trimmed.startsWith('@')) {
    if (Object.prototype.hasOwnProperty.call(CRON_ALIASES, trimmed.toLowerCase())) return undefined;
    const best = didYouMean(trimmed, Object.keys(CRON_ALIASES));
    return {
      message: `unknown cron alias '${trimmed}'`,
      offset: lead,
      hint: best ? `did you mean '${best}'?` : `use five fields or one of ${Object.keys(CRON_ALIASES).join(', ')}`,
    };
  }
  if (trimmed === '') return { message: 'empty cron expression', offset: 0, hint: "write five fields, e.g. '0 9 * * 1-5'" };
  const fields: { text: string; offset: number }[] = [];
  for (const m of expr.matchAll(/\S+/g)) fields.push({ text: m[0], offset: m.index });
  if (fields.length !== 5) {
    return {
      message: `a cron expression has 5 fields (minute hour day-of-month month day-of-week), this one has ${fields.length}`,
      offset: lead,
      hint: fields.length === 6 ? 'seconds are not supported: remove the first field' : "e.g. '0 9 * * 1-5' is 09:00 on weekdays",
    };
  }
  for (let i = 0; i < 5; i++) {
    const problem = checkField(fields[i]!.text, FIELDS[i]!);
    if (problem) return { ...problem, offset: fields[i]!.offset + problem.offset };
  }
  // The matcher that schedules and validateRelease use must accept it too.
  try {
    parseCron(expr);
  } catch (err) {
    return { message: (err as Error).message, offset: lead };
  }
  return undefined;
}

function checkField(text: string, rule: FieldRule): CronProblem | undefined {
  let offset = 0;
  for (const item of text.split(',')) {
    const problem = checkItem(item, rule);
    if (problem) return { ...problem, offset: offset + problem.offset };
    offset += item.length + 1;
  }
  return undefined;
}

function checkItem(item: string, rule: FieldRule): CronProblem | undefined {
  const where = `in the ${rule.name} field`;
  if (item === '') return { message: `empty list item ${where}`, offset: 0, hint: 'remove the extra comma' };
  const slash = item.indexOf('/');
  const base = slash < 0 ? item : item.slice(0, slash);
  if (slash >= 0) {
    const step = item.slice(slash + 1);
    if (!/^\d+$/.test(step) || Number(step) < 1 || Number(step) > rule.max) {
      return { message: `bad step '/${step}' ${where}`, offset: slash, hint: `a step is a whole number from 1 to ${rule.max}` };
    }
  }
  if (base === '*') return undefined;
  const dash = base.indexOf('-', 1);
  const parts = dash < 0 ? [base] : [base.slice(0, dash), base.slice(dash + 1)];
  const values: number[] = [];
  let offset = 0;
  for (const part of parts) {
    const value = fieldValue(part, rule);
    if (value === undefined) {
      const names = rule.names ? `, or a name such as ${rule.names[1]}` : '';
      const best = rule.names ? didYouMean(part.toUpperCase(), rule.names) : undefined;
      return {
        message: `'${part}' is not a valid ${rule.name}`,
        offset,
        hint: best ? `did you mean '${best}'?` : `use a value from ${rule.min} to ${rule.max}${names}`,
      };
    }
    values.push(value);
    offset += part.length + 1;
  }
  if (values.length === 2 && values[0]! > values[1]!) {
    return { message: `range '${base}' runs backwards in the ${rule.name} field`, offset: 0, hint: 'write the smaller value first' };
  }
  return undefined;
}

function fieldValue(text: string, rule: FieldRule): number | undefined {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n >= rule.min && n <= rule.max ? n : undefined;
  }
  if (rule.names) {
    const index = rule.names.indexOf(text.toUpperCase());
    if (index >= 0) return index + (rule.namesFrom ?? 0);
  }
  return undefined;
}

let zoneCache: { exact: Set<string>; lower: Map<string, string>; list: string[] } | undefined;

function zones(): { exact: Set<string>; lower: Map<string, string>; list: string[] } {
  if (!zoneCache) {
    const list = [...Intl.supportedValuesOf('timeZone'), 'UTC'];
    zoneCache = { exact: new Set(list), lower: new Map(list.map((z) => [z.toLowerCase(), z])), list };
  }
  return zoneCache;
}

/**
 * Checks an IANA timezone name (`America/New_York`, `UTC`, aliases such as
 * `Etc/UTC`). Names are case-sensitive, as in Temporal's tz database.
 * Returns `undefined` when valid, else a problem with a suggestion.
 */
export function checkTimezone(tz: string): { message: string; hint?: string } | undefined {
  const z = zones();
  if (z.exact.has(tz)) return undefined;
  const sameButCase = z.lower.get(tz.toLowerCase());
  if (sameButCase) return { message: `timezone '${tz}' is spelled with the wrong case`, hint: `did you mean '${sameButCase}'?` };
  try {
    // Accepts the aliases of the tz database (Etc/UTC, US/Eastern) that
    // `supportedValuesOf` leaves out.
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    if (/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(tz)) return undefined;
  } catch {
    // fall through
  }
  const best = tz.length <= 64 ? didYouMean(tz, z.list) : undefined;
  return { message: `unknown timezone '${tz}'`, hint: best ? `did you mean '${best}'?` : "use an IANA name such as 'UTC' or 'Europe/Paris'" };
}
