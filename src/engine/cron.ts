/**
 * Cron matching with Temporal's own semantics, for `validateRelease()` and
 * for showing fire times without a server.
 *
 * Temporal turns a cron string into a structured calendar
 * (`service/worker/scheduler/calendar.go`) and a time matches when EVERY
 * field matches. Unlike Vixie cron, a restricted day-of-month and a
 * restricted day-of-week are ANDed: `0 12 13 * 5` is noon on Friday the
 * 13th only. In a timezone with daylight saving time, a wall time that does
 * not exist (the skipped hour in spring) never fires; a wall time that
 * happens twice (the repeated hour in autumn) fires twice west of UTC
 * (New York) but once, at the later instant, east of it (Sydney) — a
 * consequence of Go's `time.Date`, which `nextFireTimes` ports with
 * Temporal's calendar walk. These rules are checked against a real Temporal
 * server in `test/integration/schedules.test.ts`.
 *
 * Fields: minute hour day-of-month month day-of-week; each a comma list of
 * `*`, `x`, `x-y`, with an optional `/step` (`x/step` runs from x to the
 * field's maximum); month names (3+ letter prefixes, `jan`, `janu`) and
 * weekday names (2+ letter prefixes, `mo`, `mon`, `monday`); 0 and 7 are
 * Sunday; `@yearly @annually @monthly @weekly @daily @midnight @hourly`.
 * This module owns that grammar: `checkCron` returns a positioned problem,
 * which validation reports at its `file:line:col` (docs/operations.md
 * "Cron semantics").
 *
 * Pure module: no I/O (timezone rules come from `Intl`).
 */
import { didYouMean } from '../expressions/suggest.js';

/**
 * A problem in a cron expression, positioned inside it so that validation
 * can point at the bad part (`file:line:col`).
 */
export interface CronProblem {
  /** 0-based offset of the bad part in the expression as written (leading spaces included). */
  readonly offset: number;
  /** Length of the bad part (0 for an empty expression or a trailing comma). */
  readonly length: number;
  /** What is wrong, e.g. `'60' is not a valid minute`. */
  readonly message: string;
  /** How to fix it, e.g. `use a value from 0 to 59`. */
  readonly hint?: string;
}

/** A cron expression or timezone that cannot be used, with what is wrong. */
export class CronError extends Error {
  override readonly name: string = 'CronError';
  /** Where the expression is wrong, when the expression is the problem (not the timezone). */
  readonly problem?: CronProblem;

  constructor(message: string, options: { problem?: CronProblem } = {}) {
    super(message);
    if (options.problem) this.problem = options.problem;
  }
}

/** A parsed 5-field cron expression: the allowed values of each field. */
export interface CronSchedule {
  readonly source: string;
  readonly minute: ReadonlySet<number>;
  readonly hour: ReadonlySet<number>;
  readonly dayOfMonth: ReadonlySet<number>;
  readonly month: ReadonlySet<number>;
  /** 0 = Sunday … 6 = Saturday (7 is folded into 0). */
  readonly dayOfWeek: ReadonlySet<number>;
}

/** `@`-aliases accepted instead of five fields, with their meaning. */
export const CRON_ALIASES: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

interface FieldRule {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Shortest accepted name prefix. */
  readonly minPrefix?: number;
  /** Value of the first name. */
  readonly namesFrom?: number;
  /** How a hint describes the accepted values. */
  readonly accepts: string;
}

const RULES: readonly FieldRule[] = [
  { name: 'minute', min: 0, max: 59, accepts: 'a value from 0 to 59' },
  { name: 'hour', min: 0, max: 23, accepts: 'a value from 0 to 23' },
  { name: 'day-of-month', min: 1, max: 31, accepts: 'a value from 1 to 31' },
  { name: 'month', min: 1, max: 12, names: MONTHS, minPrefix: 3, namesFrom: 1, accepts: 'a value from 1 to 12, or a month name of 3 letters or more (jan, janu, january)' },
  // 7 is Sunday too, as in most crons (and Temporal's).
  {
    name: 'day-of-week',
    min: 0,
    max: 7,
    names: WEEKDAYS,
    minPrefix: 2,
    namesFrom: 0,
    accepts: 'a value from 0 to 7 (0 and 7 are Sunday), or a weekday name of 2 letters or more (mo, mon, monday)',
  },
];

