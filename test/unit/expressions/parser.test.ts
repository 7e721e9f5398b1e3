import { describe, expect, it } from 'vitest';
import { parseExpression, type Node } from '../../../src/expressions/index.js';
import { expectExpressionError } from './helpers.js';

/** A compact S-expression of the AST, to check shape and precedence. */
function show(node: Node): string {
  switch (node.kind) {
    case 'literal':
      return JSON.stringify(node.value);
    case 'root':
      return node.name;
    case 'not':
      return `(! ${show(node.operand)})`;
    case 'compare':
      return `(${node.op} ${show(node.left)} ${show(node.right)})`;
    case 'logical':
      return `(${node.op} ${node.operands.map(show).join(' ')})`;
    case 'call':
      return `${node.name}(${node.args.map(show).join(', ')})`;
    case 'path':
      return `${show(node.base)}${node.segments.map((s) => (s.type === 'property' ? `.${s.name}` : s.type === 'star' ? '.*' : `[${show(s.index)}]`)).join('')}`;
  }
}

const tree = (source: string): string => show(parseExpression(source).body);

describe('parseExpression', () => {
  it.each([
    ['a || b && c', '(|| a (&& b c))'],
    ['a && b || c && d', '(|| (&& a b) (&& c d))'],
    ['a == b && c != d', '(&& (== a b) (!= c d))'],
    ['a < b == c >= d', '(== (< a b) (>= c d))'],
    ['!a == b', '(== (! a) b)'],
    ['!!a', '(! (! a))'],
    ['!(a == b)', '(! (== a b))'],
    ['(a || b) && c', '(&& (|| a b) c)'],
    ['a || b || c', '(|| a b c)'],
    ['a == b == c', '(== (== a b) c)'],
    ['a <= b', '(<= a b)'],
    ['a > b', '(> a b)'],
    ["needs.main-process.result == 'failure'", '(== needs.main-process.result "failure")'],
    ["a['b'][0].c", 'a["b"][0].c'],
    ['needs.*.result', 'needs.*.result'],
    ['a[*].b', 'a.*.b'],
    ['a[b.c]', 'a[b.c]'],
    ['a.true.null', 'a.true.null'],
    ['true', 'true'],
    ['null', 'null'],
    ['False', 'False'],
    ["contains(a, 'b')", 'contains(a, "b")'],
    ['CONTAINS(a, b)', 'CONTAINS(a, b)'],
    ['fromJson(x).a[0]', 'fromJson(x).a[0]'],
    ['(a).b', 'a.b'],
    ["'abc'[0]", '"abc"[0]'],
    ['always()', 'always()'],
    ["format('{0}', a, b, c)", 'format("{0}", a, b, c)'],
  ])('%s', (source, expected) => {
    expect(tree(source)).toBe(expected);
  });

  it('parses filters after the whole expression, left to right', () => {
    const ast = parseExpression("a || b | fmt('%Y') | upper | getitem('k', 1)");
    expect(show(ast.body)).toBe('(|| a b)');
    expect(ast.filters.map((f) => [f.name, f.args.length, f.offset])).toEqual([
      ['fmt', 1, 9],
      ['upper', 0, 21],
      ['getitem', 2, 29],
    ]);
  });

  it('records node offsets', () => {
    const ast = parseExpression("  a.b == 'x'");
    expect(ast.body.offset).toBe(2);
    expect(ast.body.end).toBe(12);
    expect(ast.body.kind === 'compare' && ast.body.opOffset).toBe(6);
  });

  it.each([
    ['', 0, 'empty expression'],
    ['   ', 0, 'empty expression'],
    ['a ==', 4, 'ends where a value is expected'],
    ['(a', 2, "expected ')'"],
    ['a)', 1, "unexpected ')'"],
    ['a b', 2, 'unexpected'],
    ['a.', 2, "after '.'"],
    ['a.1', 2, "after '.'"],
    ['a[1', 3, "expected ']'"],
    ['a[]', 2, 'expected a value'],
    ['contains(a,', 11, 'ends where a value is expected'],
    ['contains(a b)', 11, "expected ')'"],
    ['a |', 3, 'filter name'],
    ['a | 1', 4, 'filter name'],
    ['a | upper(', 10, 'ends where a value is expected'],
    ['a | upper b', 10, 'unexpected'],
    ['(a | upper)', 3, "expected ')'"],
    [',', 0, 'expected a value'],
  ])('rejects %j at col %d', (source, offset, fragment) => {
    const error = expectExpressionError(() => parseExpression(source), 'syntax', offset);
    expect(error.message).toContain(fragment);
    expect(error.message).toContain(`at col ${offset + 1}`);
  });

  it('rejects unknown functions with a suggestion', () => {
    const error = expectExpressionError(() => parseExpression('contians(a, b)'), 'unknown-function', 0);
    expect(error.message).toBe("unknown function 'contians' at col 1; did you mean 'contains'?");
    expect(expectExpressionError(() => parseExpression('x || frobnicate()'), 'unknown-function', 5).message).toContain('available functions');
  });

  it('does not let prototype names pass as functions', () => {
    expectExpressionError(() => parseExpression('constructor()'), 'unknown-function', 0);
    expectExpressionError(() => parseExpression('__proto__()'), 'unknown-function', 0);
    expectExpressionError(() => parseExpression('toString()'), 'unknown-function', 0);
  });

  it.each([
    ['contains(a)', "function 'contains' called with 1 argument", 'exactly 2 arguments'],
    ['startsWith(a, b, c)', 'called with 3 arguments', 'exactly 2'],
    ['join()', 'called with 0 arguments', '1 to 2 arguments'],
    ['format()', 'called with 0 arguments', 'at least 1 argument'],
    ['always(1)', 'called with 1 argument', 'exactly 0 arguments'],
    ['toJson(a, b)', 'called with 2 arguments', 'exactly 1 argument'],
  ])('checks the arity of %s', (source, what, hint) => {
    const error = expectExpressionError(() => parseExpression(source), 'arity', 0);
    expect(error.message).toContain(what);
    expect(error.message).toContain(hint);
  });

  it('skips function checks when asked (for static analysis)', () => {
    expect(parseExpression('nope(1, 2)', { checkFunctions: false }).body.kind).toBe('call');
  });

  it('returns an immutable-shaped AST reusable across evaluations', () => {
    const ast = parseExpression('a');
    expect(ast.source).toBe('a');
    expect(ast.filters).toEqual([]);
  });
});
