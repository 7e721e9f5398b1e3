/**
 * Static checks of the scalar formats of `on:` entries: cron expressions and
 * IANA timezones.
 *
 * The cron grammar has one home, the runtime matcher (`engine/cron.ts`):
 * validation reports its positioned problem at the `file:line:col` of the
 * bad part inside the YAML string, so `tempoflow validate` accepts exactly
 * the crons that schedules and `validateRelease()` run.
 *
 * Pure module: no I/O.
 */
import { checkCron } from '../engine/cron.js';
import { didYouMean } from '../expressions/suggest.js';
import type { Reporter } from './origins.js';
import type { ValuePath } from './source.js';

/**
 * Reports the cron at `path` (a YAML string) when the runtime matcher
 * refuses it: a `bad-cron` issue at the line and column of the bad part.
 */
export function reportCron(r: Reporter, path: ValuePath, cron: string): void {
  const problem = checkCron(cron);
  if (problem) r.addInString(path, cron, problem.offset, 'bad-cron', `invalid cron '${cron}': ${problem.message}`, { hint: problem.hint });
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