/**
 * Checks a cron expression against the grammar of {@link parseCron}: the
 * first problem, positioned inside `expr`, or `undefined` when the runtime
 * matcher accepts it. Validation (`config/cron.ts`) reports this problem at
 * its `file:line:col`, so it accepts exactly what schedules run.
 */
export function checkCron(expr: string): CronProblem | undefined {
  const compiled = compileCron(expr);
  return 'problem' in compiled ? compiled.problem : undefined;
}

/**
 * Parses a cron expression (five fields or an `@` alias). Throws `CronError`
 * naming the field and the part that is wrong (its `problem` says where).
 */
export function parseCron(expr: string): CronSchedule {
  const compiled = compileCron(expr);
  if ('problem' in compiled) {
    const { message, hint } = compiled.problem;
    throw new CronError(`cron '${expr}': ${message}${hint ? ` (${hint})` : ''}`, { problem: compiled.problem });
  }
  return compiled.schedule;
}

/** The one cron grammar: a schedule, or the first problem. */
function compileCron(expr: string): { schedule: CronSchedule } | { problem: CronProblem } {
  const trimmed = expr.trim();
  const lead = expr.length - expr.trimStart().length;
  if (trimmed === '') return { problem: { offset: 0, length: expr.length, message: 'empty cron expression', hint: "write five fields, e.g. '0 9 * * 1-5'" } };
  if (trimmed.startsWith('@')) {
    const alias = trimmed.toLowerCase();
    if (Object.hasOwn(CRON_ALIASES, alias)) {
      const compiled = compileCron(CRON_ALIASES[alias]!);
      return 'schedule' in compiled ? { schedule: { ...compiled.schedule, source: expr } } : compiled;
    }
    const best = didYouMean(trimmed, Object.keys(CRON_ALIASES));
    return {
      problem: {
        offset: lead,
        length: trimmed.length,
        message: `unknown cron alias '${trimmed}'`,
        hint: best ? `did you mean '${best}'?` : `use five fields or one of ${Object.keys(CRON_ALIASES).join(', ')}`,
      },
    };
  }
  const fields = [...expr.matchAll(/\S+/g)].map((m) => ({ text: m[0], offset: m.index }));
  if (fields.length !== 5) {
    return {
      problem: {
        offset: lead,
        length: trimmed.length,
        message: `a cron expression has 5 fields (minute hour day-of-month month day-of-week), this one has ${fields.length}`,
        hint: fields.length === 6 ? 'seconds are not supported: remove the first field' : "e.g. '0 9 * * 1-5' is 09:00 on weekdays",
      },
    };
  }
  const sets: Set<number>[] = [];
  for (const [i, field] of fields.entries()) {
    const parsed = parseField(field.text, RULES[i]!);
    if ('problem' in parsed) return { problem: { ...parsed.problem, offset: field.offset + parsed.problem.offset } };
    sets.push(parsed.values);
  }
  const dow = new Set([...sets[4]!].map((d) => (d === 7 ? 0 : d)));
  return { schedule: { source: expr, minute: sets[0]!, hour: sets[1]!, dayOfMonth: sets[2]!, month: sets[3]!, dayOfWeek: dow } };
}

/**
 * One field: a comma list of `*`, `x`, `x-y`, each with an optional `/step`
 * (`*` and `x-y` step through their range, `x/step` runs from x to the
 * field's maximum). Offsets in a problem are inside `text`.
 */
