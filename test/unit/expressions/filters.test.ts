import { describe, expect, it } from 'vitest';
import { BUILTIN_FILTER_NAMES, defaultFilters, evaluateExpression, ExpressionError, FilterRegistry, parseIsoDateTime, strftime, type ExpressionContext } from '../../../src/expressions/index.js';
import { expectExpressionError } from './helpers.js';

const values = {
  params: {
    day: '2024-01-01T09:00:00+07:00',
    naive: '2024-03-05T14:07:09.123456',
    utc: '2024-12-31T23:59:59Z',
    date: '2024-02-29',
    jsDate: new Date('2023-07-04T05:06:07.089Z'),
    name: 'hello wORLD',
    n: -3.9,
    s: '3.9',
    obj: { a: 1, b: 'two' },
    list: ['x', 'y', 'z'],
    nothing: null,
  },
};
const ctx: ExpressionContext = { values };
const ev = (source: string, c: ExpressionContext = ctx): unknown => evaluateExpression(source, c);

describe('fmt', () => {
  it.each([
    ["params.day | fmt('%H %z')", '09 +0700'],
    ["params.day | fmt('%Y-%m-%d')", '2024-01-01'],
    ['params.day | fmt', '2024-01-01 09:00:00'],
    ["params.day | fmt('%a %A %b %B %j %y %w')", 'Mon Monday Jan January 001 24 1'],
    ["params.day | fmt('%I %p %Z')", '09 AM UTC+07:00'],
    ["params.naive | fmt('%H:%M:%S.%f %z %Z')", '14:07:09.123456 +0000 UTC'],
    ["params.naive | fmt('%I%p %e %F %T')", '02PM  5 2024-03-05 14:07:09'],
    ["params.utc | fmt('%j %a %z %Z')", '366 Tue +0000 UTC'],
    ["params.date | fmt('%Y-%m-%d %H:%M %A')", '2024-02-29 00:00 Thursday'],
    ["params.jsDate | fmt('%Y-%m-%dT%H:%M:%S.%f%z')", '2023-07-04T05:06:07.089000+0000'],
    ["'2024-06-15T00:30:00-05:30' | fmt('%d %H:%M %z %Z')", '15 00:30 -0530 UTC-05:30'],
    ["'2024-06-15T12:00:00+0200' | fmt('%I %p %z')", '12 PM +0200'],
    ["'2024-06-15 12:00' | fmt('%H:%M:%S')", '12:00:00'],
    ["'2000-01-01T00:00:00.5Z' | fmt('%f')", '500000'],
    ["'1999-12-31' | fmt('%a %j %%d 100%%')", 'Fri 365 %d 100%'],
    ["'0001-01-01' | fmt('%Y %a')", '0001 Mon'],
    ["'2100-03-01' | fmt('%a %j')", 'Mon 060'],
  ])('%s → %j', (source, expected) => {
    expect(ev(source)).toBe(expected);
  });

  it.each([
    ["'not a date' | fmt", 'type'],
    ['42 | fmt', 'type'],
    ['null | fmt', 'type'],
    ["'2024-13-01' | fmt", 'type'],
    ["'2023-02-29' | fmt", 'type'],
    ["'2024-01-01T24:00:00' | fmt", 'type'],
    ["'2024-01-01T09:00:00+25:00' | fmt", 'type'],
    ["params.day | fmt('%Q')", 'eval'],
    ["params.day | fmt('%')", 'eval'],
    ['params.day | fmt(1)', 'type'],
  ] as const)('rejects %s (%s)', (source, code) => {
    const error = expectExpressionError(() => ev(source), code);
    expect(error.offset).toBe(source.indexOf('fmt'));
  });

  it('rejects an invalid Date', () => {
    expectExpressionError(() => ev('d | fmt', { values: { d: new Date(Number.NaN) } }), 'type', 4);
  });

  it('parses ISO datetimes strictly and keeps the offset', () => {
    expect(parseIsoDateTime('2024-01-01T09:00:00+07:00')).toMatchObject({ hour: 9, offsetMinutes: 420, zone: 'offset' });
    expect(parseIsoDateTime('2024-01-01T09:00Z')).toMatchObject({ minute: 0, zone: 'utc' });
    expect(parseIsoDateTime('2024-01-01')).toMatchObject({ hour: 0, zone: 'naive' });
    expect(parseIsoDateTime('2024-1-1')).toBeUndefined();
    expect(parseIsoDateTime('x'.repeat(100))).toBeUndefined();
    expect(strftime(parseIsoDateTime('2024-01-01T21:05:00')!, '%I:%M %p')).toBe('09:05 PM');
    expect(strftime(parseIsoDateTime('2024-01-01T00:05:00')!, '%I %p')).toBe('12 AM');
  });
});

