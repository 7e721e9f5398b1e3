import { expect } from 'vitest';
import { ExpressionError, type ExpressionErrorCode } from '../../../src/expressions/index.js';

/** Run `fn`, expect an ExpressionError, and return it. */
export function catchExpressionError(fn: () => unknown): ExpressionError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ExpressionError);
    return error as ExpressionError;
  }
  throw new Error('expected an ExpressionError, nothing was thrown');
}

/** Expect `fn` to throw an ExpressionError with `code` (and `offset`, when given). */
export function expectExpressionError(fn: () => unknown, code: ExpressionErrorCode, offset?: number): ExpressionError {
  const error = catchExpressionError(fn);
  expect(error.code, error.message).toBe(code);
  expect(error.name).toBe('ExpressionError');
  if (offset !== undefined) expect(error.offset, error.message).toBe(offset);
  return error;
}
