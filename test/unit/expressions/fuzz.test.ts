/**
 * Property test: whatever the input — random strings (any UTF-16, lone
 * surrogates included), token soups, templates around them, hostile context
 * values — parse, evaluate, render and analyse only ever throw
 * ExpressionError, never a TypeError, RangeError or stack overflow, and never
 * an `internal` one (which would hide a bug).
 *
 * Default: seed 42, 2,000 runs per property. Long mode: TF_FUZZ_RUNS=100000.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  analyzeCondition,
  checkExpression,
  checkTemplate,
  evaluateCondition,
  evaluateExpression,
  ExpressionError,
  FilterRegistry,
  parseExpression,
  parseTemplate,
  renderDeep,
  renderTemplate,
  type ExpressionContext,
} from '../../../src/expressions/index.js';

const RUNS = Number(process.env['TF_FUZZ_RUNS'] ?? '') > 0 ? Number(process.env['TF_FUZZ_RUNS']) : 2_000;
const PARAMS = { seed: 42, numRuns: RUNS };
const TIMEOUT = Math.max(60_000, RUNS * 10);

const VOCABULARY = [
  '(',
  ')',
  '[',
  ']',
  '.',
  '*',
  '!',
  '!!',
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  '&&',
  '||',
  '|',
  ',',
  '=',
  '&',
  '-',
  '+',
  "'",
  '"',
  "''",
  "'a''b'",
  '"x"',
  "'}}'",
  "'${{'",
  '${{',
  '}}',
  '{',
  '}',
  '%',
  '\\',
  '0',
  '1',
  '-1',
  '1.5',
  '.5',
  '1e3',
  '1e999',
  '-0',
  '0x1f',
  '0x',
  '1.2.3',
  'NaN',
  'Infinity',
  'true',
  'false',
  'null',
  'a',
  'b',
  '_x',
  'a-b',
  'params',
  'needs',
  'matrix',
  'env',
  'secrets',
  'main-process',
  'result',
  'outcome',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'length',
  'valueOf',
  'contains',
  'startsWith',
  'endsWith',
  'format',
  'join',
  'toJson',
  'fromJson',
  'always',
  'success',
  'failure',
  'cancelled',
  'nope',
  'fmt',
  'upper',
  'lower',
  'title',
  'abs',
  'str',
  'int',
  'keys',
  'values',
  'coalesce',
  'getitem',
  'getindex',
  'boom',
  'echo',
  "'%Y-%m-%d'",
  "'%Q'",
  "'{0}'",
  "'{1}'",
  "'{'",
  "'}'",
  "'{{0}}'",
  "'[1,2]'",
  '\'{"a":1}\'',
  "'{bad'",
  "'2024-01-01T09:00:00+07:00'",
  ' ',
  '\n',
  '\t',
  '\u0000',
  '\ud800',
  '\udc00',
  '😀',
  'é',
  'ı',
];

const token = fc.constantFrom(...VOCABULARY);
const soup = fc
  .array(token, { maxLength: 40 })
  .chain((tokens) => fc.array(fc.constantFrom('', ' '), { minLength: tokens.length, maxLength: tokens.length }).map((seps) => tokens.map((t, i) => t + (seps[i] ?? '')).join('')));
const anyChar = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
  fc.constantFrom('$', '{', '}', "'", '"', '(', ')', '|', '.', '*', '!', '='),
);
const randomString = fc.array(anyChar, { maxLength: 80 }).map((chars) => chars.join(''));
const source = fc.oneof(
  soup,
  randomString,
  soup.map((s) => `\${{ ${s} }}`),
  fc.tuple(randomString, soup, randomString).map(([a, s, b]) => `${a}\${{${s}}}${b}`),
);

const hostileValue = fc.anything({
  withNullPrototype: true,
  withMap: true,
  withSet: true,
  withBigInt: true,
  withDate: true,
  withTypedArray: true,
  withSparseArray: true,
  withBoxedValues: true,
  withObjectString: true,
  maxDepth: 4,
});

const values = fc.record({
  a: hostileValue,
  params: fc.dictionary(fc.constantFrom('a', 'b', 'day', '__proto__', 'constructor', 'x-y'), hostileValue, { maxKeys: 4 }),
  needs: fc.constant({
    'main-process': { result: 'failure', outcome: 'failure', outputs: { a: [1, { b: 'c' }] } },
    b: { result: 'success', outcome: 'success' },
  }),
  matrix: fc.jsonValue({ maxDepth: 3 }),
});

const filters = new FilterRegistry()
  .registerFilter('boom', () => {
    throw new RangeError('custom filter failure');
  })
  .registerFilter('echo', (v, ...args) => [v, ...args]);

/** Run `fn`; anything thrown must be a positioned, non-internal ExpressionError. */
function onlyExpressionErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof ExpressionError)) {
      throw new Error(`threw ${String((error as Error)?.name)}: ${String((error as Error)?.message)}`, { cause: error });
    }
    expect(error.code).not.toBe('internal');
    expect(error.offset).toBeGreaterThanOrEqual(-1);
    expect(error.offset).toBeLessThanOrEqual(Math.max(error.expression.length, 0));
    expect(typeof error.message).toBe('string');
  }
}

