/**
 * Typed params (docs/yaml-format.md "Params"): defaults, required, type coercion from
 * CLI strings, and a `ParamError` naming the param, the expected type and
 * the value. Values that cross Temporal stay JSON: datetimes are ISO strings
 * that keep their offset (naive = UTC, or the param's `tz`), decimals are
 * strings.
 *
 * Pure: no I/O (timezone rules come from `Intl`).
 */
import { wallTime } from '../engine/cron.js';
import type { ParamSpec } from '../engine/spec.js';
import { ParamError, type ParamProblem } from '../errors.js';

function show(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** `2024-01-01` or the basic form `20240101`. */
const DATE = /^(\d{4})-?(\d{2})-?(\d{2})$/;
/**
 * A date, then `T` or a space, then an hour, optional minutes, seconds and a
 * fraction (extended `09:30:00` or basic `093000`), then an optional offset:
 * `Z`, `±HH`, `±HHMM` or `±HH:MM` — what Python's `datetime.fromisoformat`
 * takes, so values written for ddeutil-workflow work unchanged.
 */
const DATETIME = /^(\d{4})-?(\d{2})-?(\d{2})[T ](\d{2})(?::?(\d{2})(?::?(\d{2})([.,]\d{1,9})?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** What a `date` param accepts, for its error message. */
const DATE_FORMS = 'a date (date): 2024-01-31 or 20240131; a datetime such as 2024-01-31T09:00:00Z is cut to its date';
/** What a `datetime` param accepts, for its error message. */
const DATETIME_FORMS =
  'a datetime (datetime): 2024-01-31 (midnight), 2024-01-31T09:00, 2024-01-31 09:00:00, 2024-01-31T09:00:00.250Z, 2024-01-31T09:00:00+07:00, 20240131T090000; without an offset the time is in UTC unless the param sets `tz`';

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const days = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
  return d <= days;
}

const two = (n: number): string => String(n).padStart(2, '0');

/** `+07:00` for 420 minutes east; `Z` for 0. */
function offsetText(minutes: number): string {
  if (minutes === 0) return 'Z';
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
}

/** Minutes east of UTC of `timezone` at the wall-clock time given as if it were UTC (`wallAsUtcMs`). */
function zoneOffsetMinutes(wallAsUtcMs: number, timezone: string): number {
  const offsetAt = (epochMs: number): number => {
    const w = wallTime(epochMs, timezone);
    return Math.round((Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(epochMs / 1000) * 1000) / 60_000);
  };
  // Two steps settle on the offset in force at that wall time (the later one in a DST gap).
  const first = offsetAt(wallAsUtcMs);
  return offsetAt(wallAsUtcMs - first * 60_000);
}

/** A datetime value as `YYYY-MM-DDTHH:MM:SS[.fff]±HH:MM` (or `Z`), or undefined when it is not one. */
function parseDatetime(text: string, timezone: string | undefined): string | undefined {
  const dateOnly = DATE.exec(text);
  const m = dateOnly ? [text, dateOnly[1], dateOnly[2], dateOnly[3], '00'] : DATETIME.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi = '00', s = '00'] = [m[1]!, m[2]!, m[3]!, m[4]!, m[5], m[6]];
  if (!validDate(+y, +mo, +d) || +h > 23 || +mi > 59 || +s > 59) return undefined;
  const fraction = m[7] ? `.${m[7].slice(1)}` : '';
  const zone = m[8];
  let offset: string;
  if (zone) {
    if (zone.toUpperCase() === 'Z') offset = 'Z';
    else {
      const digits = zone.slice(1).replace(':', '');
      if (digits.length !== 2 && digits.length !== 4) return undefined;
      offset = `${zone[0]}${digits.slice(0, 2)}:${digits.slice(2) || '00'}`;
    }
  } else if (timezone && timezone !== 'UTC') {
    offset = offsetText(zoneOffsetMinutes(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s), timezone));
  } else offset = 'Z';
  return `${y}-${mo}-${d}T${h}:${mi}:${s}${fraction}${offset}`;
}

