import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, combinationLabel, DEFAULT_MAX_COMBINATIONS, expandMatrix, MatrixError, stableHash, type MatrixCombination, type MatrixInput } from '../../../src/engine/matrix.js';

/** The plain values of an expansion, for readable assertions. */
function values(input: MatrixInput, opts?: { maxCombinations?: number }): Array<Record<string, unknown>> {
  return expandMatrix(input, opts).map((c) => ({ ...c.matrix }));
}

function expectMatrixError(fn: () => unknown, code: string, ...fragments: string[]): MatrixError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MatrixError);
    const e = error as MatrixError;
    expect(e.name).toBe('MatrixError');
    expect(e.code).toBe(code);
    for (const fragment of fragments) expect(e.message).toContain(fragment);
    return e;
  }
  throw new Error('expected a MatrixError');
}

describe('expandMatrix: cartesian product', () => {
  const cases: Array<{ name: string; input: MatrixInput; expected: Array<Record<string, unknown>> }> = [
    {
      name: 'first key outermost',
      input: { matrix: { os: ['a', 'b'], v: [1, 2] } },
      expected: [
        { os: 'a', v: 1 },
        { os: 'a', v: 2 },
        { os: 'b', v: 1 },
        { os: 'b', v: 2 },
      ],
    },
    {
      name: 'three keys',
      input: { matrix: { a: [1, 2], b: ['x'], c: [true, false] } },
      expected: [
        { a: 1, b: 'x', c: true },
        { a: 1, b: 'x', c: false },
        { a: 2, b: 'x', c: true },
        { a: 2, b: 'x', c: false },
      ],
    },
    { name: 'one key', input: { matrix: { region: ['us', 'eu'] } }, expected: [{ region: 'us' }, { region: 'eu' }] },
    { name: 'an empty list gives no combinations', input: { matrix: { a: [1, 2], b: [] } }, expected: [] },
    { name: 'no keys gives no combinations', input: { matrix: {} }, expected: [] },
    {
      name: 'object and list values are kept as they are',
      input: { matrix: { cfg: [{ node: 20, npm: 10 }, [1, 2]], n: [null] } },
      expected: [
        { cfg: { node: 20, npm: 10 }, n: null },
        { cfg: [1, 2], n: null },
      ],
    },
  ];
  it.each(cases)('$name', ({ input, expected }) => {
    expect(values(input)).toEqual(expected);
  });

  it('numbers the combinations in order', () => {
    const out = expandMatrix({ matrix: { a: [1, 2, 3] } });
    expect(out.map((c) => c.index)).toEqual([0, 1, 2]);
  });

  it('does not mutate its input', () => {
    const input = { matrix: { a: [1, 2], include: [{ a: 1, x: 'y' }] }, exclude: [{ a: 2 }] };
    const before = JSON.stringify(input);
    expandMatrix(input);
    expect(JSON.stringify(input)).toBe(before);
  });
});

describe('expandMatrix: exclude', () => {
  const cases: Array<{ name: string; input: MatrixInput; expected: Array<Record<string, unknown>> }> = [
    {
      name: 'full match',
      input: { matrix: { os: ['linux', 'windows'], arch: ['x64', 'x86'] }, exclude: [{ os: 'linux', arch: 'x86' }] },
      expected: [
        { os: 'linux', arch: 'x64' },
        { os: 'windows', arch: 'x64' },
        { os: 'windows', arch: 'x86' },
      ],
    },
    {
      name: 'partial match removes every combination with that value',
      input: { matrix: { os: ['linux', 'windows'], arch: ['x64', 'x86'] }, exclude: [{ os: 'windows' }] },
      expected: [
        { os: 'linux', arch: 'x64' },
        { os: 'linux', arch: 'x86' },
      ],
    },
    {
      name: 'inside matrix, GitHub style',
      input: { matrix: { os: ['linux', 'windows'], exclude: [{ os: 'linux' }] } },
      expected: [{ os: 'windows' }],
    },
    {
      name: 'both places are merged',
      input: { matrix: { n: [1, 2, 3], exclude: [{ n: 1 }] }, exclude: [{ n: 3 }] },
      expected: [{ n: 2 }],
    },
    {
      name: 'object values are compared deeply, key order ignored',
      input: {
        matrix: {
          cfg: [
            { node: 20, npm: 10 },
            { node: 22, npm: 10 },
          ],
        },
        exclude: [{ cfg: { npm: 10, node: 20 } }],
      },
      expected: [{ cfg: { node: 22, npm: 10 } }],
    },
    {
      name: 'a partial object is not equal',
      input: { matrix: { cfg: [{ node: 20, npm: 10 }] }, exclude: [{ cfg: { node: 20 } }] },
      expected: [{ cfg: { node: 20, npm: 10 } }],
    },
    {
      name: 'types are strict: 1 is not "1"',
      input: { matrix: { n: [1, '1'] }, exclude: [{ n: '1' }] },
      expected: [{ n: 1 }],
    },
    {
      name: 'a value not in the matrix excludes nothing',
      input: { matrix: { n: [1, 2] }, exclude: [{ n: 9 }] },
      expected: [{ n: 1 }, { n: 2 }],
    },
  ];
  it.each(cases)('$name', ({ input, expected }) => {
    expect(values(input)).toEqual(expected);
  });
});

