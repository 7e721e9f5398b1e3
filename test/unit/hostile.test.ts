/**
 * Hostile input that needs no server, one table per layer: YAML and conf
 * trees (alias bombs, huge and invalid files, deep nesting, caps of the
 * expression language, names with `../`), the matrix cap, output caps, and
 * the secret renderer and masker. Every case ends in a clear, positioned
 * error or a correct result, within a time bound — never a crash or a hang.
 * The cases that need a run are in test/integration/hostile.test.ts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { capOutputs, toJsonValue } from '../../src/activities/outputs.js';
import { MASK, Masker, renderSecrets, SecretError, SecretStore } from '../../src/activities/secrets.js';
import { loadConfTree, loadWorkflowSpec, validateTree } from '../../src/config/loader.js';
import { ConfigError, WorkflowNotFoundError } from '../../src/config/errors.js';
import { expandMatrix, MatrixError } from '../../src/engine/matrix.js';
import { renderTemplate } from '../../src/expressions/index.js';

interface Expected {
  readonly code: string;
  readonly line: number;
  /** Omitted when the column depends on the parser's recovery. */
  readonly col?: number;
  readonly severity?: 'error' | 'warning';
  readonly message?: RegExp;
}

interface ConfCase {
  readonly name: string;
  readonly files: Record<string, string | Buffer>;
  /** The first issues, in order (others may follow). */
  readonly issues: readonly Expected[];
  /** Time bound of validation, ms. */
  readonly withinMs?: number;
}

const HEAD = 'w:\n  type: Workflow\n  jobs:\n    a:\n      stages:\n';

function aliasBomb(): string {
  let text = 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (let i = 1; i < 10; i++)
    text += `a${i}: &a${i} [${Array(9)
      .fill(`*a${i - 1}`)
      .join(',')}]\n`;
  return text;
}

function deepStages(levels: number): string {
  let stage = 'echo: leaf';
  for (let i = 0; i < levels; i++) stage = `parallel: { b: [ { ${stage} } ] }`;
  return `${HEAD}        - ${stage}\n`;
}