/** Coerces one value to its declared type, or returns an error sentence. */
export function coerceParam(spec: Pick<ParamSpec, 'type' | 'options' | 'tz'>, value: unknown): { value: unknown } | { error: string } {
  const expected = (what: string) => ({ error: `expected ${what}, got ${show(value)}` });
  switch (spec.type) {
    case 'str':
      if (typeof value === 'string') return { value };
      if (typeof value === 'number' || typeof value === 'boolean') return { value: String(value) };
      return expected('a string (str)');
    case 'int': {
      const n = typeof value === 'string' && /^[+-]?\d+$/.test(value.trim()) ? Number(value) : value;
      if (typeof n === 'number' && Number.isSafeInteger(n)) return { value: n };
      return expected('an integer (int)');
    }
    case 'float': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n === 'number' && Number.isFinite(n)) return { value: n };
      return expected('a number (float)');
    }
    case 'decimal': {
      const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
      if (typeof text === 'string' && /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text.trim())) return { value: text.trim() };
      return expected('a decimal number (decimal)');
    }
    case 'bool': {
      if (typeof value === 'boolean') return { value };
      if (typeof value === 'string') {
        const v = value.trim().toLowerCase();
        if (['true', 'yes', 'y', '1', 'on'].includes(v)) return { value: true };
        if (['false', 'no', 'n', '0', 'off'].includes(v)) return { value: false };
      }
      if (value === 0 || value === 1) return { value: value === 1 };
      return expected('a boolean (bool: true/false)');
    }
    case 'date': {
      if (value instanceof Date && !Number.isNaN(value.getTime())) return { value: value.toISOString().slice(0, 10) };
      if (typeof value !== 'string') return expected(DATE_FORMS);
      const text = value.trim();
      const m = DATE.exec(text);
      if (m) return validDate(+m[1]!, +m[2]!, +m[3]!) ? { value: `${m[1]}-${m[2]}-${m[3]}` } : expected(DATE_FORMS);
      // A datetime's own date, whatever its offset (as Python's `datetime.date()`).
      const datetime = parseDatetime(text, undefined);
      return datetime ? { value: datetime.slice(0, 10) } : expected(DATE_FORMS);
    }
    case 'datetime': {
      const text = value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString() : value;
      const parsed = typeof text === 'string' ? parseDatetime(text.trim(), spec.tz) : undefined;
      return parsed ? { value: parsed } : expected(DATETIME_FORMS);
    }
    case 'choice': {
      const options = spec.options ?? [];
      const hit = options.find((o) => o === value || (typeof value === 'string' && String(o) === value));
      if (hit !== undefined) return { value: hit };
      return { error: `expected one of ${options.map(show).join(', ')} (choice), got ${show(value)}` };
    }
    case 'map': {
      let v = value;
      if (typeof v === 'string') {
        try {
          v = JSON.parse(v);
        } catch {
          return expected('a map (map: a JSON object)');
        }
      }
      if (v && typeof v === 'object' && !Array.isArray(v)) return { value: v };
      return expected('a map (map: a JSON object)');
    }
    case 'array': {
      let v = value;
      if (typeof v === 'string') {
        try {
          v = JSON.parse(v);
        } catch {
          return expected('a list (array: a JSON array)');
        }
      }
      if (Array.isArray(v)) return { value: v };
      return expected('a list (array: a JSON array)');
    }
  }
}

/**
 * Validates and completes the params of a run: applies defaults, coerces
 * types, rejects missing and (unless allowed) undeclared params. Throws one
 * `ParamError` listing every bad param, each with the `file:line:col` of its
 * declaration.
 */
export function parameterize(specs: readonly ParamSpec[], input: Readonly<Record<string, unknown>>, options: { allowUndeclared?: boolean } = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const problems: ParamProblem[] = [];
  const declared = new Set(specs.map((s) => s.name));
  for (const key of Object.keys(input)) {
    if (!declared.has(key) && !options.allowUndeclared) {
      const names = [...declared];
      problems.push({
        paramName: key,
        validationError: `not declared by this workflow (declared: ${names.length ? names.join(', ') : 'none'}); remove it, declare it under params:, or set allow-undeclared-params: true`,
      });
    }
    if (!declared.has(key)) out[key] = input[key];
  }
  for (const spec of specs) {
    const problem = (validationError: string) => problems.push({ paramName: spec.name, validationError, location: spec.loc });
    const has = Object.prototype.hasOwnProperty.call(input, spec.name) && input[spec.name] !== undefined;
    if (!has) {
      if (spec.default !== undefined) {
        const coerced = coerceParam(spec, spec.default);
        if ('error' in coerced) problem(`default value is invalid: ${coerced.error} (${spec.loc})`);
        else out[spec.name] = coerced.value;
      } else if (spec.required) {
        problem(`required ${spec.type} param is missing; pass it with -p ${spec.name}=<value>`);
      } else {
        out[spec.name] = null;
      }
      continue;
    }
    const coerced = coerceParam(spec, input[spec.name]);
    if ('error' in coerced) problem(coerced.error);
    else out[spec.name] = coerced.value;
  }
  const first = problems[0];
  if (first) throw new ParamError(first.paramName, first.validationError, { problems });
  return out;
}
