import { describe, expect, it } from 'vitest';
import { evaluateExpression, parseExpression, evaluateAst, type ExpressionContext } from '../../../src/expressions/index.js';
import { expectExpressionError } from './helpers.js';

const values = {
  params: { name: 'Bob', count: 3, zero: 0, empty: '', flag: true, nothing: null, list: [1, 2, 3], nested: { deep: { x: 'y' } }, 'with-dash': 'd' },
  needs: {
    'main-process': { result: 'failure', outcome: 'failure', outputs: { path: '/tmp/a' } },
    build: { result: 'success', outcome: 'success', outputs: {} },
    test: { result: 'skipped', outcome: 'skipped' },
  },
  matrix: { region: 'eu', shard: 2 },
  arr: [{ a: 1, b: { c: 'x' } }, { a: 2 }, { b: { c: 'z' } }, 5, null],
  nan: Number.NaN,
  Mixed: { Key: 'v' },
  when: new Date('2024-01-02T03:04:05.000Z'),
};
const ctx: ExpressionContext = { values };
const ev = (source: string, c: ExpressionContext = ctx): unknown => evaluateExpression(source, c);

describe('literals', () => {
  it.each([
    ["'text'", 'text'],
    ["'it''s'", "it's"],
    ['"dq"', 'dq'],
    ['42', 42],
    ['-1.5', -1.5],
    ['0x10', 16],
    ['1e2', 100],
    ['true', true],
    ['false', false],
    ['null', null],
  ])('%s', (source, expected) => {
    expect(ev(source)).toBe(expected);
  });
});