function exercise(text: string, v: Record<string, unknown>): void {
  const plain: ExpressionContext = { values: v, filters };
  const inIf: ExpressionContext = { values: v, filters, status: { success: true, failure: false, cancelled: false } };
  onlyExpressionErrors(() => parseExpression(text));
  onlyExpressionErrors(() => evaluateExpression(text, plain));
  onlyExpressionErrors(() => evaluateExpression(text, inIf));
  onlyExpressionErrors(() => parseTemplate(text));
  onlyExpressionErrors(() => renderTemplate(text, plain));
  onlyExpressionErrors(() => renderTemplate(text, plain, { defer: ['secrets', 'a'] }));
  onlyExpressionErrors(() => evaluateCondition(text, inIf));
  onlyExpressionErrors(() => analyzeCondition(text));
  onlyExpressionErrors(() => renderDeep({ k: [text, { n: text }] }, plain));
  for (const problem of checkExpression(text, { filters })) expect(problem).toBeInstanceOf(ExpressionError);
  for (const problem of checkTemplate(text, { filters })) expect(problem).toBeInstanceOf(ExpressionError);
}

describe(`fuzz (seed 42, ${RUNS} runs per property)`, () => {
  it('token soups and random strings with fixed values', { timeout: TIMEOUT }, () => {
    const v = { params: { a: 1, day: '2024-01-01', list: [1, 'x'], obj: { k: null } }, a: 'text', needs: {}, secrets: { s: 'x' } };
    fc.assert(
      fc.property(source, (text) => exercise(text, v)),
      PARAMS,
    );
  });

  it('token soups against hostile context values', { timeout: TIMEOUT }, () => {
    fc.assert(
      fc.property(soup, values, (text, v) => exercise(text, v)),
      PARAMS,
    );
  });

  it('well-formed paths and filters over hostile values', { timeout: TIMEOUT }, () => {
    const path = fc.array(fc.constantFrom('.a', '.b', '[0]', '[1]', '.*', "['__proto__']", '.constructor', '.day', "['x-y']"), { maxLength: 6 });
    const filter = fc.array(
      fc.constantFrom(
        ...['fmt', 'upper', 'lower', 'title', 'abs', 'str', 'int', 'keys', 'values', 'coalesce(1)', 'getitem(0)', "getitem('a', 2)", 'getindex(0)', 'getindex(-1)', 'echo(1)'].map((f) => ` | ${f}`),
      ),
      { maxLength: 3 },
    );
    const fn = fc.constantFrom('', 'toJson', 'fromJson', 'join', 'format', 'contains');
    const expression = fc.tuple(fc.constantFrom('a', 'params', 'matrix', 'needs'), path, fn, filter).map(([root, steps, f, fs]) => {
      const body = root + steps.join('');
      const call = f === '' ? body : f === 'format' ? `format('{0}', ${body})` : f === 'contains' ? `contains(${body}, 1)` : `${f}(${body})`;
      return call + fs.join('');
    });
    fc.assert(
      fc.property(expression, values, (text, v) => exercise(text, v)),
      PARAMS,
    );
  });

  it('grammar-generated expressions over hostile values', { timeout: TIMEOUT }, () => {
    const { expr } = fc.letrec<{ expr: string; leaf: string }>((tie) => ({
      leaf: fc.oneof(
        fc.constantFrom('a', 'params', 'params.a', 'params.day', "params['x-y']", 'needs.*.result', 'needs.main-process.outputs.a[1].b', 'matrix.*', 'a[0]', 'a.*.*'),
        fc.constantFrom("'x'", "'X'", "''", '0', '1', '-1.5', '0x10', 'true', 'false', 'null', "'2024-01-01'", '\'[1,{"a":2}]\'', "'{0}-{1}'"),
      ),
      expr: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        tie('leaf'),
        fc.tuple(tie('expr'), fc.constantFrom('==', '!=', '<', '<=', '>', '>=', '&&', '||'), tie('expr')).map(([l, op, r]) => `${l} ${op} ${r}`),
        tie('expr').map((e) => `!${e}`),
        tie('expr').map((e) => `(${e})`),
        tie('expr').map((e) => `(${e}).a`),
        fc.tuple(fc.constantFrom('contains', 'startsWith', 'endsWith', 'join', 'format'), tie('expr'), tie('expr')).map(([f, x, y]) => `${f}(${x}, ${y})`),
        fc.tuple(fc.constantFrom('toJson', 'fromJson', 'join', 'format'), tie('expr')).map(([f, x]) => `${f}(${x})`),
        fc.constantFrom('always()', 'success()', 'failure()', 'cancelled()'),
      ),
    }));
    const piped = fc
      .tuple(expr, fc.array(fc.constantFrom(' | upper', ' | int', " | fmt('%Y %z')", ' | keys', ' | str', ' | coalesce(a)', ' | getindex(0)', ' | echo(a)', ' | boom'), { maxLength: 2 }))
      .map(([e, fs]) => e + fs.join(''));
    fc.assert(
      fc.property(piped, values, (text, v) => exercise(text, v)),
      PARAMS,
    );
  });
});
