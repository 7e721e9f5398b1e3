import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeDag, descendants, MAX_REPORTED_CYCLES, type DagProblem, type JobGraph } from '../../../src/engine/dag.js';
import { boundedLevenshtein, suggestName } from '../../../src/engine/suggest-name.js';

/** Builds a graph from `id: needs` pairs, keeping their order. */
function g(spec: Record<string, string[] | string>): Record<string, { needs: string[] }> {
  const out = Object.create(null) as Record<string, { needs: string[] }>;
  for (const [id, needs] of Object.entries(spec)) out[id] = { needs: typeof needs === 'string' ? needs.split(' ').filter(Boolean) : needs };
  return out;
}

function codes(problems: DagProblem[]): string[] {
  return problems.map((p) => `${p.code}@${p.job}${p.needIndex === undefined ? '' : `#${p.needIndex}`}`);
}

/** The cycles analyzeDag reports, each as its jobs in path order. */
function cycles(jobs: JobGraph): string[][] {
  return analyzeDag(jobs).problems.flatMap((p) => (p.code === 'cycle' && p.members ? [p.members] : []));
}

function chain(length: number): Map<string, { needs: string[] }> {
  const jobs = new Map<string, { needs: string[] }>();
  for (let i = 0; i < length; i++) jobs.set(`j${i}`, { needs: i === 0 ? [] : [`j${i - 1}`] });
  return jobs;
}

describe('analyzeDag: problems', () => {
  it('accepts a valid graph', () => {
    expect(analyzeDag(g({ a: '', b: 'a', c: 'a b' })).problems).toEqual([]);
  });

  it('accepts an empty workflow', () => {
    expect(analyzeDag({})).toEqual({ problems: [], order: [] });
  });

  it('reports every unknown need, with a suggestion', () => {
    const { problems } = analyzeDag(g({ build: '', test: 'biuld', deploy: 'test nope tset' }));
    expect(codes(problems)).toEqual(['unknown-need@test#0', 'unknown-need@deploy#1', 'unknown-need@deploy#2']);
    expect(problems[0]?.message).toBe("job 'test' needs 'biuld', which is not a job of this workflow; did you mean 'build'?");
    expect(problems[1]?.message).toBe("job 'deploy' needs 'nope', which is not a job of this workflow");
    expect(problems[2]?.message).toContain("did you mean 'test'?");
  });

  it('suggests case-insensitively', () => {
    const { problems } = analyzeDag(g({ Build: '', test: 'build' }));
    expect(problems[0]?.message).toContain("did you mean 'Build'?");
  });

  it('reports a self-need (not also as a cycle)', () => {
    const { problems } = analyzeDag(g({ a: '', b: 'a b' }));
    expect(codes(problems)).toEqual(['self-need@b#1']);
    expect(problems[0]?.message).toBe("job 'b' needs itself; remove 'b' from its needs");
  });

  it('reports a cycle with its members in path order', () => {
    const { problems } = analyzeDag(g({ root: '', a: 'root c', b: 'a', c: 'b' }));
    expect(problems).toEqual([
      {
        code: 'cycle',
        job: 'a',
        members: ['a', 'c', 'b'],
        message: 'jobs form a cycle: a → c → b → a (each job needs the next); remove one of these needs',
      },
    ]);
  });

  it('reports every elementary cycle once, including two sharing a job', () => {
    const { problems } = analyzeDag(g({ r: '', a: 'b', b: 'a c', c: 'b', x: 'y', y: 'x' }));
    expect(problems.map((p) => p.members)).toEqual([
      ['a', 'b'],
      ['b', 'c'],
      ['x', 'y'],
    ]);
  });

  it('reports no-root when every job has needs', () => {
    const { problems } = analyzeDag(g({ a: 'b', b: 'a' }));
    expect(codes(problems)).toEqual(['cycle@a', 'no-root@a']);
    expect(problems[1]?.message).toBe("every job has needs, so nothing can start; remove the needs of the first job ('a')");
  });

  it('reports no-root alongside unknown needs', () => {
    expect(codes(analyzeDag(g({ a: 'x' })).problems)).toEqual(['unknown-need@a#0', 'no-root@a']);
    expect(codes(analyzeDag(g({ a: 'a' })).problems)).toEqual(['self-need@a#0', 'no-root@a']);
  });

  it('caps the cycles at 50, with a summary', () => {
    const jobs = g({ root: '' });
    for (let i = 0; i < 60; i++) {
      jobs[`p${i}`] = { needs: [`q${i}`] };
      jobs[`q${i}`] = { needs: [`p${i}`] };
    }
    const { problems } = analyzeDag(jobs);
    expect(problems).toHaveLength(MAX_REPORTED_CYCLES + 1);
    expect(problems.slice(0, 50).every((p) => p.members?.length === 2)).toBe(true);
    expect(problems[50]?.code).toBe('cycle');
    expect(problems[50]?.members).toBeUndefined();
    expect(problems[50]?.message).toContain('more than 50 cycles');
  });

  it('works with hostile ids (__proto__, constructor, toString)', () => {
    const jobs = JSON.parse('{"__proto__": {"needs": []}, "constructor": {"needs": ["__proto__", "hasOwnProperty"]}, "toString": {"needs": ["constructor"]}}') as Record<string, { needs: string[] }>;
    const { problems, order } = analyzeDag(jobs);
    expect(codes(problems)).toEqual(['unknown-need@constructor#1']);
    expect(order).toEqual(['__proto__', 'constructor', 'toString']);
    expect(descendants(jobs, ['__proto__'])).toEqual(new Set(['constructor', 'toString']));
  });

  it('tolerates malformed needs from untyped input', () => {
    const jobs = { a: { needs: undefined }, b: { needs: ['a', 3] }, c: null } as unknown as JobGraph;
    const { problems, order } = analyzeDag(jobs);
    expect(codes(problems)).toEqual(['unknown-need@b#1']);
    expect(problems[0]?.message).toContain("needs '3'");
    expect(order).toEqual(['a', 'b', 'c']);
  });
});

describe('analyzeDag: order', () => {
  it.each<[string, Record<string, string>, string[]]>([
    ['keeps YAML order when it is already topological', { a: '', b: 'a', c: '', d: 'b c' }, ['a', 'b', 'c', 'd']],
    ['moves a job after its needs', { d: 'c', c: 'b', b: 'a', a: '' }, ['a', 'b', 'c', 'd']],
    ['YAML order among ready jobs', { z: 'y', y: '', x: '', w: 'x' }, ['y', 'z', 'x', 'w']],
    ['diamond', { top: '', l: 'top', r: 'top', bottom: 'r l' }, ['top', 'l', 'r', 'bottom']],
    ['duplicate needs count once', { a: '', b: 'a a' }, ['a', 'b']],
    ['leaves out cycles and what depends on them', { a: '', b: 'c', c: 'b', d: 'b', e: 'a' }, ['a', 'e']],
    ['ignores unknown needs', { a: 'ghost', b: 'a' }, ['a', 'b']],
    ['leaves out a self-needing job', { a: 'a', b: '' }, ['b']],
  ])('%s', (_label, spec, order) => {
    expect(analyzeDag(g(spec)).order).toEqual(order);
  });

  it('accepts a Map, keeping integer-like ids in insertion order', () => {
    const jobs = new Map([
      ['b', { needs: [] }],
      ['10', { needs: ['b'] }],
      ['2', { needs: [] }],
    ]);
    expect(analyzeDag(jobs).order).toEqual(['b', '10', '2']);
  });
});

describe('analyzeDag: cycles', () => {
  it.each<[string, Record<string, string>, string[][]]>([
    ['none in a DAG', { a: '', b: 'a', c: 'a b' }, []],
    ['a self-need is not a cycle (it is reported as self-need)', { a: 'a', b: '' }, []],
    ['a triangle, starting at its first job', { c: 'a', b: 'c', a: 'b' }, [['c', 'a', 'b']]],
    [
      'two directions of a triangle',
      { a: 'b c', b: 'a c', c: 'a b' },
      [
        ['a', 'b'],
        ['a', 'b', 'c'],
        ['a', 'c'],
        ['a', 'c', 'b'],
        ['b', 'c'],
      ],
    ],
    ['unknown needs are ignored', { a: 'zz b', b: 'a' }, [['a', 'b']]],
  ])('%s', (_label, spec, expected) => {
    expect(cycles(g(spec))).toEqual(expected);
  });

  it('finds the one cycle of a 10,000-job ring without overflowing the stack', () => {
    const jobs = chain(10_000);
    jobs.set('j0', { needs: ['j9999'] });
    const started = performance.now();
    const found = cycles(jobs);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(found).toHaveLength(1);
    expect(found[0]).toHaveLength(10_000);
    expect(found[0]?.slice(0, 3)).toEqual(['j0', 'j9999', 'j9998']);
  });

  it('stops at MAX_REPORTED_CYCLES on a graph with exponentially many cycles, and says so', () => {
    // a ladder where every pair of neighbours needs each other: 2^n elementary cycles through long paths
    const jobs = new Map<string, { needs: string[] }>();
    for (let i = 0; i < 2000; i++) {
      const needs = [];
      if (i > 0) needs.push(`j${i - 1}`);
      if (i < 1999) needs.push(`j${i + 1}`);
      jobs.set(`j${i}`, { needs });
    }
    const started = performance.now();
    const { problems } = analyzeDag(jobs);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(problems.filter((p) => p.code === 'cycle' && p.members)).toHaveLength(MAX_REPORTED_CYCLES);
    expect(problems.filter((p) => p.code === 'cycle' && !p.members).map((p) => p.message)).toEqual([
      `more than ${MAX_REPORTED_CYCLES} cycles; only the first ${MAX_REPORTED_CYCLES} are reported, fix them and validate again`,
    ]);
  });
});

describe('scale', () => {
  it('analyses a 10,000-job chain quickly and iteratively', () => {
    const jobs = chain(10_000);
    const started = performance.now();
    const { problems, order } = analyzeDag(jobs);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(problems).toEqual([]);
    expect(order).toHaveLength(10_000);
    expect(order[9_999]).toBe('j9999');
    expect(descendants(jobs, ['j0']).size).toBe(9_999);
  });

  it('analyses 10,000 jobs with 50,000 needs quickly', () => {
    const jobs = new Map<string, { needs: string[] }>();
    for (let i = 0; i < 10_000; i++) {
      const needs: string[] = [];
      for (let k = 1; k <= 5 && i - k * 7 >= 0; k++) needs.push(`j${i - k * 7}`);
      jobs.set(`j${i}`, { needs });
    }
    const started = performance.now();
    const { problems, order } = analyzeDag(jobs);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(problems).toEqual([]);
    expect(order).toHaveLength(10_000);
  });

  it('suggests for many unknown needs among 10,000 jobs in bounded time', () => {
    const jobs = chain(10_000);
    for (let i = 0; i < 200; i++) jobs.set(`bad${i}`, { needs: [`missing-job-${i}`] });
    const started = performance.now();
    const { problems } = analyzeDag(jobs);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(problems).toHaveLength(200);
  });
});

describe('descendants', () => {
  const jobs = g({ a: '', b: 'a', c: 'b', d: '', e: 'd c', f: '' });
  it.each<[string, string[], string[]]>([
    ['transitive, in YAML order', ['a'], ['b', 'c', 'e']],
    ['several roots', ['b', 'd'], ['c', 'e']],
    ['a root depending on another root is included', ['a', 'b'], ['b', 'c', 'e']],
    ['a leaf has none', ['e'], []],
    ['unknown roots are ignored', ['zz'], []],
  ])('%s', (_label, roots, expected) => {
    expect([...descendants(jobs, roots)]).toEqual(expected);
  });

  it('includes a root on a cycle', () => {
    expect([...descendants(g({ a: 'b', b: 'a' }), ['a'])]).toEqual(['a', 'b']);
  });
});

describe('properties', () => {
  /** Random DAGs: job i may only need jobs with a smaller index, then the ids are shuffled. */
  const dag = fc
    .integer({ min: 1, max: 30 })
    .chain((n) =>
      fc.tuple(
        fc.array(fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: 4 }), { minLength: n, maxLength: n }),
        fc.shuffledSubarray(
          Array.from({ length: n }, (_, i) => i),
          { minLength: n, maxLength: n },
        ),
      ),
    )
    .map(([needLists, yamlOrder]) => {
      const jobs = new Map<string, { needs: string[] }>();
      for (const i of yamlOrder) {
        jobs.set(`j${i}`, { needs: (needLists[i] ?? []).filter((k) => k < i).map((k) => `j${k}`) });
      }
      return jobs;
    });

  it('the order of an acyclic graph contains every job once, after all of its needs', () => {
    fc.assert(
      fc.property(dag, (jobs) => {
        const { problems, order } = analyzeDag(jobs);
        expect(problems).toEqual([]);
        expect(new Set(order).size).toBe(jobs.size);
        const position = new Map(order.map((id, i) => [id, i]));
        for (const [id, job] of jobs) {
          for (const need of job.needs) expect(position.get(need) ?? -1).toBeLessThan(position.get(id) ?? -1);
        }
        expect(cycles(jobs)).toEqual([]);
      }),
      { seed: 42 },
    );
  });

  it('descendants are exactly the jobs that reach a root through needs', () => {
    fc.assert(
      fc.property(dag, fc.nat(), (jobs, pick) => {
        const ids = [...jobs.keys()];
        const root = ids[pick % ids.length] ?? '';
        const reaches = (id: string): boolean => (jobs.get(id)?.needs ?? []).some((n) => n === root || reaches(n));
        expect(descendants(jobs, [root])).toEqual(new Set(ids.filter(reaches)));
      }),
      { seed: 42 },
    );
  });

  it('every reported cycle is a real, elementary cycle starting at its first job in YAML order, reported once', () => {
    const graph = fc
      .integer({ min: 1, max: 8 })
      .chain((n) => fc.array(fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: 3 }), { minLength: n, maxLength: n }))
      .map((lists) => new Map(lists.map((needs, i) => [`j${i}`, { needs: needs.map((k) => `j${k}`) }])));
    fc.assert(
      fc.property(graph, (jobs) => {
        const ids = [...jobs.keys()];
        const found = cycles(jobs);
        const seen = new Set<string>();
        for (const cycle of found) {
          expect(new Set(cycle).size).toBe(cycle.length);
          cycle.forEach((id, i) => {
            const next = cycle[(i + 1) % cycle.length] ?? '';
            expect(jobs.get(id)?.needs).toContain(next);
            expect(ids.indexOf(id)).toBeGreaterThanOrEqual(ids.indexOf(cycle[0] ?? ''));
          });
          const key = cycle.join('>');
          expect(seen.has(key)).toBe(false);
          seen.add(key);
        }
        // an order of every job exists exactly when there is no cycle and no self-need
        const selfNeed = [...jobs].some(([id, job]) => job.needs.includes(id));
        expect(analyzeDag(jobs).order.length === jobs.size).toBe(found.length === 0 && !selfNeed);
        expect(found.length).toBe(Math.min(countCycles(jobs), MAX_REPORTED_CYCLES));
      }),
      { seed: 42 },
    );
  });
});