describe('expandMatrix: include', () => {
  it("implements GitHub's documented example (fruit / animal / color / shape)", () => {
    const out = values({
      matrix: {
        fruit: ['apple', 'pear'],
        animal: ['cat', 'dog'],
        include: [{ color: 'green' }, { color: 'pink', animal: 'cat' }, { fruit: 'apple', shape: 'circle' }, { fruit: 'banana' }, { fruit: 'banana', animal: 'cat' }],
      },
    });
    expect(out).toEqual([
      { fruit: 'apple', animal: 'cat', color: 'pink', shape: 'circle' },
      { fruit: 'apple', animal: 'dog', color: 'green', shape: 'circle' },
      { fruit: 'pear', animal: 'cat', color: 'pink' },
      { fruit: 'pear', animal: 'dog', color: 'green' },
      { fruit: 'banana' },
      { fruit: 'banana', animal: 'cat' },
    ]);
  });

  it("implements GitHub's 'expanding configurations' example (os / node / npm)", () => {
    const out = values({
      matrix: { os: ['windows-latest', 'ubuntu-latest'], node: [14, 16], include: [{ os: 'windows-latest', node: 16, npm: 6 }] },
    });
    expect(out).toEqual([
      { os: 'windows-latest', node: 14 },
      { os: 'windows-latest', node: 16, npm: 6 },
      { os: 'ubuntu-latest', node: 14 },
      { os: 'ubuntu-latest', node: 16 },
    ]);
  });

  it("implements GitHub's 'adding configurations' example (include-only matrix)", () => {
    const out = values({
      matrix: {
        include: [
          { site: 'production', datacenter: 'site-a' },
          { site: 'staging', datacenter: 'site-b' },
        ],
      },
    });
    expect(out).toEqual([
      { site: 'production', datacenter: 'site-a' },
      { site: 'staging', datacenter: 'site-b' },
    ]);
  });

  const cases: Array<{ name: string; input: MatrixInput; expected: Array<Record<string, unknown>> }> = [
    {
      name: 'never overwrites an original value',
      input: { matrix: { os: ['linux'] }, include: [{ os: 'mac', extra: 1 }] },
      expected: [{ os: 'linux' }, { os: 'mac', extra: 1 }],
    },
    {
      name: 'a later include overwrites an added value',
      input: { matrix: { os: ['linux'] }, include: [{ tag: 'a' }, { tag: 'b' }] },
      expected: [{ os: 'linux', tag: 'b' }],
    },
    {
      name: 'unmatched entries put original keys first',
      input: { matrix: { os: ['linux'], arch: ['x64'] }, include: [{ color: 'red', arch: 'arm' }] },
      expected: [
        { os: 'linux', arch: 'x64' },
        { arch: 'arm', color: 'red' },
      ],
    },
    {
      name: 'runs after exclude, so it can add an excluded combination back',
      input: { matrix: { n: [1, 2] }, exclude: [{ n: 2 }], include: [{ n: 2 }] },
      expected: [{ n: 1 }, { n: 2 }],
    },
    {
      name: 'does not merge into an excluded combination',
      input: { matrix: { n: [1, 2] }, exclude: [{ n: 2 }], include: [{ n: 2, x: true }] },
      expected: [{ n: 1 }, { n: 2, x: true }],
    },
    {
      name: 'with an empty list, every include is appended',
      input: { matrix: { n: [] }, include: [{ n: 1 }, { x: 2 }] },
      expected: [{ n: 1 }, { x: 2 }],
    },
    {
      name: 'include entries from both places, matrix first',
      input: { matrix: { include: [{ a: 1 }] }, include: [{ a: 2 }] },
      expected: [{ a: 1 }, { a: 2 }],
    },
    {
      name: 'matches object values deeply',
      input: { matrix: { cfg: [{ a: 1, b: 2 }, { a: 3 }] }, include: [{ cfg: { b: 2, a: 1 }, big: true }] },
      expected: [{ cfg: { a: 1, b: 2 }, big: true }, { cfg: { a: 3 } }],
    },
    {
      name: 'an entry only with new keys goes into every combination',
      input: { matrix: { n: [1, 2] }, include: [{ env: 'ci' }] },
      expected: [
        { n: 1, env: 'ci' },
        { n: 2, env: 'ci' },
      ],
    },
  ];
  it.each(cases)('$name', ({ input, expected }) => {
    expect(values(input)).toEqual(expected);
  });
});

