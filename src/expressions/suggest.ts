/**
 * "Did you mean ...?" suggestions, shared by the expression language and the
 * config layer.
 *
 * Pure module: safe to import from workflow code.
 */

/** Names longer than this are never compared (keeps the cost bounded on hostile input). */
const MAX_NAME_LENGTH = 64;

/**
 * Levenshtein edit distance between `a` and `b` (insertions, deletions and
 * substitutions each cost 1). When `max` is given, returns `max + 1` as soon
 * as the distance is known to exceed it.
 */
export function levenshtein(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > max) return max + 1;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let previous = new Array<number>(b.length + 1);
  let current = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      const value = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      current[j] = value;
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > max) return max + 1;
    [previous, current] = [current, previous];
  }
  return previous[b.length] ?? 0;
}

/**
 * The candidate closest to `name` (case-insensitive), or `undefined` when none
 * is close enough. The default threshold is `max(2, ⌊length / 3⌋)` edits.
 * Ties go to the candidate listed first.
 */
export function didYouMean(name: string, candidates: Iterable<string>, options: { maxDistance?: number } = {}): string | undefined {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) return undefined;
  const wanted = name.toLowerCase();
  const max = options.maxDistance ?? Math.max(2, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestDistance = max + 1;
  for (const candidate of candidates) {
    if (candidate.length > MAX_NAME_LENGTH) continue;
    const distance = levenshtein(wanted, candidate.toLowerCase(), bestDistance - 1);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** `did you mean 'x'?` for the closest candidate, or `undefined` when there is none. */
export function suggestionHint(name: string, candidates: Iterable<string>): string | undefined {
  const best = didYouMean(name, candidates);
  return best === undefined ? undefined : `did you mean '${best}'?`;
}