/** Brute-force count of elementary cycles of two jobs or more (each counted at its smallest-index start). */
function countCycles(jobs: Map<string, { needs: string[] }>): number {
  const ids = [...jobs.keys()];
  const index = new Map(ids.map((id, i) => [id, i]));
  const adjacency = ids.map((id) => [...new Set((jobs.get(id)?.needs ?? []).map((n) => index.get(n) ?? -1))]);
  let count = 0;
  const walk = (start: number, v: number, visited: Set<number>): void => {
    for (const w of adjacency[v] ?? []) {
      if (w === start) {
        if (v !== start) count++;
      } else if (w > start && !visited.has(w)) {
        visited.add(w);
        walk(start, w, visited);
        visited.delete(w);
      }
    }
  };
  for (let s = 0; s < ids.length; s++) walk(s, s, new Set([s]));
  return count;
}

describe('suggestName', () => {
  it.each<[string, string[], string | undefined]>([
    ['biuld', ['build', 'test'], 'build'],
    ['BUILD', ['build'], 'build'],
    ['tst', ['test', 'toast'], 'test'],
    ['deploy', ['build', 'test'], undefined],
    ['', ['a'], undefined],
    ['x'.repeat(200), ['x'.repeat(200)], undefined],
  ])('%j among %j → %j', (name, candidates, expected) => {
    expect(suggestName(name, candidates)).toBe(expected);
  });

  it('boundedLevenshtein matches the plain algorithm', () => {
    const plain = (a: string, b: string): number => {
      const row = Array.from({ length: b.length + 1 }, (_, j) => j);
      for (let i = 1; i <= a.length; i++) {
        let diagonal = row[0] ?? 0;
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
          const up = row[j] ?? 0;
          row[j] = Math.min(up + 1, (row[j - 1] ?? 0) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
          diagonal = up;
        }
      }
      return row[b.length] ?? 0;
    };
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), fc.integer({ min: 0, max: 6 }), (a, b, max) => {
        const d = plain(a, b);
        expect(boundedLevenshtein(a, b, max)).toBe(d <= max ? d : max + 1);
      }),
      { seed: 42 },
    );
  });
});