const confCases: ConfCase[] = [
  {
    name: 'a YAML alias bomb (billion laughs) is refused without expanding it',
    files: { 'bomb.yml': `${aliasBomb()}${HEAD}        - echo: hi\n` },
    issues: [{ code: 'yaml-alias', line: 1, col: 1, message: /resource exhaustion/ }],
  },
  {
    name: 'a file over 5 MB is refused unread, naming its size and the limit',
    files: { 'big.yml': `${HEAD}        - echo: hi\n# ${'x'.repeat(6 * 1024 * 1024)}\n` },
    issues: [{ code: 'file-too-large', line: 1, col: 1, message: /file is 6291\d{3} bytes; the limit is 5242880/ }],
  },
  {
    name: 'invalid UTF-8 in a YAML file is positioned at the bad byte',
    files: { 'bad.yml': Buffer.concat([Buffer.from(`${HEAD}        - echo: "caf`), Buffer.from([0xc3, 0x28]), Buffer.from('"\n')]) },
    issues: [{ code: 'invalid-utf8', line: 6, col: 21, message: /not valid UTF-8/ }],
  },
  {
    name: '5,000 nested YAML sequences are a positioned error, not a stack overflow',
    files: { 'deep.yml': `${HEAD}        - echo: hi\n          vars: ${'['.repeat(5000)}${']'.repeat(5000)}\n` },
    issues: [{ code: 'yaml-syntax', line: 7 }],
  },
  {
    name: '3,000 nested YAML maps are a positioned error',
    files: { 'deep.yml': `${HEAD}        - echo: hi\n          vars: ${'{a: '.repeat(3000)}1${'}'.repeat(3000)}\n` },
    issues: [{ code: 'yaml-syntax', line: 7 }],
  },
  {
    name: '200 levels of nested stages are refused at the level that is too deep',
    files: { 'nest.yml': deepStages(200) },
    issues: [{ code: 'no-action', line: 6 }],
  },
  {
    name: 'an expression longer than 10,000 characters hits the length cap at its position',
    files: { 'e.yml': `${HEAD}        - echo: "\${{ '${'a'.repeat(20_000)}' }}"\n` },
    issues: [{ code: 'expression-cap', line: 6, col: 10021, message: /20004 characters long, more than the limit of 10000/ }],
  },
  {
    name: 'an expression nested 200 parentheses deep hits the depth cap',
    files: { 'e.yml': `${HEAD}        - echo: "\${{ ${'('.repeat(200)}1${')'.repeat(200)} }}"\n` },
    issues: [{ code: 'expression-cap', line: 6, col: 86, message: /nested deeper than 64 levels/ }],
  },
  {
    name: 'a string with 2,000 templates hits the template-count cap',
    files: { 'e.yml': `${HEAD}        - echo: "${'${{ 1 }}'.repeat(2000)}"\n` },
    issues: [{ code: 'expression-cap', line: 6, col: 8018, message: /more than 1000 templates in one string/ }],
  },
  {
    name: 'a static matrix of 17 × 17 × 17 = 4,913 combinations is over the 4,096 cap',
    files: {
      'm.yml': `w:\n  type: Workflow\n  jobs:\n    a:\n      strategy:\n        matrix:\n${['x', 'y', 'z'].map((k) => `          ${k}: [${Array.from({ length: 17 }, (_, i) => i).join(',')}]\n`).join('')}      stages: [{ echo: hi }]\n`,
    },
    issues: [{ code: 'matrix', line: 7, col: 11, message: /4913 combinations .* more than the cap of 4096/ }],
  },
  {
    name: 'a workflow that triggers itself is refused with the chain',
    files: { 't.yml': `${HEAD}        - trigger: w\n` },
    issues: [{ code: 'trigger-cycle', line: 6, col: 20, message: /workflow 'w' triggers itself/ }],
  },
  {
    name: 'a trigger target with ../ is an unknown workflow, positioned',
    files: { 't.yml': `${HEAD}        - trigger: ../../etc/passwd\n` },
    issues: [{ code: 'unknown-workflow', line: 6, col: 20, message: /no workflow named '\.\.\/\.\.\/etc\/passwd'/ }],
  },
  {
    name: 'duplicate keys are a syntax error at the second key',
    files: { 'd.yml': `${HEAD}        - echo: a\n          echo: b\n` },
    issues: [{ code: 'yaml-syntax', line: 7, col: 11, message: /Map keys must be unique/ }],
  },
  {
    name: 'YAML tags that JSON cannot carry (!!binary) are refused where they are',
    files: { 't.yml': `${HEAD}        - echo: !!binary aGVsbG8=\n` },
    issues: [
      { code: 'no-action', line: 6 },
      { code: 'unsupported-value', line: 6, col: 26 },
    ],
  },
  {
    name: 'a param templated into bash is a warning with the safe form as hint; a secret in echo warns it is not rendered',
    files: { 'p.yml': 'w:\n  type: Workflow\n  params: { x: str }\n  jobs:\n    a:\n      stages:\n        - bash: echo ${{ params.x }}\n        - echo: "${{ secrets.TOKEN }}"\n' },
    issues: [
      { code: 'param-in-script', line: 7, col: 26, severity: 'warning', message: /read as code/ },
      { code: 'secret-not-rendered', line: 8, col: 22, severity: 'warning' },
    ],
  },
  {
    name: 'a 4 MB string value (under the file cap) validates, in bounded time',
    files: { 'h.yml': `${HEAD}        - echo: "${'x'.repeat(4 * 1024 * 1024)}"\n` },
    issues: [],
    withinMs: 25_000,
  },
  {
    name: 'a chain of 1,500 jobs validates without overflowing the DAG walk',
    files: { 'c.yml': `w:\n  type: Workflow\n  jobs:\n${Array.from({ length: 1500 }, (_, i) => `    j${i}:\n${i ? `      needs: [j${i - 1}]\n` : ''}      stages: [{ echo: hi }]\n`).join('')}` },
    issues: [],
    withinMs: 25_000,
  },
  {
    name: '__proto__ and constructor as names are ordinary keys (no prototype pollution)',
    files: { 'p.yml': `${HEAD}        - echo: x\n          env: { __proto__: polluted, constructor: x }\n` },
    issues: [],
  },
];

/**
 * Bound on the hostile cases' time: wide enough for a loaded 2-core CI machine,
 * narrow enough that a super-linear blow-up (backtracking, quadratic masking, an
 * exponential walk: minutes or more on these inputs) still fails. Speed itself is
 * measured in bench/, not asserted here.
 */
const HANG_BOUND_MS = 20_000;

