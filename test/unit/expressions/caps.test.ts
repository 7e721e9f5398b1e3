import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, evaluateExpression, HARD_MAX_DEPTH, parseExpression, renderTemplate, resolveLimits } from '../../../src/expressions/index.js';
import { expectExpressionError } from './helpers.js';

const ctx = { values: { a: { b: 1 } } };

describe('limits', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_LIMITS).toEqual({ maxLength: 10_000, maxDepth: 64, maxTemplates: 1_000, maxValueDepth: 256, maxStringLength: 16 * 1024 * 1024 });
  });

  it('fills invalid entries with defaults and clamps the depth', () => {
    expect(resolveLimits({ maxLength: 5, maxDepth: Number.NaN, maxTemplates: -1 })).toEqual({ ...DEFAULT_LIMITS, maxLength: 5 });
    expect(resolveLimits({ maxDepth: 1e9 }).maxDepth).toBe(HARD_MAX_DEPTH);
    expect(resolveLimits({ maxDepth: 10.7 }).maxDepth).toBe(10);
  });
});

describe('length cap', () => {
  it('rejects sources longer than maxLength', () => {
    const long = `'${'x'.repeat(10_000)}'`;
    const error = expectExpressionError(() => parseExpression(long), 'cap', 10_000);
    expect(error.message).toContain('10002 characters long, more than the limit of 10000');
    expect(parseExpression(`'${'x'.repeat(9_998)}'`).body.kind).toBe('literal');
    expectExpressionError(() => evaluateExpression('a.b', { ...ctx, limits: { maxLength: 2 } }), 'cap', 2);
  });

  it('applies per template, with the offset in the whole text', () => {
    const text = `ok \${{ '${'y'.repeat(10_000)}' }}`;
    expectExpressionError(() => renderTemplate(text, ctx), 'cap', 6 + 10_000);
  });
});

describe('depth cap', () => {
  it.each([
    ['parentheses', (n: number) => '('.repeat(n) + 'a' + ')'.repeat(n)],
    ['not chains', (n: number) => '!'.repeat(n) + 'a'],
    ['index brackets', (n: number) => 'a['.repeat(n) + '0' + ']'.repeat(n)],
    ['call nesting', (n: number) => 'toJson('.repeat(n) + '1' + ')'.repeat(n)],
    ['comparison chains', (n: number) => Array.from({ length: n + 1 }, () => '1').join(' == ')],
  ])('%s: 64 levels pass, 65 fail, 100k never overflow the stack', (_name, build) => {
    expect(() => parseExpression(build(63))).not.toThrow();
    expectExpressionError(() => parseExpression(build(65)), 'cap');
    expectExpressionError(() => parseExpression(build(100_000), { limits: { maxLength: 10_000_000 } }), 'cap');
    expectExpressionError(() => evaluateExpression(build(100_000), { values: {}, limits: { maxLength: 10_000_000, maxDepth: 1e9 } }), 'cap');
  });

  it('counts each ! and each ( as one level', () => {
    expect(() => parseExpression('!('.repeat(32) + 'a' + ')'.repeat(32))).not.toThrow();
    expectExpressionError(() => parseExpression('!('.repeat(33) + 'a' + ')'.repeat(33)), 'cap', 64);
  });

  it('stops at the cap on unclosed parentheses', () => {
    expectExpressionError(() => parseExpression('('.repeat(64)), 'syntax', 64);
    expectExpressionError(() => parseExpression('('.repeat(65)), 'cap', 64);
    expectExpressionError(() => parseExpression('('.repeat(5_000_000), { limits: { maxLength: 1e9 } }), 'cap', 64);
  });

  it('says which cap and where', () => {
    const error = expectExpressionError(() => parseExpression('('.repeat(70) + '1' + ')'.repeat(70)), 'cap', 64);
    expect(error.message).toBe('expression is nested deeper than 64 levels at col 65; simplify it or split it');
  });

  it('honours a lower maxDepth', () => {
    expectExpressionError(() => evaluateExpression('((a))', { ...ctx, limits: { maxDepth: 1 } }), 'cap', 1);
    expect(evaluateExpression('(a.b)', { ...ctx, limits: { maxDepth: 2 } })).toBe(1);
  });

  it('keeps long flat chains cheap (&& / || are n-ary)', () => {
    const chain = Array.from({ length: 1_000 }, () => 'a.b').join(' && ');
    expect(evaluateExpression(chain, ctx)).toBe(1);
    const ors = Array.from({ length: 2_000 }, () => 'x').join(' || ');
    expect(evaluateExpression(ors, ctx)).toBeNull();
  });
});

describe('string length cap', () => {
  const big = { values: { s: 'x'.repeat(1_000), list: Array.from({ length: 100 }, () => 'y'.repeat(100)) } };
  it('stops format, join and mixed templates from building huge strings', () => {
    const limits = { maxStringLength: 5_000 };
    expect(evaluateExpression("format('{0}{0}', s)", { ...big, limits })).toHaveLength(2_000);
    const format = expectExpressionError(() => evaluateExpression("format('{0}{0}{0}{0}{0}{0}', s)", { ...big, limits }), 'cap', 0);
    expect(format.message).toContain('format would build a string longer than 5000 characters');
    expectExpressionError(() => evaluateExpression('join(list)', { ...big, limits }), 'cap', 0);
    expect(evaluateExpression('join(list)', big)).toHaveLength(100 * 101 - 1);
    const text = 'a ${{ s }} ${{ s }} ${{ s }} ${{ s }} ${{ s }} ${{ s }}';
    const fifth = [...text.matchAll(/\$\{\{/g)].map((m) => m.index)[4];
    expectExpressionError(() => renderTemplate(text, { ...big, limits }), 'cap', fifth);
    expect(renderTemplate('${{ s }}${{ s }}', { ...big, limits })).toHaveLength(2_000);
  });

  it('maps a JS string-length RangeError to a cap error', () => {
    const s = 'z'.repeat(2 ** 20);
    // 2^9 copies of a 1 Mi string exceed V8's maximum string length.
    const source = `format('${'{0}'.repeat(600)}', s)`;
    expectExpressionError(() => evaluateExpression(source, { values: { s }, limits: { maxStringLength: Number.MAX_SAFE_INTEGER } }), 'cap');
  });
});