describe('string and number filters', () => {
  it.each([
    ['params.name | upper', 'HELLO WORLD'],
    ['params.name | lower', 'hello world'],
    ['params.name | title', 'Hello World'],
    ['"they\'re bill\'s friends" | title', "They'Re Bill'S Friends"],
    ["'a1b2-c' | title", 'A1B2-C'],
    ['params.n | abs', 3.9],
    ["'-2' | abs", 2],
    ['true | abs', 1],
    ['params.n | int', -3],
    ['params.s | int', 3],
    ["'-0.5' | int", 0],
    ["' 42 ' | int", 42],
    ['true | int', 1],
    ["'1e3' | int", 1000],
    ['params.obj | str', '{"a":1,"b":"two"}'],
    ['null | str', ''],
    ['1.5 | str', '1.5'],
    ['params.name | upper | lower | title', 'Hello World'],
    ['12 | upper', '12'],
  ])('%s → %j', (source, expected) => {
    expect(ev(source)).toEqual(expected);
  });

  it.each([
    ["'abc' | int", 'type', "cannot convert a string 'abc' to an integer"],
    ['null | int', 'type', 'null'],
    ["'' | int", 'type', ''],
    ["'1e999' | int", 'type', ''],
    ['params.obj | int', 'type', 'an object'],
    ["'x' | abs", 'type', 'expects a number'],
    ['null | abs', 'type', ''],
  ] as const)('rejects %s', (source, code, fragment) => {
    const error = expectExpressionError(() => ev(source), code);
    expect(error.message).toContain(fragment);
  });
});

describe('collection filters', () => {
  it.each([
    ['params.obj | keys', ['a', 'b']],
    ['params.obj | values', [1, 'two']],
    ["params.nothing | coalesce('d')", 'd'],
    ["params.missing | coalesce('d')", 'd'],
    ["params.name | coalesce('d')", 'hello wORLD'],
    ["'' | coalesce('d')", ''],
    ["params.obj | getitem('b')", 'two'],
    ["params.obj | getitem('zz', 'fallback')", 'fallback'],
    ["params.obj | getitem('zz')", null],
    ["params.obj | getitem('constructor', 'safe')", 'safe'],
    ['params.list | getitem(1)', 'y'],
    ['params.list | getindex(0)', 'x'],
    ['params.list | getindex(-1)', 'z'],
    ["params.list | getindex('2')", 'z'],
    ['params.obj | keys | getindex(1) | upper', 'B'],
  ])('%s → %j', (source, expected) => {
    expect(ev(source)).toEqual(expected);
  });

  it.each([
    ['params.list | keys', 'type'],
    ["'s' | values", 'type'],
    ["'s' | getitem('a')", 'type'],
    ['params.obj | getindex(0)', 'type'],
    ['params.list | getindex(3)', 'eval'],
    ['params.list | getindex(-4)', 'eval'],
    ['params.list | getindex(0.5)', 'type'],
  ] as const)('rejects %s (%s)', (source, code) => {
    expectExpressionError(() => ev(source), code, source.lastIndexOf('|') + 2);
  });
});

describe('filter errors', () => {
  it('reports unknown filters with a suggestion at the filter name', () => {
    const error = expectExpressionError(() => ev('params.name | uper'), 'unknown-filter', 14);
    expect(error.message).toBe("unknown filter 'uper' at col 15; did you mean 'upper'?");
  });

  it('checks filters before evaluating (even on a short-circuited value)', () => {
    expectExpressionError(() => ev('false && x | nonsense'), 'unknown-filter', 13);
  });

  it('checks filter arity', () => {
    const error = expectExpressionError(() => ev('1 | upper(1)'), 'arity', 4);
    expect(error.message).toContain("filter 'upper' called with 1 argument");
    expectExpressionError(() => ev('1 | coalesce'), 'arity', 4);
    expectExpressionError(() => ev("1 | fmt('a', 'b')"), 'arity', 4);
  });

  it('looks filter names up case-insensitively', () => {
    expect(ev("'a' | UPPER")).toBe('A');
  });

  it('distinguishes | (pipe) from || (or)', () => {
    expect(ev("null || 'x' | upper")).toBe('X');
    expectExpressionError(() => ev("'a' | upper || 'b'"), 'syntax');
  });
});

