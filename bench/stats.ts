/**
 * Statistics of the benchmarks' reps: a median with a distribution-free
 * confidence interval, and the three-way verdict a target gets from it. Pure
 * code, no I/O (tested in test/unit/bench/stats.test.ts).
 */

/** The median of `xs` (the mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of no values');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** A median with the interval that holds the true median with probability `coverage`. */
export interface MedianInterval {
  readonly median: number;
  readonly low: number;
  readonly high: number;
  /** The interval's coverage, 0..1: at least the level asked for when there are enough values. */
  readonly coverage: number;
}

/**
 * The median of `xs` and a confidence interval for the median that assumes
 * nothing about the distribution: the order statistics x(k) and x(n+1-k),
 * with the largest k whose coverage, 1 − 2·P(Binomial(n, ½) < k), is at least
 * `level`. With too few values for `level` (below 5 for 90%) it is the lowest
 * and highest value, and `coverage` says how much less that interval covers
 * (75% for 3 values).
 */
export function medianInterval(xs: readonly number[], level = 0.9): MedianInterval {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) throw new Error('median interval of no values');
  // P(Binomial(n, 1/2) = i) for i = 0.. via the recurrence C(n, i+1) = C(n, i)·(n−i)/(i+1).
  const below: number[] = [0]; // below[k] = P(Binomial(n, 1/2) < k)
  let term = 2 ** -n;
  for (let i = 0; i < n; i++) {
    below.push(below[i]! + term);
    term = (term * (n - i)) / (i + 1);
  }
  let k = 1;
  while (k + 1 <= (n + 1) / 2 && 1 - 2 * below[k + 1]! >= level) k++;
  const coverage = n === 1 ? 0 : 1 - 2 * below[k]!;
  return { median: median(s), low: s[k - 1]!, high: s[n - k]!, coverage };
}

/**
 * Whether values that should be at most `limit` are: `met` when the median's
 * whole interval is at or below it, `not met` when the whole interval is above
 * it, else `within the noise` (this run cannot tell the two apart).
 */
export function verdictAtMost(interval: MedianInterval, limit: number): 'met' | 'not met' | 'within the noise' {
  if (interval.high <= limit) return 'met';
  if (interval.low > limit) return 'not met';
  return 'within the noise';
}

/** `1.04 (90% interval 0.97–1.12)`: a median interval as the bench prints it. */
export function formatInterval(interval: MedianInterval): string {
  return `${interval.median.toFixed(2)} (${Math.floor(interval.coverage * 100)}% interval ${interval.low.toFixed(2)}–${interval.high.toFixed(2)})`;
}
