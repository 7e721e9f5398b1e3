/**
 * "Did you mean …?" for job ids, private to the engine (the DAG checks).
 * Bounded on hostile input: long names are never compared and the edit
 * distance stops early once it exceeds the threshold.
 *
 * Pure and deterministic: safe to import from Temporal workflow code.
 */

/** Names longer than this are never compared. */
const MAX_NAME_LENGTH = 100;

/**
 * Levenshtein distance between `a` and `b`, or `max + 1` when it is larger
 * than `max`. Only cells within `max` of the diagonal are computed, and it
 * stops as soon as a whole row exceeds `max`.
 */
export function boundedLevenshtein(a: string, b: string, max: number): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > max) return max + 1;
  if (a.length > b.length) [a, b] = [b, a];
  const n = a.length;
  const m = b.length;
  if (n === 0) return m <= max ? m : max + 1;
  const big = max + 1;
  let previous = new Array<number>(m + 1).fill(big);
  let current = new Array<number>(m + 1).fill(big);
  for (let j = 0; j <= Math.min(m, max); j++) previous[j] = j;
  for (let i = 1; i <= n; i++) {
    const from = Math.max(1, i - max);
    const to = Math.min(m, i + max);
    current.fill(big);
    current[0] = i <= max ? i : big;
    let rowMin = current[0] ?? big;
    for (let j = from; j <= to; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      const value = Math.min((previous[j] ?? big) + 1, (current[j - 1] ?? big) + 1, (previous[j - 1] ?? big) + cost, big);
      current[j] = value;
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > max) return big;
    [previous, current] = [current, previous];
  }
  const result = previous[m] ?? big;
  return result > max ? big : result;
}

/**
 * The candidate closest to `name` (case-insensitive), or `undefined` when no
 * candidate is within `max(2, ⌊length / 3⌋)` edits. Ties go to the candidate
 * listed first.
 */
export function suggestName(name: string, candidates: Iterable<string>): string | undefined {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) return undefined;
  const wanted = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of candidates) {
    if (candidate.length > MAX_NAME_LENGTH || candidate === name) continue;
    const distance = boundedLevenshtein(wanted, candidate.toLowerCase(), bestDistance - 1);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
      if (distance === 0) break;
    }
  }
  return best;
}