describe('expandMatrix: hostile keys', () => {
  it('treats __proto__ and constructor as ordinary keys', () => {
    const matrix = JSON.parse('{"__proto__": ["a", "b"], "constructor": [1]}') as Record<string, unknown>;
    const include = JSON.parse('[{"__proto__": "a", "toString": "x"}]') as unknown[];
    const out = expandMatrix({ matrix, include });
    expect(out).toHaveLength(2);
    const first = out[0]?.matrix;
    expect(Object.getPrototypeOf(first)).toBeNull();
    expect(Object.keys(first ?? {})).toEqual(['__proto__', 'constructor', 'toString']);
    expect(first?.['__proto__']).toBe('a');
    expect(first?.['toString']).toBe('x');
    expect(Object.prototype.hasOwnProperty.call(out[1]?.matrix, 'toString')).toBe(false);
    // nothing leaked into Object.prototype
    expect(({} as Record<string, unknown>)['toString']).toBe(Object.prototype.toString);
  });

  it('excludes on a __proto__ key', () => {
    const matrix = JSON.parse('{"__proto__": ["a", "b"]}') as Record<string, unknown>;
    const exclude = JSON.parse('[{"__proto__": "a"}]') as unknown[];
    expect(values({ matrix, exclude })).toEqual([JSON.parse('{"__proto__": "b"}')]);
  });
});

describe('expandMatrix: errors', () => {
  it('a key that is not a list is a matrix-shape error naming the key', () => {
    const e = expectMatrixError(() => expandMatrix({ matrix: { region: 'us' } }), 'matrix-shape', 'region', 'must be a list');
    expect(e.path).toBe('matrix.region');
  });

  it.each([
    ['a string (unevaluated expression)', '${{ fromJson(x) }}'],
    ['a list', [1, 2]],
    ['null', null],
  ])('a matrix that is %s is a matrix-shape error', (_label, matrix) => {
    const e = expectMatrixError(() => expandMatrix({ matrix: matrix as unknown as Record<string, unknown> }), 'matrix-shape', 'mapping');
    expect(e.path).toBe('matrix');
  });

  it.each<[string, MatrixInput, string[]]>([
    ['include not a list', { matrix: { a: [1] }, include: { a: 1 } as unknown as unknown[] }, ['include', 'list']],
    ['include inside matrix not a list', { matrix: { a: [1], include: 'x' } }, ['matrix.include', 'list']],
    ['include entry not a mapping', { matrix: { a: [1] }, include: ['a'] }, ['include[0]', 'mapping']],
    ['empty include entry', { matrix: { a: [1] }, include: [{}] }, ['include[0]', 'empty']],
    ['exclude entry not a mapping', { matrix: { a: [1] }, exclude: [[1]] }, ['exclude[0]', 'mapping']],
    ['empty exclude entry', { matrix: { a: [1] }, exclude: [{}] }, ['exclude[0]', 'empty']],
    ['exclude key not in the matrix', { matrix: { a: [1] }, exclude: [{ b: 1 }] }, ['"b"', 'not a key of the matrix', 'a']],
  ])('%s', (_label, input, fragments) => {
    expectMatrixError(() => expandMatrix(input), 'matrix-shape', ...fragments);
  });

  it('a cyclic value is a matrix-shape error, not a stack overflow', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expectMatrixError(() => expandMatrix({ matrix: { a: [cyclic] } }), 'matrix-shape', 'cyclic');
  });

  it('a value nested 10,000 levels deep is a matrix-shape error', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expectMatrixError(() => expandMatrix({ matrix: { a: [deep] } }), 'matrix-shape', 'nested');
  });

  it('an undefined value is a matrix-shape error', () => {
    expectMatrixError(() => expandMatrix({ matrix: { a: [undefined] } }), 'matrix-shape', 'matrix.a[0]', 'JSON value');
  });

  it('a huge product is refused before it is generated, with the exact count', () => {
    const list = Array.from({ length: 100 }, (_, i) => i);
    const matrix: Record<string, unknown> = {};
    for (let k = 0; k < 20; k++) matrix[`k${k}`] = list;
    const started = performance.now();
    const e = expectMatrixError(() => expandMatrix({ matrix }), 'matrix-cap', `1${'0'.repeat(40)}`, '4096', 'raise');
    expect(performance.now() - started).toBeLessThan(100);
    expect(e.path).toBe('matrix');
  });

  it('the cap applies to the product even when excludes would shrink it', () => {
    expectMatrixError(() => expandMatrix({ matrix: { a: [1, 2, 3], b: [1, 2] }, exclude: [{ a: 1 }] }, { maxCombinations: 5 }), 'matrix-cap', '6 combinations', 'cap of 5');
  });

  it('the cap applies to the final count (include entries appended)', () => {
    expectMatrixError(() => expandMatrix({ matrix: { a: [1, 2] }, include: [{ a: 3 }, { a: 4 }] }, { maxCombinations: 3 }), 'matrix-cap', '4 combinations', 'cap of 3');
  });

  it('exactly the cap is allowed', () => {
    expect(expandMatrix({ matrix: { a: [1, 2], b: [1, 2] } }, { maxCombinations: 4 })).toHaveLength(4);
    expect(expandMatrix({ matrix: { a: Array.from({ length: 4096 }, (_, i) => i) } })).toHaveLength(DEFAULT_MAX_COMBINATIONS);
  });

  it.each([-1, 1.5, Number.NaN])('rejects maxCombinations %s', (cap) => {
    expect(() => expandMatrix({ matrix: { a: [1] } }, { maxCombinations: cap })).toThrow(RangeError);
  });
});