describe('property access', () => {
  it.each([
    ['params.name', 'Bob'],
    ["params['name']", 'Bob'],
    ['params["name"]', 'Bob'],
    ['params.list[1]', 2],
    ['params.list[1.7]', 2],
    ['params.list[3]', null],
    ['params.list[-1]', null],
    ["params.list['0']", null],
    ['params.nested.deep.x', 'y'],
    ["params['nested']['deep']['x']", 'y'],
    ['params.with-dash', 'd'],
    ['needs.main-process.result', 'failure'],
    ['needs.main-process.outputs.path', '/tmp/a'],
    ['params.missing', null],
    ['params.missing.deeper', null],
    ['unknownroot', null],
    ['unknownroot.a.b', null],
    ['params.name.length', null],
    ['params.list.length', null],
    ['params.count.x', null],
    ['params[params.name]', null],
    ['matrix[matrix.region]', null],
    ['params.nothing', null],
    ['Mixed.key', 'v'],
    ['mixed.KEY', 'v'],
    ['PARAMS.NAME', 'Bob'],
    ['when.getTime', null],
    ["'abc'[0]", null],
    ['params[1]', null],
    ['fromJson(\'{"a":{"b":[10,20]}}\').a.b[1]', 20],
  ])('%s', (source, expected) => {
    expect(ev(source)).toEqual(expected);
  });

  it('never reads the prototype chain or getters', () => {
    const hostile = {
      plain: { own: 1 },
      list: [1],
      withGetter: Object.defineProperty({}, 'secret', { get: () => 'leaked', enumerable: true }),
      instance: new (class Box {
        value = 'inside';
      })(),
      parsed: JSON.parse('{"__proto__": {"polluted": true}, "constructor": "own"}') as unknown,
    };
    const c: ExpressionContext = { values: hostile };
    for (const source of [
      'plain.constructor',
      'plain.__proto__',
      "plain['__proto__']",
      'plain.toString',
      'plain.hasOwnProperty',
      'plain.constructor.prototype',
      'list.constructor',
      'list.map',
      'list.__proto__',
      'withGetter.secret',
      'instance.value',
      'constructor',
      '__proto__',
      'toString',
      'hasOwnProperty',
      'parsed.polluted',
    ]) {
      expect(ev(source, c), source).toBeNull();
    }
    expect(ev("parsed['__proto__'].polluted", c)).toBe(true);
    expect(ev('parsed.constructor', c)).toBe('own');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('reads roots from an object without prototype', () => {
    const root = Object.assign(Object.create(null) as Record<string, unknown>, { a: { b: 1 } });
    expect(ev('a.b', { values: root })).toBe(1);
  });
});

describe('object filter *', () => {
  it.each([
    ['needs.*.result', ['failure', 'success', 'skipped']],
    ['needs.*.outputs.path', ['/tmp/a']],
    ['arr.*.a', [1, 2]],
    ['arr.*.b.c', ['x', 'z']],
    ['arr[*].b', [{ c: 'x' }, { c: 'z' }]],
    ['params.list.*', [1, 2, 3]],
    ['matrix.*', ['eu', 2]],
    ['params.name.*', []],
    ['missing.*', []],
    ['missing.*.x', []],
    ['needs.*.*', ['failure', 'failure', { path: '/tmp/a' }, 'success', 'success', {}, 'skipped', 'skipped']],
    ["fromJson('[[1,2],[3]]').*[0]", [1, 3]],
    ["fromJson('[[1,2],[3]]').*.*", [1, 2, 3]],
    ['fromJson(\'[{"a":null},{}]\').*.a', [null]],
  ])('%s', (source, expected) => {
    expect(ev(source)).toEqual(expected);
  });

  it('works with contains', () => {
    expect(ev("contains(needs.*.result, 'failure')")).toBe(true);
    expect(ev("contains(needs.*.result, 'cancelled')")).toBe(false);
  });
});

describe('truthiness (via !)', () => {
  it.each([
    ['false', false],
    ['0', false],
    ['-0', false],
    ["''", false],
    ['null', false],
    ['nan', false],
    ['params.missing', false],
    ['true', true],
    ['1', true],
    ['-1', true],
    ["'0'", true],
    ["'false'", true],
    ["' '", true],
    ['params.list', true],
    ["fromJson('[]')", true],
    ["fromJson('{}')", true],
    ['when', true],
  ])('%s is %s', (source, truthy) => {
    expect(ev(`!(${source})`)).toBe(!truthy);
    expect(ev(`!!(${source})`)).toBe(truthy);
  });
});

describe('loose equality (==, !=)', () => {
  it.each([
    ['1 == 1', true],
    ['1 == 2', false],
    ["'abc' == 'ABC'", true],
    ["'abc' == 'abd'", false],
    ["'ı' == 'I'", false],
    ["'1' == 1", true],
    ["'01' == 1", true],
    ["'0x10' == 16", true],
    ["' 2 ' == 2", true],
    ["'' == 0", true],
    ["'abc' == 0", false],
    ['null == 0', true],
    ['null == false', true],
    ['null == null', true],
    ["null == ''", true],
    ['true == 1', true],
    ['false == 0', true],
    ["true == 'true'", false],
    ["true == '1'", true],
    ['true == 2', false],
    ['true == true', true],
    ['nan == nan', false],
    ['nan != nan', true],
    ['params.list == params.list', true],
    ["params.list == fromJson('[1,2,3]')", false],
    ['params.nested == params.nested', true],
    ["params.list == '1,2,3'", false],
    ['params.list == 0', false],
    ['params.missing == null', true],
    ["when == '2024-01-02T03:04:05.000Z'", true],
    ["1 != '1'", false],
    ["'a' != 'b'", true],
    ['-0 == 0', true],
  ])('%s → %s', (source, expected) => {
    expect(ev(source)).toBe(expected);
  });
});

describe('ordering (< <= > >=)', () => {
  it.each([
    ['1 < 2', true],
    ['2 < 1', false],
    ['1 <= 1', true],
    ['2 >= 3', false],
    ['3 > 2', true],
    ["'a' < 'B'", true],
    ["'B' > 'a'", true],
    ["'abc' <= 'ABC'", true],
    ["'abc' >= 'ABC'", true],
    ["'10' < 9", false],
    ["'10' > 9", true],
    ["'x' < 1", false],
    ["'x' >= 1", false],
    ['null < 1', true],
    ['false < true', true],
    ['true > false', true],
    ['true < 2', true],
    ['nan < 1', false],
    ['nan >= nan', false],
    ['params.list < params.list', false],
    ['params.list <= params.list', true],
    ["'2024-01-01' < '2024-02-01'", true],
  ])('%s → %s', (source, expected) => {
    expect(ev(source)).toBe(expected);
  });
});

describe('&& and || return operand values and short-circuit', () => {
  it.each([
    ["'a' && 'b'", 'b'],
    ["'' && 'b'", ''],
    ['0 && x', 0],
    ["null || 'default'", 'default'],
    ["params.name || 'default'", 'Bob'],
    ["params.empty || params.zero || 'last'", 'last'],
    ['params.empty || params.zero', 0],
    ['params.flag && params.count', 3],
    ["true && 'x' || 'y'", 'x'],
    ["false && 'x' || 'y'", 'y'],
    ['params.list && params.nested.deep', { x: 'y' }],
  ])('%s → %j', (source, expected) => {
    expect(ev(source)).toEqual(expected);
  });

  it('does not evaluate the right side once decided', () => {
    // fromJson('bad') would throw if it ran.
    expect(ev("false && fromJson('bad')")).toBe(false);
    expect(ev("true || fromJson('bad')")).toBe(true);
    expectExpressionError(() => ev("true && fromJson('bad')"), 'eval', 8);
  });

  it('! returns a boolean', () => {
    expect(ev('!params.name')).toBe(false);
    expect(ev('!!params.name')).toBe(true);
  });
});

describe('evaluateAst', () => {
  it('evaluates one parsed AST many times against different contexts', () => {
    const ast = parseExpression("matrix.region == 'eu'");
    expect(evaluateAst(ast, { values: { matrix: { region: 'EU' } } })).toBe(true);
    expect(evaluateAst(ast, { values: { matrix: { region: 'us' } } })).toBe(false);
    expect(evaluateAst(ast, { values: {} })).toBe(false);
  });

  it('treats undefined values as null', () => {
    expect(ev('a', { values: { a: undefined } })).toBeNull();
    expect(ev('a.b', { values: { a: { b: undefined } } })).toBeNull();
  });
});
