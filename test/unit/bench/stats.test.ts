import { describe, expect, it } from 'vitest';
import { formatInterval, median, medianInterval, verdictAtMost } from '../../../bench/stats.js';

describe('median', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(/no values/);
  });
});

describe('medianInterval', () => {
  it('uses the order statistics whose binomial coverage reaches the level', () => {
    // n = 9: [x(2), x(8)] covers 1 - 2 * 10/512 = 96.1%; [x(3), x(7)] only 82.0%.
    const nine = medianInterval([9, 1, 8, 2, 7, 3, 6, 4, 5]);
    expect(nine).toMatchObject({ median: 5, low: 2, high: 8 });
    expect(nine.coverage).toBeCloseTo(1 - 20 / 512, 10);
    // n = 7: [x(1), x(7)] covers 98.4%, [x(2), x(6)] 87.5% < 90%.
    const seven = medianInterval([1, 2, 3, 4, 5, 6, 7]);
    expect(seven).toMatchObject({ low: 1, high: 7 });
    expect(seven.coverage).toBeCloseTo(1 - 2 / 128, 10);
    // The same 7 values at 85%: [x(2), x(6)].
    expect(medianInterval([1, 2, 3, 4, 5, 6, 7], 0.85)).toMatchObject({ low: 2, high: 6 });
  });

  it('says how little a small sample covers', () => {
    const three = medianInterval([1.2, 0.9, 1.0]);
    expect(three).toMatchObject({ median: 1.0, low: 0.9, high: 1.2 });
    expect(three.coverage).toBeCloseTo(0.75, 10);
    expect(medianInterval([1.1]).coverage).toBe(0);
  });
});

describe('verdictAtMost', () => {
  it('is met only when the whole interval is within the limit, not met only when it is all above', () => {
    expect(verdictAtMost(medianInterval([0.9, 0.95, 1.0, 0.97, 0.92]), 1.0)).toBe('met');
    expect(verdictAtMost(medianInterval([1.05, 1.1, 1.2, 1.02, 1.08]), 1.0)).toBe('not met');
    expect(verdictAtMost(medianInterval([0.95, 1.1, 1.02, 0.98, 1.04]), 1.0)).toBe('within the noise');
  });
});

describe('formatInterval', () => {
  it('prints the median, the coverage and the bounds', () => {
    expect(formatInterval(medianInterval([1.04, 0.97, 1.12, 1.0, 1.08]))).toBe('1.04 (93% interval 0.97–1.12)');
  });
});
