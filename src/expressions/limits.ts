/**
 * Caps that keep hostile or runaway expressions from exhausting memory or the
 * JS stack inside workflow code.
 *
 * Pure module: safe to import from workflow code.
 */

/** Caps applied by parse, evaluate and render. Exceeding one is an `ExpressionError` with code `cap`. */
export interface ExpressionLimits {
  /** Maximum length of one expression's source, in UTF-16 code units (default 10,000). */
  readonly maxLength: number;
  /**
   * Maximum nesting depth (default 64; never above {@link HARD_MAX_DEPTH}): parentheses,
   * index brackets, function-call arguments and each `!` count one level, and
   * so does each operand of a chained comparison.
   */
  readonly maxDepth: number;
  /** Maximum number of `${{ }}` templates in one string (default 1,000). */
  readonly maxTemplates: number;
  /** Maximum nesting of values serialised to JSON or rendered deeply (default 256). */
  readonly maxValueDepth: number;
  /** Maximum length of a string built by `format`, `join` or a mixed-text template (default 16 Mi code units). */
  readonly maxStringLength: number;
}

/** Absolute ceiling on `maxDepth`, whatever the caller asks for, so parsing never overflows the JS stack. */
export const HARD_MAX_DEPTH = 256;

/** Absolute ceiling on `maxValueDepth`. */
export const HARD_MAX_VALUE_DEPTH = 1_000;

/** The default caps. */
export const DEFAULT_LIMITS: ExpressionLimits = Object.freeze({
  maxLength: 10_000,
  maxDepth: 64,
  maxTemplates: 1_000,
  maxValueDepth: 256,
  maxStringLength: 16 * 1024 * 1024,
});

function pick(value: number | undefined, fallback: number, ceiling: number): number {
  if (value === undefined || !Number.isFinite(value) || value < 1) return fallback;
  return Math.min(Math.floor(value), ceiling);
}

/** Fill in defaults for missing or invalid (non-finite, < 1) caps and apply the hard ceilings. */
export function resolveLimits(limits?: Partial<ExpressionLimits>): ExpressionLimits {
  if (limits === undefined) return DEFAULT_LIMITS;
  return {
    maxLength: pick(limits.maxLength, DEFAULT_LIMITS.maxLength, Number.MAX_SAFE_INTEGER),
    maxDepth: pick(limits.maxDepth, DEFAULT_LIMITS.maxDepth, HARD_MAX_DEPTH),
    maxTemplates: pick(limits.maxTemplates, DEFAULT_LIMITS.maxTemplates, Number.MAX_SAFE_INTEGER),
    maxValueDepth: pick(limits.maxValueDepth, DEFAULT_LIMITS.maxValueDepth, HARD_MAX_VALUE_DEPTH),
    maxStringLength: pick(limits.maxStringLength, DEFAULT_LIMITS.maxStringLength, Number.MAX_SAFE_INTEGER),
  };
}
