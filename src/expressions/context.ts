/**
 * What an expression can see when it is evaluated.
 *
 * Pure module: safe to import from workflow code.
 */
import type { FilterRegistry } from './filters.js';
import type { ExpressionLimits } from './limits.js';

/** Answers for the status functions `success()`, `failure()` and `cancelled()` (`always()` is always true). */
export interface StatusAnswers {
  readonly success: boolean;
  readonly failure: boolean;
  readonly cancelled: boolean;
}

/** The data and settings an expression is evaluated against. */
export interface ExpressionContext {
  /**
   * Root namespaces: `params`, `matrix`, `env`, `extras`, `needs`, `jobs`,
   * `stages`, `release`, `item`, `loop`, `branch`, `case`, `secrets`, ...
   * A missing root reads as `null` (not an error).
   */
  readonly values: Readonly<Record<string, unknown>>;
  /** Answers for `always()/success()/failure()/cancelled()`; absent outside `if`, where calling one is an error. */
  readonly status?: StatusAnswers;
  /** Filters available after `|`; defaults to the built-in registry. */
  readonly filters?: FilterRegistry;
  /** Caps; missing entries take the defaults. */
  readonly limits?: Partial<ExpressionLimits>;
}
