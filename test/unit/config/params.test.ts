/** Params: every type, defaults, required, undeclared, and ParamError's shape. */
import { describe, expect, it } from 'vitest';
import { coerceParam, parameterize } from '../../../src/config/params.js';
import type { ParamSpec } from '../../../src/engine/spec.js';
import { ParamError } from '../../../src/errors.js';

const p = (name: string, type: ParamSpec['type'], extra: Partial<ParamSpec> = {}): ParamSpec => ({ name, type, required: true, loc: 'f.yml:1:1', ...extra });

describe('coerceParam', () => {
  const cases: [ParamSpec['type'], unknown, unknown][] = [
    ['str', 'a', 'a'],
    ['str', 3, '3'],
    ['int', '42', 42],
    ['int', -7, -7],
    ['float', '2.5', 2.5],
    ['decimal', '10.50', '10.50'],
    ['decimal', 1.25, '1.25'],
    ['bool', 'true', true],
    ['bool', 'no', false],
    ['bool', false, false],
    ['date', '2024-02-29', '2024-02-29'],
    ['datetime', '2024-01-01T09:00:00+07:00', '2024-01-01T09:00:00+07:00'],
    ['datetime', '2024-01-01 09:00', '2024-01-01T09:00:00Z'],
    ['datetime', '2024-01-01T09:00:00.123-0500', '2024-01-01T09:00:00.123-05:00'],
    ['map', '{"a":1}', { a: 1 }],
    ['array', '[1,2]', [1, 2]],
    ['array', ['x'], ['x']],
  ];
  for (const [type, input, expected] of cases) {
    it(`${type}: ${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => {
      expect(coerceParam({ type }, input)).toEqual({ value: expected });
    });
  }
  const bad: [ParamSpec['type'], unknown][] = [
    ['int', '4.2'],
    ['int', 'x'],
    ['float', 'abc'],
    ['decimal', '1,5'],
    ['bool', 'maybe'],
    ['date', '2023-02-29'],
    ['datetime', '2024-13-01T00:00:00Z'],
    ['map', '[1]'],
    ['array', '{'],
    ['str', { a: 1 }],
  ];
  for (const [type, input] of bad) {
    it(`${type}: rejects ${JSON.stringify(input)}`, () => {
      expect(coerceParam({ type }, input)).toHaveProperty('error');
    });
  }
  it("datetime takes every form Python's datetime.fromisoformat takes", () => {
    const forms: [string, string][] = [
      ['2024-01-01', '2024-01-01T00:00:00Z'],
      ['20240101', '2024-01-01T00:00:00Z'],
      ['2024-01-01T09', '2024-01-01T09:00:00Z'],
      ['2024-01-01T09:30', '2024-01-01T09:30:00Z'],
      ['20240101T093015', '2024-01-01T09:30:15Z'],
      ['2024-01-01T09:30:15,5+07', '2024-01-01T09:30:15.5+07:00'],
      ['2024-01-01T09:30:15+0530', '2024-01-01T09:30:15+05:30'],
      ['2024-01-01t09:30:15z', '2024-01-01T09:30:15Z'],
    ];
    for (const [input, expected] of forms) expect(coerceParam({ type: 'datetime' }, input), input).toEqual({ value: expected });
  });
  it('datetime without an offset is in the param tz, DST included', () => {
    expect(coerceParam({ type: 'datetime', tz: 'Asia/Bangkok' }, '2024-01-01')).toEqual({ value: '2024-01-01T00:00:00+07:00' });
    expect(coerceParam({ type: 'datetime', tz: 'America/New_York' }, '2024-07-01 09:00')).toEqual({ value: '2024-07-01T09:00:00-04:00' });
    expect(coerceParam({ type: 'datetime', tz: 'America/New_York' }, '2024-01-01 09:00')).toEqual({ value: '2024-01-01T09:00:00-05:00' });
    expect(coerceParam({ type: 'datetime', tz: 'Asia/Bangkok' }, '2024-01-01T09:00Z')).toEqual({ value: '2024-01-01T09:00:00Z' });
  });
  it('date takes a datetime and drops the time', () => {
    expect(coerceParam({ type: 'date' }, '2024-01-31T23:30:00+07:00')).toEqual({ value: '2024-01-31' });
    expect(coerceParam({ type: 'date' }, '2024-01-31 08:00')).toEqual({ value: '2024-01-31' });
    expect(coerceParam({ type: 'date' }, '20240131')).toEqual({ value: '2024-01-31' });
    expect(coerceParam({ type: 'date' }, new Date('2024-01-31T08:00:00Z'))).toEqual({ value: '2024-01-31' });
  });
  it('a bad date or datetime lists the accepted forms', () => {
    const bad = coerceParam({ type: 'datetime' }, 'tomorrow');
    expect(bad).toHaveProperty('error');
    expect((bad as { error: string }).error).toContain('2024-01-31 (midnight)');
    expect((bad as { error: string }).error).toContain('2024-01-31T09:00:00+07:00');
    expect((coerceParam({ type: 'date' }, '31/01/2024') as { error: string }).error).toContain('2024-01-31 or 20240131');
    expect(coerceParam({ type: 'datetime' }, '2024-01-01T09:00+7')).toHaveProperty('error');
  });
  it('choice accepts only its options', () => {
    expect(coerceParam({ type: 'choice', options: ['mon', 'tue'] }, 'tue')).toEqual({ value: 'tue' });
    expect(coerceParam({ type: 'choice', options: ['mon', 'tue'] }, 'wed')).toEqual({ error: 'expected one of "mon", "tue" (choice), got "wed"' });
  });
});

describe('parameterize', () => {
  const specs = [p('input', 'str'), p('size', 'int', { default: 10, required: false }), p('note', 'str', { required: false })];

  it('applies defaults and nulls optional params', () => {
    expect(parameterize(specs, { input: 'x' })).toEqual({ input: 'x', size: 10, note: null });
  });

  it('names the missing param, its type, and how to pass it', () => {
    try {
      parameterize(specs, {});
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ParamError);
      expect((e as ParamError).paramName).toBe('input');
      expect((e as ParamError).message).toBe("param 'input': required str param is missing; pass it with -p input=<value>");
    }
  });

  it('lists every bad param at once, each with where it is declared', () => {
    try {
      parameterize(specs, { size: 'big', extra: 1 });
      expect.unreachable();
    } catch (e) {
      const problems = (e as ParamError).problems;
      expect(problems.map((q) => [q.paramName, q.location])).toEqual([
        ['extra', undefined],
        ['input', specs[0]!.loc],
        ['size', specs[1]!.loc],
      ]);
      expect((e as ParamError).paramName).toBe('extra');
      expect((e as ParamError).message).toMatch(/^param 'extra': not declared .*; param 'input': required .*; param 'size': expected an integer/);
    }
  });

  it('names the bad value and the expected type', () => {
    expect(() => parameterize(specs, { input: 'x', size: 'big' })).toThrowError('param \'size\': expected an integer (int), got "big"');
  });

  it('rejects undeclared params unless allowed', () => {
    expect(() => parameterize(specs, { input: 'x', extra: 1 })).toThrowError(/'extra': not declared/);
    expect(parameterize(specs, { input: 'x', extra: 1 }, { allowUndeclared: true })).toMatchObject({ extra: 1 });
  });
});

describe('params from YAML', () => {
  it('coerces CLI strings of every type', () => {
    const cases: [ParamSpec['type'], string, unknown][] = [
      ['int', ' 12 ', 12],
      ['float', '1e3', 1000],
      ['bool', 'ON', true],
      ['bool', '0', false],
      ['decimal', ' -0.10 ', '-0.10'],
      ['datetime', '2024-02-29T23:59:59Z', '2024-02-29T23:59:59Z'],
      ['map', '{"a":{"b":[1]}}', { a: { b: [1] } }],
    ];
    for (const [type, input, expected] of cases) expect(coerceParam({ type }, input)).toEqual({ value: expected });
  });

  it('matches choice options given as numbers from CLI strings', () => {
    expect(coerceParam({ type: 'choice', options: [1, 2] }, '2')).toEqual({ value: 2 });
  });

  it('turns Date values into ISO strings with their offset', () => {
    expect(coerceParam({ type: 'datetime' }, new Date('2024-01-01T09:00:00Z'))).toEqual({ value: '2024-01-01T09:00:00.000Z' });
  });

  it('rejects out-of-range and malformed values', () => {
    for (const [type, input] of [
      ['int', String(2 ** 60)],
      ['float', 'Infinity'],
      ['datetime', '2024-01-01T24:00:00Z'],
      ['date', '2024-1-1'],
      ['map', [1]],
      ['array', { a: 1 }],
      ['bool', 2],
    ] as [ParamSpec['type'], unknown][]) {
      expect(coerceParam({ type }, input), `${type} ${JSON.stringify(input)}`).toHaveProperty('error');
    }
  });

  it('reports an invalid default with its position', () => {
    expect(() => parameterize([p('n', 'int', { default: 'x', required: false, loc: 'wf.yml:4:7' })], {})).toThrowError(/'n': default value is invalid: .*wf\.yml:4:7/);
  });

  it('keeps undeclared params as given when allowed', () => {
    expect(parameterize([], { a: '1', b: [2] }, { allowUndeclared: true })).toEqual({ a: '1', b: [2] });
    expect(() => parameterize([], { a: '1' })).toThrowError(/declared: none/);
  });
});
