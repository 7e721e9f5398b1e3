import { describe, expect, it } from 'vitest';
import { analyzeCondition, analyzeExpression, analyzeTemplate, checkExpression, checkTemplate, conditionUsesStatusFunction, FilterRegistry } from '../../../src/expressions/index.js';
import { expectExpressionError } from './helpers.js';

describe('analyzeExpression', () => {
  it('collects references with static paths', () => {
    const a = analyzeExpression("params.a && needs['x-y'].outputs.z[0] || matrix[params.k].v || needs.*.result");
    expect(a.references).toEqual([
      { path: ['params', 'a'], offset: 0 },
      { path: ['needs', 'x-y', 'outputs', 'z', '0'], offset: 12 },
      { path: ['matrix'], offset: 41 },
      { path: ['params', 'k'], offset: 48 },
      { path: ['needs', '*', 'result'], offset: 63 },
    ]);
  });

  it('collects references inside calls, filters and nested bases', () => {
    const a = analyzeExpression('fromJson(env.JSON).a | getitem(extras.key, secrets.D)');
    expect(a.references.map((r) => r.path)).toEqual([
      ['env', 'JSON'],
      ['extras', 'key'],
      ['secrets', 'D'],
    ]);
    expect(a.functions).toEqual([{ name: 'fromJson', args: 1, offset: 0 }]);
    expect(a.filters).toEqual([{ name: 'getitem', args: 2, offset: 23 }]);
  });

  it('reports function calls without checking them', () => {
    const a = analyzeExpression('nope(1, 2) && contains(a, b)');
    expect(a.functions).toEqual([
      { name: 'nope', args: 2, offset: 0 },
      { name: 'contains', args: 2, offset: 14 },
    ]);
  });

  it.each([
    ['always()', true, false],
    ['SUCCESS() && x', true, false],
    ['!cancelled() && failure()', true, false],
    ["needs.build.result == 'failure'", false, true],
    ["needs.main-process.outcome != 'success'", false, true],
    ["contains(needs.*.result, 'failure')", false, true],
    ['NEEDS.b.RESULT', false, true],
    ["needs['b']['result']", false, true],
    ['needs.b.outputs.result', false, false],
    ['needs.b', false, false],
    ['needs', false, false],
    ["params.env == 'prod'", false, false],
    ["format('{0}', needs.a.result)", false, true],
  ])('%s: status=%s needsResult=%s', (source, status, needsResult) => {
    const a = analyzeExpression(source);
    expect(a.usesStatusFunction).toBe(status);
    expect(a.readsNeedsResult).toBe(needsResult);
  });

  it('throws ExpressionError on syntax errors', () => {
    expectExpressionError(() => analyzeExpression('a =='), 'syntax', 4);
  });
});

describe('analyzeTemplate / analyzeCondition', () => {
  it('merges template parts with offsets into the text', () => {
    const a = analyzeTemplate('x ${{ params.a }} y ${{ always() | str }}');
    expect(a.references).toEqual([{ path: ['params', 'a'], offset: 6 }]);
    expect(a.functions).toEqual([{ name: 'always', args: 0, offset: 24 }]);
    expect(a.filters).toEqual([{ name: 'str', args: 0, offset: 35 }]);
    expect(a.usesStatusFunction).toBe(true);
    expect(analyzeTemplate('plain').references).toEqual([]);
  });

  it('positions template syntax errors in the text', () => {
    expectExpressionError(() => analyzeTemplate('ab ${{ a b }}'), 'syntax', 9);
  });

  it('accepts every condition form', () => {
    expect(analyzeCondition('always()').usesStatusFunction).toBe(true);
    expect(analyzeCondition('${{ always() }}').usesStatusFunction).toBe(true);
    expect(analyzeCondition('"${{ needs.a.result }}" == "failure"').readsNeedsResult).toBe(true);
    expect(conditionUsesStatusFunction('${{ failure() }}')).toBe(true);
    expect(conditionUsesStatusFunction("params.x == 'y'")).toBe(false);
  });
});

describe('checkExpression', () => {
  it('returns no problems for a valid expression', () => {
    expect(checkExpression("contains(needs.*.result, 'x') && params.day | fmt('%Y') | upper")).toEqual([]);
  });

  it('reports every unknown function and filter and every wrong arity, in order', () => {
    const problems = checkExpression('contians(1) || startswith(1) || nope() | uper | fmt(1, 2, 3) | zzzzzzzz');
    expect(problems.map((p) => [p.code, p.offset])).toEqual([
      ['unknown-function', 0],
      ['arity', 15],
      ['unknown-function', 32],
      ['unknown-filter', 41],
      ['arity', 48],
      ['unknown-filter', 63],
    ]);
    expect(problems[0]?.message).toBe("unknown function 'contians' at col 1; did you mean 'contains'?");
    expect(problems[1]?.message).toBe("function 'startsWith' called with 1 argument at col 16; it takes exactly 2 arguments");
    expect(problems[2]?.message).toContain('available functions: contains, startsWith');
    expect(problems[3]?.message).toBe("unknown filter 'uper' at col 42; did you mean 'upper'?");
    expect(problems[5]?.message).toContain('available filters: fmt, upper');
    expect(problems.every((p) => p.expression.startsWith('contians'))).toBe(true);
  });

  it('returns the syntax error alone', () => {
    const problems = checkExpression('nope( | x');
    expect(problems).toHaveLength(1);
    expect(problems[0]?.code).toBe('syntax');
  });

  it('uses the given function table and filter registry', () => {
    const filters = new FilterRegistry({ builtins: false }).registerFilter('mine', (v) => v, { minArgs: 1, maxArgs: 1 });
    const problems = checkExpression('hashFiles(a) && contains(a, b) | mine | upper', {
      knownFunctions: { hashFiles: { minArgs: 1, maxArgs: Number.POSITIVE_INFINITY } },
      filters,
    });
    expect(problems.map((p) => [p.code, p.offset])).toEqual([
      ['unknown-function', 16],
      ['arity', 33],
      ['unknown-filter', 40],
    ]);
  });
});

describe('checkTemplate', () => {
  it('checks every template with offsets into the text', () => {
    const problems = checkTemplate('a ${{ nope() }} b ${{ x | uper }}');
    expect(problems.map((p) => [p.code, p.offset, p.expression])).toEqual([
      ['unknown-function', 6, 'a ${{ nope() }} b ${{ x | uper }}'],
      ['unknown-filter', 26, 'a ${{ nope() }} b ${{ x | uper }}'],
    ]);
    expect(checkTemplate('fine ${{ a }}')).toEqual([]);
    expect(checkTemplate('bad ${{ a').map((p) => p.code)).toEqual(['syntax']);
    expect(checkTemplate('bad ${{ a b }}').map((p) => [p.code, p.offset])).toEqual([['syntax', 10]]);
  });
});
