/**
 * The one error type thrown by the expression language.
 *
 * Pure module: safe to import from workflow code.
 */

/** What kind of problem an {@link ExpressionError} reports. */
export const ExpressionErrorCode = {
  /** The source is not a valid expression or template (bad token, missing `)`, unterminated `${{`). */
  syntax: 'syntax',
  /** A function name that is not in the function table. */
  unknownFunction: 'unknown-function',
  /** A function or filter called with too few or too many arguments. */
  arity: 'arity',
  /** A filter name that is not in the filter registry. */
  unknownFilter: 'unknown-filter',
  /** A value of the wrong type for a function or filter (`int` of `'abc'`, `fmt` of a number). */
  type: 'type',
  /** A cap was exceeded: source length, nesting depth, number of templates, JSON depth. */
  cap: 'cap',
  /** Evaluation failed for another reason (invalid JSON, bad `format` index, a status function outside `if`, a custom filter that threw). */
  eval: 'eval',
  /** A defect in tempoflow itself; never expected, reported instead of a raw JS error. */
  internal: 'internal',
} as const;
export type ExpressionErrorCode = (typeof ExpressionErrorCode)[keyof typeof ExpressionErrorCode];

/** Constructor options of {@link ExpressionError}. */
export interface ExpressionErrorOptions {
  /** 0-based index in {@link ExpressionError.expression} where the problem is; `-1` when unknown. */
  readonly offset?: number;
  /** The expression (or template text) the offset refers to. */
  readonly expression?: string;
  /** A sentence that says how to fix the problem, appended to the message after `; `. */
  readonly hint?: string;
  /** The underlying error, if any. */
  readonly cause?: unknown;
}

/**
 * Thrown by parse, evaluate, render and the filters when an expression is
 * invalid or cannot be evaluated. It is the only error these functions throw,
 * whatever the input.
 *
 * The message reads `<what is wrong> at col <offset + 1>; <how to fix it>`.
 * For errors raised while rendering a template, `expression` is the whole
 * template text and `offset` points into it.
 */
export class ExpressionError extends Error {
  override readonly name = 'ExpressionError' as const;
  /** The kind of problem. */
  readonly code: ExpressionErrorCode;
  /** 0-based index in `expression` where the problem is; `-1` when unknown. */
  readonly offset: number;
  /** The expression or template source the offset refers to (`''` when unknown). */
  readonly expression: string;
  /** What is wrong, without position or hint. */
  readonly reason: string;
  /** How to fix it, when there is something useful to say. */
  readonly hint: string | undefined;

  constructor(code: ExpressionErrorCode, reason: string, options: ExpressionErrorOptions = {}) {
    const offset = options.offset ?? -1;
    const at = offset >= 0 ? ` at col ${offset + 1}` : '';
    const hint = options.hint !== undefined && options.hint !== '' ? options.hint : undefined;
    super(`${reason}${at}${hint !== undefined ? `; ${hint}` : ''}`, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.code = code;
    this.offset = offset;
    this.expression = options.expression ?? '';
    this.reason = reason;
    this.hint = hint;
  }

  /** A copy of this error positioned at `offset` in `expression` (used when the position becomes known later). */
  at(offset: number, expression: string): ExpressionError {
    return new ExpressionError(this.code, this.reason, {
      offset,
      expression,
      ...(this.hint !== undefined ? { hint: this.hint } : {}),
      ...(this.cause !== undefined ? { cause: this.cause } : {}),
    });
  }

  /** A copy moved into an enclosing text: `offset` shifted by `delta`, `expression` replaced. */
  relocate(delta: number, expression: string): ExpressionError {
    return this.at(this.offset >= 0 ? this.offset + delta : -1, expression);
  }
}

/**
 * Run `fn`, turning anything it throws that is not an {@link ExpressionError}
 * into one: a stack overflow becomes a `cap` error, anything else an
 * `internal` error carrying the original as `cause`.
 * @internal
 */
export function guard<T>(expression: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw asExpressionError(error, expression);
  }
}

/** Convert any thrown value into an {@link ExpressionError} (see {@link guard}). @internal */
export function asExpressionError(error: unknown, expression: string): ExpressionError {
  if (error instanceof ExpressionError) return error;
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return new ExpressionError(ExpressionErrorCode.cap, 'expression or value is too deeply nested', {
      expression,
      hint: 'simplify the expression or the data it reads',
      cause: error,
    });
  }
  if (error instanceof RangeError && /invalid (string|array) length/i.test(error.message)) {
    return new ExpressionError(ExpressionErrorCode.cap, 'value is too large', {
      expression,
      hint: 'keep large data in files and pass references',
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ExpressionError(ExpressionErrorCode.internal, `internal error: ${message}`, {
    expression,
    hint: 'this is a tempoflow bug; please report it with the expression',
    cause: error,
  });
}
