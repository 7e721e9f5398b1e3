import { describe, expect, it } from 'vitest';
import { evaluateExpression, FUNCTION_ARITIES, FUNCTION_NAMES, lookupFunction, type ExpressionContext } from '../../../src/expressions/index.js';
import { expectExpressionError } from './helpers.js';

const values = {
  params: { name: 'Hello World', list: ['a', 'B', 3, true, null], nums: [1, 2], obj: { k: 'v' }, json: '{"a": [1, 2]}', empty: [] },
};
const ctx: ExpressionContext = { values };
const ev = (source: string, c: ExpressionContext = ctx): unknown => evaluateExpression(source, c);

describe('function table', () => {
  it('lists every built-in with its arity', () => {
    expect(FUNCTION_NAMES).toEqual(['contains', 'startsWith', 'endsWith', 'format', 'join', 'toJson', 'fromJson', 'always', 'success', 'failure', 'cancelled']);
    expect(FUNCTION_ARITIES['format']).toEqual({ minArgs: 1, maxArgs: Number.POSITIVE_INFINITY });
    expect(FUNCTION_ARITIES['join']).toEqual({ minArgs: 1, maxArgs: 2 });
  });

  it('looks names up case-insensitively and only among built-ins', () => {
    expect(lookupFunction('TOJSON')?.name).toBe('toJson');
    expect(lookupFunction('constructor')).toBeUndefined();
    expect(lookupFunction('hasOwnProperty')).toBeUndefined();
  });

  it('calls functions whatever the case', () => {
    expect(ev("CONTAINS('abc', 'B')")).toBe(true);
    expect(ev("StartsWith('abc', 'A')")).toBe(true);
    expect(ev('TOJSON(1)')).toBe('1');
  });
});

describe('contains', () => {
  it.each([
    ["contains('Hello World', 'world')", true],
    ["contains('Hello World', 'xyz')", false],
    ["contains('abc', '')", true],
    ["contains(params.list, 'b')", true],
    ["contains(params.list, 'a')", true],
    ["contains(params.list, 'c')", false],
    ['contains(params.list, 3)', true],
    ["contains(params.list, '3')", true],
    ['contains(params.list, 1)', true],
    ['contains(params.list, null)', true],
    ['contains(params.nums, 3)', false],
    ['contains(params.empty, null)', false],
    ['contains(123, 2)', true],
    ["contains(true, 'ru')", true],
    ["contains(null, '')", true],
    ["contains(params.obj, 'k')", true],
  ])('%s → %s', (source, expected) => {
    expect(ev(source)).toBe(expected);
  });
});

describe('startsWith / endsWith', () => {
  it.each([
    ["startsWith('Hello', 'he')", true],
    ["startsWith('Hello', 'lo')", false],
    ["endsWith('Hello', 'LO')", true],
    ["endsWith('Hello', 'he')", false],
    ['startsWith(123, 1)', true],
    ["endsWith(null, '')", true],
    ["startsWith('', 'a')", false],
  ])('%s → %s', (source, expected) => {
    expect(ev(source)).toBe(expected);
  });
});

describe('format', () => {
  it.each([
    ["format('{0} {1}', 'a', 'b')", 'a b'],
    ["format('{1}{0}{1}', 'a', 'b')", 'bab'],
    ["format('{{0}} is {0}', 'x')", '{0} is x'],
    ["format('}}{{')", '}{'],
    ["format('plain')", 'plain'],
    ["format('{0}', null)", ''],
    ["format('{0}-{1}-{2}', true, 1.5, params.obj)", 'true-1.5-{"k":"v"}'],
    ["format('{0}', params.list)", '["a","B",3,true,null]'],
    ["format('{00}', 'x')", 'x'],
    ["format('{10}', 0,1,2,3,4,5,6,7,8,9,'ten')", 'ten'],
    ['format(12)', '12'],
  ])('%s → %j', (source, expected) => {
    expect(ev(source)).toBe(expected);
  });

  it.each([
    ["format('{1}', 'a')", 'refers to argument 1 but only 1 value was given'],
    ["format('{0}')", 'no value was given'],
    ["format('{', 'a')", "'{' must start a placeholder"],
    ["format('{a}', 'a')", "'{' must start a placeholder"],
    ["format('{0', 'a')", "'{' must start a placeholder"],
    ["format('x}', 'a')", "unmatched '}'"],
  ])('rejects %s', (source, fragment) => {
    const error = expectExpressionError(() => ev(source), 'eval', 0);
    expect(error.message).toContain(fragment);
  });
});

