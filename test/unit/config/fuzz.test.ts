/**
 * Property test: mutate valid fixture YAML — delete, duplicate and rename
 * keys, change scalar types, inject garbage, truncate — and check that
 * validation only ever reports ConfigIssues (never throws anything else),
 * that every issue is well formed, and that a spec, when there is one,
 * survives a JSON round trip (it crosses Temporal as JSON).
 *
 * Default: seed 42, 300 runs. Long mode: TF_FUZZ_RUNS=100000.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { confTreeFromTexts, validateTree } from '../../../src/config/loader.js';
import type { ConfigIssue } from '../../../src/config/errors.js';

const RUNS = Number(process.env['TF_FUZZ_RUNS'] ?? '') > 0 ? Number(process.env['TF_FUZZ_RUNS']) : 300;
const PARAMS = { seed: 42, numRuns: RUNS };
const TIMEOUT = Math.max(60_000, RUNS * 20);

const dir = join(import.meta.dirname, '../../fixtures/valid');
const SEEDS = readdirSync(dir)
  .filter((f) => f.endsWith('.yml'))
  .sort()
  .map((f) => readFileSync(join(dir, f), 'utf8'));

const KEYS = [
  'needs',
  'need',
  'stages',
  'if',
  'trigger-rule',
  'extends',
  'type',
  'matrix',
  'strategy',
  'retry',
  'timeout',
  'echo',
  'bash',
  'run',
  'parallel',
  'foreach',
  'until',
  'case',
  'match',
  'else',
  'on',
  'cron',
  'params',
  'jobs',
  '__proto__',
  'constructor',
  '',
  '0',
  'a b',
];
const SCALARS = [
  '1',
  '-1',
  '0',
  '1.5',
  'true',
  'false',
  'null',
  '~',
  '[]',
  '{}',
  '[1, [2]]',
  '{ a: { b: c } }',
  '""',
  "'${{'",
  '"${{ }}"',
  '"${{ matrix.x }}"',
  '"${{ needs.a.result }}"',
  '"${{ stages.x.outputs }}"',
  '"${{ a ( }}"',
  '"${{ nope(1) | boom }}"',
  'Workflow',
  'Job',
  'Stage',
  '"0 9 * * *"',
  '"61 * * * *"',
  '@daily',
  'UTC',
  'Mars/Base',
  '10m',
  '1h30m',
  'x',
  '*anchor',
  '&anchor x',
  '!!binary aGk=',
  '!!str 1',
  '|',
  '>-',
  '- x',
  'tasks/x@v1',
  'common',
  'wf',
];
const GARBAGE = ['\t', ':', ': :', '- - -', '{', '}', '[', ']', '"', "'", '&a', '*a', '<<: *a', '? x', '%YAML 1.2', '---', '...', '\u0000', '\ufeff', '#', '!!map', '${{', '}}', '\\', 'é😀', '\r\n'];

type Mutation = (text: string) => string;

/** A mutation of the YAML text, chosen and parameterised by fast-check. */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map((n) => (t: string) => t.slice(0, n % (t.length + 1))),
  fc.tuple(fc.nat(), fc.constantFrom(...GARBAGE)).map(([n, g]) => (t: string) => {
    const i = n % (t.length + 1);
    return t.slice(0, i) + g + t.slice(i);
  }),
  fc.nat().map((n) => (t: string) => {
    const lines = t.split('\n');
    lines.splice(n % lines.length, 1);
    return lines.join('\n');
  }),
  fc.nat().map((n) => (t: string) => {
    const lines = t.split('\n');
    const i = n % lines.length;
    lines.splice(i, 0, lines[i] ?? '');
    return lines.join('\n');
  }),
  fc.tuple(fc.nat(), fc.constantFrom(...KEYS)).map(([n, k]) => (t: string) => {
    const lines = t.split('\n');
    const i = n % lines.length;
    lines[i] = (lines[i] ?? '').replace(/^(\s*-?\s*)[^\s:#][^:#]*:/, `$1${k}:`);
    return lines.join('\n');
  }),
  fc.tuple(fc.nat(), fc.constantFrom(...SCALARS)).map(([n, v]) => (t: string) => {
    const lines = t.split('\n');
    const i = n % lines.length;
    lines[i] = (lines[i] ?? '').replace(/:\s+\S.*$/, `: ${v}`);
    return lines.join('\n');
  }),
  fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(...SCALARS, ...KEYS)).map(
    ([n, m, v]) =>
      (t: string) =>
        structural(t, n, m, v),
  ),
);

/** Structural mutations through the YAML document: delete, duplicate or retype a node. */
function structural(text: string, n: number, m: number, value: string): string {
  const doc = parseDocument(text, { uniqueKeys: false });
  const nodes: Node[] = [];
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    nodes.push(node as Node);
    if (isMap(node) || isSeq(node)) for (const item of node.items) walk(isMap(node) ? (item as { value?: unknown }).value : item);
  };
  walk(doc.contents);
  const target = nodes[n % Math.max(1, nodes.length)];
  if (!target) return text;
  if (isMap(target) && target.items.length) {
    const i = m % target.items.length;
    const action = m % 3;
    if (action === 0) target.items.splice(i, 1);
    else if (action === 1) target.items.push(target.items[i]!);
    else {
      const pair = target.items[i]!;
      if (isScalar(pair.key)) pair.key.value = value;
    }
  } else if (isSeq(target) && target.items.length) {
    const i = m % target.items.length;
    if (m % 2 === 0) target.items.splice(i, 1);
    else target.items.push(target.items[i]);
  } else if (isScalar(target)) {
    target.value = m % 4 === 0 ? Number(m) : m % 4 === 1 ? m % 2 === 0 : m % 4 === 2 ? null : value;
  }
  try {
    return doc.toString();
  } catch {
    return text;
  }
}

function assertWellFormed(issue: ConfigIssue): void {
  expect(typeof issue.code).toBe('string');
  expect(issue.code).toMatch(/^[a-z][a-z0-9-]*$/);
  expect(['error', 'warning']).toContain(issue.severity);
  expect(typeof issue.message).toBe('string');
  expect(issue.message.length).toBeGreaterThan(0);
  expect(typeof issue.file).toBe('string');
  expect(Number.isInteger(issue.line) && issue.line >= 1).toBe(true);
  expect(Number.isInteger(issue.col) && issue.col >= 1).toBe(true);
}

describe('validation of mutated YAML (fast-check)', () => {
  it(
    'only ever reports ConfigIssues, each well formed',
    () => {
      fc.assert(
        fc.property(fc.nat({ max: SEEDS.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (seed, mutations) => {
          const text = mutations.reduce((t, mutate) => mutate(t), SEEDS[seed]!);
          const tree = confTreeFromTexts('/conf', [{ file: 'conf/wf.yml', text }]);
          const { issues, specs, checked } = validateTree(tree);
          for (const issue of issues) assertWellFormed(issue);
          for (const spec of specs) expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
          // A workflow without a spec was refused for a reason the user can read.
          if (checked.length > specs.length) expect(issues.some((i) => i.severity === 'error')).toBe(true);
        }),
        PARAMS,
      );
    },
    TIMEOUT,
  );

  it('the unmutated fixtures have no error', () => {
    for (const text of SEEDS) {
      const { issues } = validateTree(confTreeFromTexts('/conf', [{ file: 'conf/wf.yml', text }]));
      expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
    }
  });
});
