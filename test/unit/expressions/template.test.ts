import { describe, expect, it } from 'vitest';
import { escapeDeep, escapeTemplate, evaluateCondition, parseTemplate, renderDeep, renderTemplate, type ExpressionContext } from '../../../src/expressions/index.js';
import { expectExpressionError } from './helpers.js';

const values = {
  params: { name: 'Bob', count: 3, flag: true, off: false, nothing: null, list: [1, 'a'], obj: { k: 'v' }, day: new Date('2024-01-01T00:00:00Z') },
  matrix: { region: 'eu' },
  secrets: { TOKEN: 's3cret' },
  needs: { build: { result: 'failure' } },
};
const ctx: ExpressionContext = { values };

describe('parseTemplate', () => {
  it('splits text and expressions with offsets', () => {
    expect(parseTemplate('a ${{ x }} b${{y}}')).toEqual([
      { kind: 'text', text: 'a ', offset: 0 },
      { kind: 'expression', source: ' x ', raw: '${{ x }}', offset: 2, sourceOffset: 5 },
      { kind: 'text', text: ' b', offset: 10 },
      { kind: 'expression', source: 'y', raw: '${{y}}', offset: 12, sourceOffset: 15 },
    ]);
  });

  it('returns one text part for plain strings and nothing for empty ones', () => {
    expect(parseTemplate('plain $ {{ x }} ${ x }')).toEqual([{ kind: 'text', text: 'plain $ {{ x }} ${ x }', offset: 0 }]);
    expect(parseTemplate('')).toEqual([]);
  });

  it('does not close a template on }} inside a quoted string', () => {
    const parts = parseTemplate("${{ format('{{0}}', 'a}}b') }}!");
    expect(parts[0]).toMatchObject({ kind: 'expression', source: " format('{{0}}', 'a}}b') " });
    expect(parts[1]).toEqual({ kind: 'text', text: '!', offset: 30 });
    expect(parseTemplate('${{ "x}}" }}')[0]).toMatchObject({ source: ' "x}}" ' });
    expect(parseTemplate("${{ 'it''s}}' }}")[0]).toMatchObject({ source: " 'it''s}}' " });
  });

  it('reports an unterminated template at its ${{', () => {
    const error = expectExpressionError(() => parseTemplate('ok ${{ a }} and ${{ b'), 'syntax', 16);
    expect(error.message).toBe("unterminated '${{' at col 17; end the template with '}}'");
    expect(error.expression).toBe('ok ${{ a }} and ${{ b');
    expect(expectExpressionError(() => parseTemplate("${{ 'a }}"), 'syntax', 0).message).toContain("close the string opened with '");
  });

  it('caps the number of templates', () => {
    const text = '${{ 1 }}'.repeat(1001);
    const error = expectExpressionError(() => parseTemplate(text), 'cap', 8000);
    expect(error.message).toContain('more than 1000 templates');
    expect(parseTemplate('${{ 1 }}'.repeat(1000))).toHaveLength(1000);
    expectExpressionError(() => parseTemplate('${{ 1 }}'.repeat(3), { maxTemplates: 2 }), 'cap', 16);
  });
});