function parseField(text: string, rule: FieldRule): { values: Set<number> } | { problem: CronProblem } {
  const values = new Set<number>();
  const where = `in the ${rule.name} field`;
  let at = 0;
  for (const item of text.split(',')) {
    const problem = (offset: number, length: number, message: string, hint?: string) => ({
      problem: { offset: at + offset, length, message, ...(hint ? { hint } : {}) },
    });
    if (item === '') return problem(0, text[at] === ',' ? 1 : 0, `empty list item ${where}`, 'remove the extra comma');
    const slash = item.indexOf('/');
    const body = slash < 0 ? item : item.slice(0, slash);
    let step = 1;
    if (slash >= 0) {
      const stepText = item.slice(slash + 1);
      step = /^\d+$/.test(stepText) ? Number(stepText) : NaN;
      if (!(step >= 1)) return problem(slash, item.length - slash, `bad step '/${stepText}' ${where}`, 'a step is a whole number ≥ 1');
    }
    let start = rule.min;
    let end = rule.max;
    if (body !== '*') {
      const dash = body.indexOf('-');
      const parts = dash < 0 ? [body] : [body.slice(0, dash), body.slice(dash + 1)];
      const found: number[] = [];
      let offset = 0;
      for (const part of parts) {
        const value = fieldValue(part, rule);
        if (value === undefined) return problem(offset, part.length, `'${part}' is not a valid ${rule.name}`, valueHint(part, rule));
        found.push(value);
        offset += part.length + 1;
      }
      start = found[0]!;
      end = found.length === 2 ? found[1]! : slash >= 0 ? rule.max : start;
      if (end < start) return problem(0, body.length, `range '${body}' runs backwards ${where}`, 'write the smaller value first');
    }
    for (let v = start; v <= end; v += step) values.add(v);
    at += item.length + 1;
  }
  return { values };
}

/** A number in the field's range, or a name (a long enough prefix of a month or weekday name). */
function fieldValue(text: string, rule: FieldRule): number | undefined {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    return value >= rule.min && value <= rule.max ? value : undefined;
  }
  if (rule.names && text.length >= (rule.minPrefix ?? 3)) {
    const lower = text.toLowerCase();
    const i = rule.names.findIndex((n) => n.startsWith(lower));
    if (i >= 0) return i + (rule.namesFrom ?? 0);
  }
  return undefined;
}

function valueHint(text: string, rule: FieldRule): string {
  const best = rule.names
    ? didYouMean(
        text.toUpperCase(),
        rule.names.map((n) => n.slice(0, 3).toUpperCase()),
      )
    : undefined;
  return best ? `did you mean '${best}'?` : `use ${rule.accepts}`;
}

/** Wall-clock fields of an instant in a timezone. */
interface WallTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** 0 = Sunday. */
  readonly weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: timezone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        weekday: 'short',
      });
    } catch {
      throw new CronError(`unknown timezone '${timezone}'; use an IANA name such as 'UTC', 'Europe/Paris' or 'America/New_York'`);
    }
    formatters.set(timezone, f);
  }
  return f;
}

const WEEKDAY_INDEX: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** The wall-clock time of `epochMs` in `timezone`. Throws `CronError` for an unknown timezone. */
export function wallTime(epochMs: number, timezone: string): WallTime {
  const parts: Record<string, string> = {};
  for (const p of formatter(timezone).formatToParts(new Date(epochMs))) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: WEEKDAY_INDEX[parts.weekday ?? ''] ?? 0,
  };
}