describe('join', () => {
  it.each([
    ['join(params.list)', 'a,B,3,true,'],
    ["join(params.list, ' | ')", 'a | B | 3 | true | '],
    ["join(params.nums, '')", '12'],
    ['join(params.empty)', ''],
    ["join('single', '-')", 'single'],
    ['join(null)', ''],
    ["join(fromJson('[[1,2],{\"a\":1}]'), ';')", '[1,2];{"a":1}'],
  ])('%s → %j', (source, expected) => {
    expect(ev(source)).toBe(expected);
  });
});

describe('toJson / fromJson', () => {
  it('pretty-prints with 2 spaces', () => {
    expect(ev('toJson(params.obj)')).toBe('{\n  "k": "v"\n}');
    expect(ev('toJson(params.nums)')).toBe('[\n  1,\n  2\n]');
    expect(ev('toJson(params.empty)')).toBe('[]');
    expect(ev("toJson('s')")).toBe('"s"');
    expect(ev('toJson(null)')).toBe('null');
    expect(ev('toJson(missing)')).toBe('null');
  });

  it('serialises odd values safely', () => {
    const c: ExpressionContext = {
      values: {
        odd: { n: Number.NaN, inf: Number.POSITIVE_INFINITY, u: undefined, f: () => 1, d: new Date(0), bad: new Date(Number.NaN), big: 10n },
        arr: [undefined, () => 1],
      },
    };
    expect(ev('toJson(odd)', c)).toBe('{\n  "n": null,\n  "inf": null,\n  "d": "1970-01-01T00:00:00.000Z",\n  "bad": null,\n  "big": 10\n}');
    expect(ev('toJson(arr)', c)).toBe('[\n  null,\n  null\n]');
  });

  it('reports cycles and runaway nesting as ExpressionError', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    expectExpressionError(() => ev('toJson(v)', { values: { v: cyclic } }), 'type', 0);
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expectExpressionError(() => ev('toJson(v)', { values: { v: deep } }), 'cap', 0);
    expect(ev('toJson(v)', { values: { v: [[[1]]] }, limits: { maxValueDepth: 3 } })).toBe('[\n  [\n    [\n      1\n    ]\n  ]\n]');
    expectExpressionError(() => ev('toJson(v)', { values: { v: [[[[1]]]] }, limits: { maxValueDepth: 3 } }), 'cap');
  });

  it('parses JSON and passes non-strings through', () => {
    expect(ev('fromJson(params.json)')).toEqual({ a: [1, 2] });
    expect(ev("fromJson('true')")).toBe(true);
    expect(ev("fromJson('3')")).toBe(3);
    expect(ev("fromJson('null')")).toBeNull();
    expect(ev('fromJson(params.obj)')).toEqual({ k: 'v' });
    expect(ev('fromJson(42)')).toBe(42);
    expect(ev('fromJson(null)')).toBeNull();
    expect(ev('fromJson(toJson(params.list))')).toEqual(values.params.list);
  });

  it('rejects invalid JSON with an eval error at the call', () => {
    const error = expectExpressionError(() => ev("x || fromJson('{bad')"), 'eval', 5);
    expect(error.message).toContain("fromJson could not parse '{bad'");
    expectExpressionError(() => ev("fromJson('')"), 'eval', 0);
  });

  it('keeps __proto__ keys of parsed JSON as plain data', () => {
    expect(ev('fromJson(\'{"__proto__": {"x": 1}}\').x')).toBeNull();
    expect(ev('fromJson(\'{"__proto__": {"x": 1}}\').__proto__.x')).toBe(1);
  });
});

describe('status functions', () => {
  const status = { success: false, failure: true, cancelled: false };
  it.each([
    ['always()', true],
    ['success()', false],
    ['failure()', true],
    ['cancelled()', false],
    ['SUCCESS() || failure()', true],
    ["failure() && 'yes'", 'yes'],
  ])('%s → %s', (source, expected) => {
    expect(ev(source, { values, status })).toBe(expected);
  });

  it('always() is true even without status answers', () => {
    expect(ev('always()')).toBe(true);
  });

  it.each(['success()', 'failure()', 'cancelled()'])('%s outside `if` is an error', (source) => {
    const error = expectExpressionError(() => ev(`true && ${source}`), 'eval', 8);
    expect(error.message).toContain('status functions are only available in `if`');
  });
});