describe('keys and labels', () => {
  it('keys are 12 hex chars and do not depend on key order', () => {
    const [a] = expandMatrix({ matrix: { region: ['us'], shard: [1] } });
    const [b] = expandMatrix({ matrix: { shard: [1], region: ['us'] } });
    expect(a?.key).toMatch(/^[0-9a-f]{12}$/);
    expect(a?.key).toBe(b?.key);
    expect(a?.key).toBe(stableHash(canonicalJson({ shard: 1, region: 'us' })).slice(0, 12));
  });

  it('keys are pinned (changing them breaks reruns of old runs)', () => {
    expect(expandMatrix({ matrix: { region: ['us'], shard: [1] } })[0]?.key).toBe('bee070f26a8b');
    expect(stableHash('{"region":"us","shard":1}').slice(0, 12)).toBe('bee070f26a8b');
    expect(expandMatrix({ matrix: { region: ['us', 'eu'] } }).map((c) => c.key)).toEqual(['96366955c414', 'e77abed24194']);
  });

  it('repeated combinations get unique, suffixed keys', () => {
    const out = expandMatrix({ matrix: { a: [1, 1, 1] } });
    const base = out[0]?.key ?? '';
    expect(out.map((c) => c.key)).toEqual([base, `${base}-2`, `${base}-3`]);
  });

  it.each([
    ['', 'cbf29ce484222325'],
    ['a', 'af63dc4c8601ec8c'],
    ['foobar', '85944171f73967e8'],
  ])('stableHash(%j) is FNV-1a 64', (text, hex) => {
    expect(stableHash(text)).toBe(hex);
  });

  it('stableHash encodes UTF-8 (astral characters, lone surrogates)', () => {
    expect(stableHash('é')).not.toBe(stableHash('e'));
    expect(stableHash('😀')).toMatch(/^[0-9a-f]{16}$/);
    expect(stableHash('\ud800')).toBe(stableHash('\ufffd'));
  });

  it.each<[string, MatrixCombination, string]>([
    ['strings raw, in key order', { region: 'us', shard: 1 }, 'region=us,shard=1'],
    ['other values as canonical JSON', { cfg: { b: 1, a: [true, null] }, s: 'x y' }, 'cfg={"a":[true,null],"b":1},s=x y'],
    ['empty', {}, ''],
  ])('combinationLabel: %s', (_label, matrix, expected) => {
    expect(combinationLabel(matrix)).toBe(expected);
  });

  it('combinationLabel truncates to 100 chars with an ellipsis', () => {
    const label = combinationLabel({ a: 'x'.repeat(500), b: 'y' });
    expect(label).toHaveLength(100);
    expect(label.endsWith('…')).toBe(true);
    expect(label.startsWith('a=xxx')).toBe(true);
  });

  it('combinationLabel never splits a surrogate pair', () => {
    const label = combinationLabel({ a: `${'x'.repeat(96)}😀😀😀` }, 100);
    expect(label).toBe(`a=${'x'.repeat(96)}…`);
  });
});

