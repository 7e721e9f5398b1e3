import { describe, expect, it } from 'vitest';
import { didYouMean, ExpressionError, ExpressionErrorCode, levenshtein, suggestionHint } from '../../../src/expressions/index.js';
import { didYouMean as fromModule } from '../../../src/expressions/suggest.js';

describe('ExpressionError', () => {
  it('is an Error with name, code, offset, expression and a positioned message', () => {
    const error = new ExpressionError('syntax', 'unexpected x', { offset: 3, expression: 'a b x', hint: 'remove it' });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ExpressionError');
    expect(error.code).toBe('syntax');
    expect(error.offset).toBe(3);
    expect(error.expression).toBe('a b x');
    expect(error.reason).toBe('unexpected x');
    expect(error.hint).toBe('remove it');
    expect(error.message).toBe('unexpected x at col 4; remove it');
    expect(String(error)).toBe('ExpressionError: unexpected x at col 4; remove it');
  });

  it('omits unknown positions and empty hints', () => {
    const error = new ExpressionError('eval', 'bad', { hint: '' });
    expect(error.offset).toBe(-1);
    expect(error.expression).toBe('');
    expect(error.message).toBe('bad');
  });

  it('keeps the cause', () => {
    const cause = new SyntaxError('inner');
    expect(new ExpressionError('eval', 'outer', { cause }).cause).toBe(cause);
  });

  it('can be positioned and relocated', () => {
    const error = new ExpressionError('type', 'wrong', { hint: 'fix', cause: 1 });
    const placed = error.at(2, 'a | b');
    expect(placed.message).toBe('wrong at col 3; fix');
    expect(placed.cause).toBe(1);
    const moved = placed.relocate(10, 'prefix... ${{ a | b }}');
    expect(moved.offset).toBe(12);
    expect(moved.expression).toBe('prefix... ${{ a | b }}');
    expect(error.relocate(5, 'x').offset).toBe(-1);
  });

  it('lists every code', () => {
    expect(Object.values(ExpressionErrorCode).sort()).toEqual(['arity', 'cap', 'eval', 'internal', 'syntax', 'type', 'unknown-filter', 'unknown-function'].sort());
  });
});

describe('suggest', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
    ['contians', 'contains', 2],
    ['flaw', 'lawn', 2],
    ['same', 'same', 0],
  ])('levenshtein(%j, %j) = %d', (a, b, d) => {
    expect(levenshtein(a, b)).toBe(d);
    expect(levenshtein(b, a)).toBe(d);
  });

  it('stops early past max', () => {
    expect(levenshtein('aaaaaaaa', 'bbbbbbbb', 2)).toBe(3);
    expect(levenshtein('a', 'abcdef', 2)).toBe(3);
  });

  it('suggests the closest candidate, case-insensitively', () => {
    expect(didYouMean('contians', ['contains', 'startsWith'])).toBe('contains');
    expect(didYouMean('STARTSWITH', ['contains', 'startsWith'])).toBe('startsWith');
    expect(didYouMean('uper', ['upper', 'lower'])).toBe('upper');
    expect(didYouMean('xyz', ['contains', 'format'])).toBeUndefined();
    expect(didYouMean('', ['a'])).toBeUndefined();
    expect(didYouMean('a'.repeat(100), ['a'.repeat(99)])).toBeUndefined();
    expect(didYouMean('abc', ['abd', 'abe'])).toBe('abd');
    expect(didYouMean('timeuot', ['timeout'], { maxDistance: 1 })).toBeUndefined();
    expect(fromModule).toBe(didYouMean);
  });

  it('formats a hint', () => {
    expect(suggestionHint('jion', ['join'])).toBe("did you mean 'join'?");
    expect(suggestionHint('qqqq', ['join'])).toBeUndefined();
  });
});
