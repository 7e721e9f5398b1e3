/**
 * ISO-8601 parsing and `strftime` formatting for the `fmt` filter, computed
 * by hand (no `Intl`, no locale, no time zone database) so results are the
 * same on every worker. A value is formatted in its own UTC offset.
 *
 * Pure module: safe to import from workflow code.
 */
import { ExpressionError, ExpressionErrorCode } from './errors.js';

/** A calendar date and wall-clock time in a fixed UTC offset. */
export interface DateTimeParts {
  readonly year: number;
  /** 1-12 */
  readonly month: number;
  /** 1-31 */
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** 0-999,999 */
  readonly microsecond: number;
  /** Minutes east of UTC. */
  readonly offsetMinutes: number;
  /** `naive` (no offset written: read as UTC), `utc` (`Z`) or `offset` (`+07:00`). */
  readonly zone: 'naive' | 'utc' | 'offset';
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;

/** Number of days in `month` (1-12) of `year` (proleptic Gregorian). */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Parse an ISO-8601 date or datetime (`2024-01-01`, `2024-01-01T09:00:00.5+07:00`, `... Z`); `undefined` when invalid. */
export function parseIsoDateTime(text: string): DateTimeParts | undefined {
  if (text.length > 64) return undefined;
  const m = ISO.exec(text.trim());
  if (m === null) return undefined;
  const num = (i: number): number => (m[i] === undefined ? 0 : Number(m[i]));
  const year = num(1);
  const month = num(2);
  const day = num(3);
  const hour = num(4);
  const minute = num(5);
  const second = num(6);
  const fraction = m[7] ?? '';
  const microsecond = fraction === '' ? 0 : Number(fraction.padEnd(6, '0').slice(0, 6));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  let zone: DateTimeParts['zone'] = 'naive';
  if (m[8] !== undefined) zone = 'utc';
  else if (m[9] !== undefined) {
    const oh = num(10);
    const om = num(11);
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
    zone = 'offset';
  }
  return { year, month, day, hour, minute, second, microsecond, offsetMinutes, zone };
}

/** The UTC parts of a valid `Date` (`zone: 'utc'`); `undefined` for an invalid one. */
export function partsOfDate(date: Date): DateTimeParts | undefined {
  if (!Number.isFinite(date.getTime())) return undefined;
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    hour: date.getUTCHours(),
    minute: date.getUTCMinutes(),
    second: date.getUTCSeconds(),
    microsecond: date.getUTCMilliseconds() * 1000,
    offsetMinutes: 0,
    zone: 'utc',
  };
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'] as const;

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

function offsetText(minutes: number, colon: boolean): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60), 2)}${colon ? ':' : ''}${pad(abs % 60, 2)}`;
}

/** Directives understood by {@link strftime}. */
export const STRFTIME_DIRECTIVES = 'aAbBdHIjmMpSfyYzZwe%FT';

/**
 * Python-style `strftime` in the value's own offset. Supports `%Y %m %d %H
 * %M %S %f %z %Z %j %a %A %b %B %p %I %y %w %e %F %T %%` (English names).
 * `%z` is `+0000` for a naive or `Z` value; `%Z` is `UTC` for those and
 * `UTC+07:00` for an offset.
 * @throws {ExpressionError} `eval` on an unknown directive or a trailing `%`.
 */
export function strftime(parts: DateTimeParts, format: string): string {
  const weekday = (((daysFromCivil(parts.year, parts.month, parts.day) + 4) % 7) + 7) % 7;
  const dayOfYear = daysFromCivil(parts.year, parts.month, parts.day) - daysFromCivil(parts.year, 1, 1) + 1;
  const hour12 = parts.hour % 12 === 0 ? 12 : parts.hour % 12;
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i] as string;
    if (c !== '%') {
      out += c;
      continue;
    }
    const d = format[i + 1];
    i++;
    switch (d) {
      case 'Y':
        out += pad(parts.year, 4);
        break;
      case 'y':
        out += pad(parts.year % 100, 2);
        break;
      case 'm':
        out += pad(parts.month, 2);
        break;
      case 'd':
        out += pad(parts.day, 2);
        break;
      case 'e':
        out += String(parts.day).padStart(2, ' ');
        break;
      case 'H':
        out += pad(parts.hour, 2);
        break;
      case 'I':
        out += pad(hour12, 2);
        break;
      case 'M':
        out += pad(parts.minute, 2);
        break;
      case 'S':
        out += pad(parts.second, 2);
        break;
      case 'f':
        out += pad(parts.microsecond, 6);
        break;
      case 'p':
        out += parts.hour < 12 ? 'AM' : 'PM';
        break;
      case 'j':
        out += pad(dayOfYear, 3);
        break;
      case 'w':
        out += String(weekday);
        break;
      case 'a':
        out += (DAYS[weekday] as string).slice(0, 3);
        break;
      case 'A':
        out += DAYS[weekday] as string;
        break;
      case 'b':
        out += (MONTHS[parts.month - 1] as string).slice(0, 3);
        break;
      case 'B':
        out += MONTHS[parts.month - 1] as string;
        break;
      case 'z':
        out += offsetText(parts.offsetMinutes, false);
        break;
      case 'Z':
        out += parts.zone === 'offset' ? `UTC${offsetText(parts.offsetMinutes, true)}` : 'UTC';
        break;
      case 'F':
        out += `${pad(parts.year, 4)}-${pad(parts.month, 2)}-${pad(parts.day, 2)}`;
        break;
      case 'T':
        out += `${pad(parts.hour, 2)}:${pad(parts.minute, 2)}:${pad(parts.second, 2)}`;
        break;
      case '%':
        out += '%';
        break;
      default:
        throw new ExpressionError(ExpressionErrorCode.eval, d === undefined ? `format ends with a lone '%'` : `unknown strftime directive '%${d}'`, {
          hint: `use one of ${STRFTIME_DIRECTIVES.split('')
            .map((x) => '%' + x)
            .join(' ')}; write %% for a literal '%'`,
        });
    }
  }
  return out;
}