/** Offset of `timezone` from UTC at `epochMs`, in ms (east positive). */
function offsetAt(epochMs: number, timezone: string): number {
  const w = wallTime(epochMs, timezone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - (epochMs - (((epochMs % 1000) + 1000) % 1000));
}

function toSchedule(cron: string | CronSchedule): CronSchedule {
  return typeof cron === 'string' ? parseCron(cron) : cron;
}

function dayMatches(s: CronSchedule, month: number, day: number, weekday: number): boolean {
  return s.month.has(month) && s.dayOfMonth.has(day) && s.dayOfWeek.has(weekday);
}

/**
 * True when a schedule with this cron in this timezone fires at `date`
 * (a whole minute: seconds and milliseconds are zero).
 */
export function cronMatches(cron: string | CronSchedule, timezone: string, date: Date): boolean {
  const s = toSchedule(cron);
  formatter(timezone); // an unknown timezone is an error, whatever the date
  const ms = date.getTime();
  if (!Number.isFinite(ms) || ms % 60_000 !== 0) return false;
  const w = wallTime(ms, timezone);
  if (!(s.minute.has(w.minute) && s.hour.has(w.hour) && dayMatches(s, w.month, w.day, w.weekday))) return false;
  // The fields match; Temporal must also fire then (it skips one copy of some
  // repeated DST hours). Walk its fire times from a few hours before, as a
  // running schedule would reach this time.
  let t: number | undefined = ms - 3 * HOUR_MS;
  while (t !== undefined && t < ms) t = nextAfter(s, timezone, t);
  return t === ms;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The last year searched, as in Temporal's calendar (`maxCalendarYear`). */
const MAX_YEAR = 2100;

const HOUR_MS = 3600_000;

/**
 * Go's `time.Date(y, mo, d, h, m, s, 0, tz)`, which Temporal's calendar
 * uses: fields overflow into the next unit, and a wall time in a DST gap or
 * overlap resolves with the offset in effect at the wall time read as UTC
 * (so an ambiguous time is the earlier instant west of UTC, the later one
 * east of it).
 */
function goDate(year: number, month: number, day: number, hour: number, minute: number, second: number, timezone: string): number {
  const unix = Date.UTC(year, month - 1, day, hour, minute, second);
  let offset = offsetAt(unix, timezone);
  const utc = unix - offset;
  const there = offsetAt(utc, timezone);
  if (there !== offset) offset = there;
  return unix - offset;
}

/**
 * Temporal's `compiledCalendar.next`: the first fire time after `afterMs`
 * (second resolution), or undefined after 2100. A port, DST quirks
 * included: the second copy of a repeated hour is tried again, and a wall
 * time that resolves to another hour (a gap) is skipped.
 */
function nextAfter(s: CronSchedule, timezone: string, afterMs: number): number | undefined {
  const w = wallTime(afterMs, timezone);
  let { year: y, month: mo, day: d, hour: h, minute: m, second: sec } = w;
  let dstOffset = wallTime(afterMs - HOUR_MS, timezone).hour === h ? HOUR_MS : 0;
  sec++;
  outer: for (;;) {
    if (sec >= 60) {
      m++;
      sec = 0;
    }
    if (m >= 60) {
      const prev = goDate(y, mo, d, h, 0, 0, timezone);
      h++;
      m = 0;
      const next = goDate(y, mo, d, h, 0, 0, timezone);
      if (dstOffset === 0 && next - prev > HOUR_MS) {
        h--;
        dstOffset = HOUR_MS;
      } else dstOffset = 0;
    }
    if (h >= 24) {
      d++;
      h = 0;
    }
    if (d > daysInMonth(y, mo)) {
      mo++;
      d = 1;
    }
    if (mo > 12) {
      y++;
      mo = 1;
    }
    if (y > MAX_YEAR) return undefined;
    while (!s.month.has(mo)) {
      mo++;
      d = 1;
      h = m = sec = 0;
      dstOffset = 0;
      if (mo > 12) continue outer;
    }
    while (!s.dayOfMonth.has(d) || !s.dayOfWeek.has(wallTime(goDate(y, mo, d, h, m, sec, timezone), timezone).weekday)) {
      d++;
      h = m = sec = 0;
      dstOffset = 0;
      if (d > daysInMonth(y, mo)) continue outer;
    }
    while (!s.hour.has(h)) {
      h++;
      m = sec = 0;
      dstOffset = 0;
      if (h >= 24) continue outer;
    }
    while (!s.minute.has(m)) {
      m++;
      sec = 0;
      if (m >= 60) continue outer;
    }
    while (sec !== 0) {
      sec++;
      if (sec >= 60) continue outer;
    }
    const t = goDate(y, mo, d, h, m, sec, timezone);
    if (wallTime(t, timezone).hour !== h) {
      // A wall time a DST gap skips: Go moved it to another hour.
      h++;
      m = sec = 0;
      continue outer;
    }
    return t + dstOffset;
  }
}

/**
 * The next `n` fire times strictly after `from`, as Temporal computes them
 * (`describe().info.nextActionTimes` of a schedule with this cron and
 * timezone). Fewer than `n` when the cron stops matching before 2100.
 */
export function nextFireTimes(cron: string | CronSchedule, timezone: string, from: Date, n: number): Date[] {
  const s = toSchedule(cron);
  let t = from.getTime();
  if (!Number.isFinite(t)) throw new CronError('nextFireTimes: `from` is not a valid date');
  formatter(timezone);
  const out: Date[] = [];
  while (out.length < n) {
    const next = nextAfter(s, timezone, Math.floor(t / 1000) * 1000);
    if (next === undefined) break;
    out.push(new Date(next));
    t = next;
  }
  return out;
}
