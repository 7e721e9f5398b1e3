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
 *
 * Pure module: no I/O (timezone rules come from `Intl`).
 */

/** A cron expression or timezone that cannot be used, with what is wrong. */
export class CronError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CronError';
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
}

const RULES: readonly FieldRule[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, minPrefix: 3, namesFrom: 1 },
  { name: 'day-of-week', min: 0, max: 7, names: WEEKDAYS, minPrefix: 2, namesFrom: 0 },
];

/**
 * Parses a cron expression (five fields or an `@` alias). Throws `CronError`
 * naming the field and the part that is wrong.
 */
export function parseCron(expr: string): CronSchedule {
  const trimmed = expr.trim();
  const text = trimmed.startsWith('@') ? CRON_ALIASES[trimmed.toLowerCase()] : trimmed;
  if (text === undefined) throw new CronError(`unknown cron alias '${trimmed}' (known: ${Object.keys(CRON_ALIASES).join(', ')})`);
  const fields = text.split(/\s+/).filter((f) => f !== '');
  if (fields.length !== 5) {
    throw new CronError(`cron '${expr}' has ${fields.length} field(s); write five: minute hour day-of-month month day-of-week (e.g. '0 9 * * 1-5')`);
  }
  const sets = fields.map((f, i) => parseField(f, RULES[i]!, expr));
  const dow = new Set([...sets[4]!].map((d) => (d === 7 ? 0 : d)));
  return { source: expr, minute: sets[0]!, hour: sets[1]!, dayOfMonth: sets[2]!, month: sets[3]!, dayOfWeek: dow };
}

function parseField(text: string, rule: FieldRule, expr: string): Set<number> {
  const out = new Set<number>();
  const where = `${rule.name} field '${text}' of cron '${expr}'`;
  for (const part of text.split(',')) {
    let body = part;
    let step = 1;
    let hasStep = false;
    const slash = part.indexOf('/');
    if (slash >= 0) {
      body = part.slice(0, slash);
      const stepText = part.slice(slash + 1);
      step = /^\d+$/.test(stepText) ? Number(stepText) : NaN;
      if (!Number.isInteger(step) || step < 1) throw new CronError(`${where}: the step '${stepText}' must be a whole number ≥ 1`);
      hasStep = true;
    }
    let start = rule.min;
    let end = rule.max;
    if (body !== '*') {
      const dash = body.indexOf('-');
      if (dash >= 0) {
        start = parseValue(body.slice(0, dash), rule, rule.min, where);
        end = parseValue(body.slice(dash + 1), rule, start, where);
      } else {
        start = parseValue(body, rule, rule.min, where);
        end = hasStep ? rule.max : start;
      }
    }
    for (let v = start; v <= end; v += step) out.add(v);
  }
  return out;
}

function parseValue(text: string, rule: FieldRule, min: number, where: string): number {
  if (rule.names && text.length >= (rule.minPrefix ?? 3)) {
    const lower = text.toLowerCase();
    const i = rule.names.findIndex((n) => n.startsWith(lower));
    if (i >= 0) {
      const value = i + (rule.namesFrom ?? 0);
      if (value < min) throw new CronError(`${where}: '${text}' comes before the start of its range`);
      return value;
    }
  }
  if (!/^\d+$/.test(text)) {
    const hint = rule.names ? ` or a name (${rule.names.map((n) => n.slice(0, 3)).join(', ')})` : '';
    throw new CronError(`${where}: '${text}' is not a number${hint}`);
  }
  const value = Number(text);
  if (value < min || value > rule.max) throw new CronError(`${where}: ${value} is outside ${min}-${rule.max}`);
  return value;
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