describe('canonicalJson', () => {
  it.each<[string, unknown, string]>([
    ['sorted keys', { b: 1, a: { d: 2, c: 3 } }, '{"a":{"c":3,"d":2},"b":1}'],
    ['arrays keep order', [3, 1, 2], '[3,1,2]'],
    ['undefined dropped from objects', { a: undefined, b: 1 }, '{"b":1}'],
    ['undefined is null in arrays', [undefined], '[null]'],
    ['non-finite numbers are null', [Number.NaN, Infinity], '[null,null]'],
    ['-0 is 0', -0, '0'],
    ['bigint as an integer', 12n, '12'],
    ['toJSON honoured', new Date(0), '"1970-01-01T00:00:00.000Z"'],
    ['__proto__ is a key', JSON.parse('{"__proto__": 1}'), '{"__proto__":1}'],
    ['escapes strings', 'a"\n', '"a\\"\\n"'],
  ])('%s', (_label, value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it('a shared (non-cyclic) reference is fine', () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });

  it('throws TypeError on cycles', () => {
    const a: unknown[] = [];
    a.push(a);
    expect(() => canonicalJson(a)).toThrow(TypeError);
  });
});

describe('properties', () => {
  const list = fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 4 }), fc.boolean()), { maxLength: 4 });
  // keys start with a letter: JS objects put integer-like keys first whatever the YAML order
  const dims = fc.uniqueArray(
    fc.string({ maxLength: 6 }).map((k) => `k${k}`),
    {
      minLength: 1,
      maxLength: 4,
    },
  );

  it('without include/exclude, the count is the product of the list lengths', () => {
    fc.assert(
      fc.property(dims, fc.array(list, { minLength: 4, maxLength: 4 }), (keys, lists) => {
        const matrix: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
        keys.forEach((k, i) => (matrix[k] = lists[i]));
        const expected = keys.reduce((n, _k, i) => n * (lists[i]?.length ?? 0), 1);
        const out = expandMatrix({ matrix });
        expect(out).toHaveLength(expected);
        // every combination has exactly the matrix keys, in matrix order
        for (const c of out) expect(Object.keys(c.matrix)).toEqual(keys);
        // keys are unique
        expect(new Set(out.map((c) => c.key)).size).toBe(out.length);
      }),
      { seed: 42 },
    );
  });

  it('keys are stable when the matrix keys are reordered', () => {
    fc.assert(
      fc.property(dims, fc.array(list, { minLength: 4, maxLength: 4 }), (keys, lists) => {
        const forward: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
        const backward: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
        keys.forEach((k, i) => (forward[k] = lists[i]));
        [...keys].reverse().forEach((k) => (backward[k] = forward[k]));
        const a = new Set(expandMatrix({ matrix: forward }).map((c) => c.key));
        const b = new Set(expandMatrix({ matrix: backward }).map((c) => c.key));
        expect(b).toEqual(a);
      }),
      { seed: 42 },
    );
  });

  it('canonicalJson ignores key order and round-trips through JSON.parse', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
        expect(canonicalJson(JSON.parse(JSON.stringify(value)))).toBe(text);
      }),
      { seed: 42 },
    );
  });

  it('exclude removes exactly the matching combinations', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 4 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 5 }),
        (a, b, excluded) => {
          const all = values({ matrix: { a, b } });
          const kept = values({ matrix: { a, b }, exclude: [{ a: excluded }] });
          expect(kept).toEqual(all.filter((c) => c['a'] !== excluded));
        },
      ),
      { seed: 42 },
    );
  });
});

describe('stableHash against a BigInt reference', () => {
  function reference(text: string): string {
    let h = 0xcbf29ce484222325n;
    for (const byte of new TextEncoder().encode(text)) {
      h ^= BigInt(byte);
      h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
    }
    return h.toString(16).padStart(16, '0');
  }
  it('agrees on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
        expect(stableHash(text)).toBe(reference(text));
      }),
      { seed: 42 },
    );
  });
});