describe('hostile conf trees', () => {
  it.each(confCases)('$name', (c) => {
    const dir = mkdtempSync(join(tmpdir(), 'tf-hostile-'));
    for (const [file, text] of Object.entries(c.files)) writeFileSync(join(dir, file), text);
    const started = Date.now();
    const { issues } = validateTree(loadConfTree(dir));
    expect(Date.now() - started).toBeLessThan(c.withinMs ?? HANG_BOUND_MS);
    const errors = issues.filter((i) => i.severity === 'error' || c.issues.some((e) => e.severity === 'warning'));
    if (c.issues.length === 0) expect(errors.map((i) => `${i.line}:${i.col} ${i.code} ${i.message}`)).toEqual([]);
    c.issues.forEach((expected, n) => {
      const got = errors[n];
      expect(got, `issue ${n}`).toBeDefined();
      expect(got).toMatchObject({ code: expected.code, line: expected.line, severity: expected.severity ?? 'error', ...(expected.col !== undefined ? { col: expected.col } : {}) });
      expect(got!.file).toMatch(/\.yml$/);
      if (expected.message) expect(got!.message).toMatch(expected.message);
    });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('a workflow name with ../ or a NUL byte is refused before any file is read', () => {
    for (const name of ['../../etc/passwd', 'a/../b', 'w\0x', '']) {
      expect(() => loadWorkflowSpec(name, { path: '/nonexistent' })).toThrow(WorkflowNotFoundError);
      expect(() => loadWorkflowSpec(name, { path: '/nonexistent' })).toThrow(/is not a valid workflow name: use letters, digits/);
    }
  });

  it('a conf path that is not a directory is one positioned error with the way to fix it', () => {
    try {
      loadWorkflowSpec('w', { path: '/nonexistent/../also-not-there' });
      throw new Error('no error');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues[0]).toMatchObject({ code: 'conf-path', hint: 'set WORKFLOW_CORE_CONF_PATH or pass --conf to a folder holding *.yml files' });
    }
  });
});

describe('hostile values', () => {
  it('a matrix expression past the cap is a MatrixError naming the count, not an allocation', () => {
    const started = Date.now();
    const range = Array.from({ length: 1000 }, (_, i) => i);
    expect(() => expandMatrix({ matrix: { a: range, b: range, c: range } })).toThrow(MatrixError);
    expect(() => expandMatrix({ matrix: { a: range, b: range, c: range } })).toThrow(/1000000000 combinations/);
    expect(Date.now() - started).toBeLessThan(HANG_BOUND_MS);
  });

  it('outputs of 10 MB are capped to 64 KB with markers; deep or cyclic values are named errors', () => {
    const capped = capOutputs({ big: 'x'.repeat(10 * 1024 * 1024), small: 'ok' });
    expect(capped.outputs).toEqual({ big: { __truncated: true, bytes: 10 * 1024 * 1024 + 2 }, small: 'ok' });
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const refused = toJsonValue({ deep });
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.error).toMatch(/^outputs\.deep(\[0\]){500,501} is nested more than 500 levels deep$/);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(toJsonValue(cyclic)).toEqual({ ok: false, error: 'outputs.self refers back to one of its parents (a cycle), which is not JSON-serialisable' });
  });

  it('a template rendering to more than 16 MB is stopped by the rendered-text cap', () => {
    const sep = 'y'.repeat(20_000);
    const list = Array.from({ length: 1000 }, () => 'x');
    expect(() => renderTemplate('echo ${{ join(params.list, params.sep) }}', { values: { params: { list, sep } } })).toThrow(/longer than \d+ characters/);
  });
});

describe('hostile secrets', () => {
  const store = new SecretStore({ values: { TOKEN: 'a.b*c+d?(e)[f]{g}|h^$\\i' } });

  it('a secret full of regular-expression syntax is masked literally, and nothing else is', () => {
    const masker = store.masker();
    expect(masker.mask('x a.b*c+d?(e)[f]{g}|h^$\\i y abXc')).toBe(`x ${MASK} y abXc`);
  });

  it('dumping all secrets (toJson(secrets), secrets.*, secrets[x]) is refused', () => {
    for (const t of ['${{ toJson(secrets) }}', '${{ secrets.* }}', "${{ secrets[format('{0}', 'TOKEN')] }}", "${{ join(secrets.*, ',') }}"]) {
      expect(() => renderSecrets(t, store), t).toThrow(SecretError);
    }
  });

  it('50,000 secrets-looking templates in a script render in bounded time', () => {
    const text = Array.from({ length: 900 }, () => 'echo ${{ secrets.TOKEN }}').join('\n');
    const started = Date.now();
    const out = renderSecrets(text, store) as string;
    expect(out.split('\n')).toHaveLength(900);
    expect(Date.now() - started).toBeLessThan(HANG_BOUND_MS);
    expect(() => renderSecrets('${{ secrets.TOKEN '.repeat(3), store)).toThrow(/unterminated/);
  });

  it('masking 5 MB of output with 200 secrets stays fast', () => {
    const masker = new Masker(Array.from({ length: 200 }, (_, i) => `secret-value-${i}-${'k'.repeat(20)}`));
    const text = `${'lorem ipsum dolor sit amet '.repeat(200_000)}secret-value-7-${'k'.repeat(20)}`;
    const started = Date.now();
    const out = masker.mask(text);
    expect(out.endsWith(MASK)).toBe(true);
    expect(Date.now() - started).toBeLessThan(HANG_BOUND_MS);
  });
});