describe('FilterRegistry', () => {
  it('starts with the built-ins', () => {
    expect(new FilterRegistry().names()).toEqual([...BUILTIN_FILTER_NAMES]);
    expect(BUILTIN_FILTER_NAMES).toEqual(['fmt', 'upper', 'lower', 'title', 'abs', 'str', 'int', 'keys', 'values', 'coalesce', 'getitem', 'getindex']);
    expect(new FilterRegistry({ builtins: false }).names()).toEqual([]);
  });

  it('registers custom filters used through the context', () => {
    const registry = new FilterRegistry().registerFilter('double', (v) => Number(v) * 2, { minArgs: 0, maxArgs: 0 });
    registry.registerFilter('wrap', (v, left, right) => `${String(left)}${String(v)}${String(right ?? left)}`, { minArgs: 1, maxArgs: 2 });
    expect(ev('21 | double', { values: {}, filters: registry })).toBe(42);
    expect(ev("'x' | wrap('[', ']') | upper", { values: {}, filters: registry })).toBe('[X]');
    expect(ev("'x' | wrap('*')", { values: {}, filters: registry })).toBe('*x*');
    expectExpressionError(() => ev("'x' | wrap", { values: {}, filters: registry }), 'arity', 6);
    expectExpressionError(() => ev('21 | double', ctx), 'unknown-filter', 5);
    expect(registry.has('DOUBLE')).toBe(true);
  });

  it('wraps errors thrown by custom filters', () => {
    const registry = new FilterRegistry({ builtins: false })
      .registerFilter('boom', () => {
        throw new TypeError('kaput');
      })
      .registerFilter('strict', () => {
        throw new ExpressionError('type', 'strict wants a string', { hint: 'pass a string' });
      })
      .registerFilter('nothing', () => undefined);
    const boom = expectExpressionError(() => ev('1 | boom', { values: {}, filters: registry }), 'eval', 4);
    expect(boom.message).toBe("filter 'boom' failed: kaput at col 5");
    expect(boom.cause).toBeInstanceOf(TypeError);
    const strict = expectExpressionError(() => ev('1 | strict', { values: {}, filters: registry }), 'type', 4);
    expect(strict.message).toBe('strict wants a string at col 5; pass a string');
    expect(ev('1 | nothing', { values: {}, filters: registry })).toBeNull();
  });

  it('validates registrations', () => {
    const registry = new FilterRegistry();
    expect(() => registry.registerFilter('upper', (v) => v)).toThrow(/already registered/);
    expect(() => registry.registerFilter('upper', (v) => `!${String(v)}`, { override: true })).not.toThrow();
    expect(ev("'a' | upper", { values: {}, filters: registry })).toBe('!a');
    expect(() => registry.registerFilter('bad name', (v) => v)).toThrow(TypeError);
    expect(() => registry.registerFilter('1x', (v) => v)).toThrow(TypeError);
    expect(() => registry.registerFilter('x', 'nope' as never)).toThrow(TypeError);
    expect(() => registry.registerFilter('x', (v) => v, { minArgs: 2, maxArgs: 1 })).toThrow(TypeError);
    expect(() => registry.registerFilter('x', (v) => v, { minArgs: -1 })).toThrow(TypeError);
    expect(() => registry.registerFilter('x', (v) => v, { minArgs: 0.5 })).toThrow(TypeError);
  });

  it('keeps the default registry sealed; clones are independent', () => {
    expect(defaultFilters.isSealed).toBe(true);
    expect(() => defaultFilters.registerFilter('x', (v) => v)).toThrow(/sealed/);
    const copy = defaultFilters.clone().registerFilter('x', (v) => v);
    expect(copy.has('x')).toBe(true);
    expect(defaultFilters.has('x')).toBe(false);
    expect(copy.isSealed).toBe(false);
  });

  it('never resolves prototype names as filters', () => {
    expectExpressionError(() => ev('1 | constructor'), 'unknown-filter', 4);
    expectExpressionError(() => ev('1 | __proto__'), 'unknown-filter', 4);
    expectExpressionError(() => ev('1 | toString'), 'unknown-filter', 4);
  });
});