describe('renderTemplate', () => {
  it('keeps the type when the string is exactly one template', () => {
    expect(renderTemplate('${{ params.count }}', ctx)).toBe(3);
    expect(renderTemplate('${{params.flag}}', ctx)).toBe(true);
    expect(renderTemplate('${{ params.list }}', ctx)).toEqual([1, 'a']);
    expect(renderTemplate('${{ params.nothing }}', ctx)).toBeNull();
    expect(renderTemplate('${{ params.missing }}', ctx)).toBeNull();
    expect(renderTemplate('${{ params.day }}', ctx)).toEqual(values.params.day);
  });

  it('renders to a string when anything surrounds the template', () => {
    expect(renderTemplate(' ${{ params.count }}', ctx)).toBe(' 3');
    expect(renderTemplate('${{ params.count }} ', ctx)).toBe('3 ');
    expect(renderTemplate('${{ params.count }}${{ params.count }}', ctx)).toBe('33');
  });

  it.each([
    ['${{ params.flag }}/${{ params.off }}', 'true/false'],
    ['[${{ params.nothing }}][${{ params.missing }}]', '[][]'],
    ['n=${{ params.count }} f=${{ 1.5 }} e=${{ 1e21 }}', 'n=3 f=1.5 e=1e+21'],
    ['${{ params.list }} ${{ params.obj }}', '[1,"a"] {"k":"v"}'],
    ['at ${{ params.day }}', 'at 2024-01-01T00:00:00.000Z'],
    ['Hello ${{ params.name }} in ${{ matrix.region | upper }}', 'Hello Bob in EU'],
    ['${{ \'a\' }}-${{ "b" }}', 'a-b'],
  ])('%s → %j', (text, expected) => {
    expect(renderTemplate(text, ctx)).toBe(expected);
  });

  it('returns strings without templates unchanged', () => {
    const text = 'no templates here: $ { {';
    expect(renderTemplate(text, ctx)).toBe(text);
    expect(renderTemplate('', ctx)).toBe('');
    const huge = 'x'.repeat(5_000_000);
    expect(renderTemplate(huge, ctx)).toBe(huge);
  });

  it('leaves templates of deferred namespaces verbatim', () => {
    const defer = { defer: ['secrets'] };
    expect(renderTemplate('${{ secrets.TOKEN }}', ctx, defer)).toBe('${{ secrets.TOKEN }}');
    expect(renderTemplate('curl -H "${{ secrets.TOKEN }}" ${{ params.name }}', ctx, defer)).toBe('curl -H "${{ secrets.TOKEN }}" Bob');
    expect(renderTemplate("${{ format('{0}-{1}', params.name, secrets.TOKEN) }}!", ctx, defer)).toBe("${{ format('{0}-{1}', params.name, secrets.TOKEN) }}!");
    expect(renderTemplate('${{ SECRETS.token }}', ctx, defer)).toBe('${{ SECRETS.token }}');
    expect(renderTemplate('${{ secrets.TOKEN }}', ctx)).toBe('s3cret');
    expect(renderTemplate('${{ params.name }}', ctx, defer)).toBe('Bob');
    expect(renderTemplate('${{ params.name }}', ctx, { defer: new Set<string>() })).toBe('Bob');
  });

  it('positions errors in the whole text', () => {
    const text = 'pre ${{ params.name | int }} post';
    const error = expectExpressionError(() => renderTemplate(text, ctx), 'type', 22);
    expect(error.expression).toBe(text);
    expect(error.message).toContain('at col 23');
    expectExpressionError(() => renderTemplate('x ${{ a b }}', ctx), 'syntax', 8);
    expectExpressionError(() => renderTemplate('x ${{ }}', ctx), 'syntax', 5);
    expectExpressionError(() => renderTemplate('x ${{ nope() }}', ctx), 'unknown-function', 6);
    expectExpressionError(() => renderTemplate('${{ success() }}', ctx), 'eval', 4);
  });

  it('reports values that cannot be rendered as text', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['me'] = cyclic;
    expectExpressionError(() => renderTemplate('x ${{ v }}', { values: { v: cyclic } }), 'type', 5);
    expect(renderTemplate('${{ v }}', { values: { v: cyclic } })).toBe(cyclic);
  });
});

describe('renderDeep', () => {
  it('renders every string in arrays and objects, not keys', () => {
    const input = {
      '${{ params.name }}': 'key stays',
      a: '${{ params.count }}',
      b: ['x-${{ matrix.region }}', 1, true, null, { c: '${{ params.list }}' }],
      d: new Date(0),
    };
    expect(renderDeep(input, ctx)).toEqual({
      '${{ params.name }}': 'key stays',
      a: 3,
      b: ['x-eu', 1, true, null, { c: [1, 'a'] }],
      d: new Date(0),
    });
    expect(input.a).toBe('${{ params.count }}');
  });

  it('passes scalars through and renders a lone string', () => {
    expect(renderDeep(5, ctx)).toBe(5);
    expect(renderDeep(null, ctx)).toBeNull();
    expect(renderDeep('${{ params.flag }}', ctx)).toBe(true);
  });

  it('honours defer', () => {
    expect(renderDeep({ env: { T: '${{ secrets.TOKEN }}', N: '${{ params.name }}' } }, ctx, { defer: ['secrets'] })).toEqual({
      env: { T: '${{ secrets.TOKEN }}', N: 'Bob' },
    });
  });

  it('keeps a __proto__ key as data', () => {
    const input = JSON.parse('{"__proto__": {"x": "${{ params.name }}"}}') as unknown;
    const out = renderDeep(input, ctx) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ x: 'Bob' });
  });

  it('rejects cycles and runaway nesting', () => {
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expectExpressionError(() => renderDeep(cyclic, ctx), 'type');
    let deep: unknown = 'x';
    for (let i = 0; i < 50_000; i++) deep = [deep];
    expectExpressionError(() => renderDeep(deep, ctx), 'cap');
    const shared = { s: '${{ params.name }}' };
    expect(renderDeep([shared, shared], ctx)).toEqual([{ s: 'Bob' }, { s: 'Bob' }]);
  });
});

describe('evaluateCondition', () => {
  const withStatus: ExpressionContext = { values, status: { success: false, failure: true, cancelled: false } };
  it.each([
    ["params.name == 'bob'", true],
    ["${{ params.name == 'bob' }}", true],
    ["  ${{ params.name == 'alice' }}  ", false],
    ['params.count', true],
    ['params.nothing', false],
    ["'${{ params.name }}' == 'Bob'", true],
    ['"${{ params.name }}" == "foo"', false],
    ['${{ params.count }} > 2', true],
    ['${{ params.flag }} && ${{ params.off }}', false],
    ['${{ params.count }}', true],
    ["${{ '' }}", false],
    ['${{ 0 }}', false],
    ["${{ 'false' }}", true],
  ])('%s → %s', (text, expected) => {
    expect(evaluateCondition(text, ctx)).toBe(expected);
  });

  it('gives status functions their answers', () => {
    expect(evaluateCondition('failure()', withStatus)).toBe(true);
    expect(evaluateCondition('${{ success() }}', withStatus)).toBe(false);
    expect(evaluateCondition("${{ failure() }} && '${{ needs.build.result }}' == 'failure'", withStatus)).toBe(true);
    expect(evaluateCondition('always()', withStatus)).toBe(true);
  });

  it('reports problems as ExpressionError', () => {
    expectExpressionError(() => evaluateCondition('', ctx), 'syntax', 0);
    expectExpressionError(() => evaluateCondition('a ==', ctx), 'syntax', 4);
    expectExpressionError(() => evaluateCondition('${{ a == }}', ctx), 'syntax', 9);
    expectExpressionError(() => evaluateCondition('${{ a }', ctx), 'syntax', 0);
    expectExpressionError(() => evaluateCondition('x ${{ params.name }} y', ctx), 'syntax');
    expectExpressionError(() => evaluateCondition(42 as unknown as string, ctx), 'type');
  });
});

describe('escapeTemplate and escapeDeep', () => {
  const hostile = ['${{ secrets.TOKEN }}', "a ${{ 'x' }} b", '${{', '${{}}', '$${{ 1 }}', "${{'", 'x }} ${{ y', '${{ ${{ }} }}'];

  it.each(hostile)('rendering the escaped text %j gives the text back, unevaluated', (text) => {
    expect(renderTemplate(escapeTemplate(text), { values: {} })).toBe(text);
  });

  it('escapes every string of a value, keys aside, and leaves other values alone', () => {
    const body = { ref: '${{ env.HOME }}', n: 3, list: ['${{ 1 + 1 }}', true, null], nested: { '${{ key }}': 'ok' } };
    const escaped = escapeDeep(body);
    expect(renderDeep(escaped, { values: {} })).toEqual(body);
  });

  it('refuses nesting past the value depth cap', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 300; i++) deep = [deep];
    expect(() => escapeDeep(deep)).toThrow(/nested deeper/);
  });
});
