/**
 * Golden fixtures, one table-driven test: every `test/fixtures/invalid/*.yml`
 * must report exactly the issues of its `*.expected.json` (code, line,
 * column, severity), and every `test/fixtures/valid/*.yml` must report no
 * error, the warnings listed, and the plan (jobs, needs, stage ids and
 * kinds) of its expected file.
 *
 * Regenerate with `TF_UPDATE_FIXTURES=1 npx vitest run --project unit
 * test/unit/config/fixtures.test.ts`, then review every changed file by hand.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfTree, validateTree } from '../../../src/config/loader.js';
import type { StageSpec, WorkflowSpec } from '../../../src/engine/spec.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures');
const UPDATE = process.env.TF_UPDATE_FIXTURES === '1';

interface Brief {
  code: string;
  line: number;
  col: number;
  severity: string;
}

/** Validates one fixture file as a conf tree of its own. */
export function runFixture(file: string): { issues: Brief[]; specs: WorkflowSpec[]; messages: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'tf-fixture-'));
  copyFileSync(file, join(dir, basename(file)));
  const { issues, specs } = validateTree(loadConfTree(dir));
  return {
    issues: issues.map((i) => ({ code: i.code, line: i.line, col: i.col, severity: i.severity })),
    specs,
    messages: issues.map((i) => `${i.line}:${i.col} ${i.code}: ${i.message}${i.hint ? ` (${i.hint})` : ''}`),
  };
}

function stagePlan(s: StageSpec): string {
  const head = `${s.id}:${s.kind}`;
  switch (s.kind) {
    case 'parallel':
      return `${head}{${s.branches.map((b) => `${b.name}:[${b.stages.map(stagePlan).join(',')}]`).join(',')}}`;
    case 'foreach':
    case 'until':
      return `${head}[${s.stages.map(stagePlan).join(',')}]`;
    case 'case':
      return `${head}{${s.match.map((m) => `${m.else ? 'else' : JSON.stringify(m.case)}:[${m.stages.map(stagePlan).join(',')}]`).join(',')}}`;
    default:
      return head;
  }
}

/** A compact plan of the specs: jobs with needs, matrix, stage ids and kinds. */
export function planOf(specs: readonly WorkflowSpec[]): Record<string, unknown> {
  return Object.fromEntries(
    specs.map((spec) => [spec.name, Object.fromEntries(spec.jobs.map((j) => [j.id, { needs: j.needs, ...(j.strategy ? { matrix: true } : {}), stages: j.stages.map(stagePlan) }]))]),
  );
}

function fixtures(kind: 'valid' | 'invalid'): string[] {
  return readdirSync(join(FIXTURES, kind))
    .filter((f) => f.endsWith('.yml'))
    .sort()
    .map((f) => join(FIXTURES, kind, f));
}

function expectedPath(file: string): string {
  return file.replace(/\.yml$/, '.expected.json');
}

describe('golden fixtures', () => {
  it('has at least 40 invalid and 20 valid fixtures, each with its expected file', () => {
    expect(fixtures('invalid').length).toBeGreaterThanOrEqual(40);
    expect(fixtures('valid').length).toBeGreaterThanOrEqual(20);
    if (!UPDATE) for (const f of [...fixtures('invalid'), ...fixtures('valid')]) expect(existsSync(expectedPath(f)), f).toBe(true);
  });

  describe.each(fixtures('invalid').map((f) => [basename(f), f]))('invalid/%s', (_name, file) => {
    it('reports exactly the expected issues', () => {
      const { issues, messages } = runFixture(file);
      if (UPDATE) writeFileSync(expectedPath(file), `${JSON.stringify({ issues, messages }, null, 2)}\n`);
      const expected = JSON.parse(readFileSync(expectedPath(file), 'utf8')) as { issues: Brief[] };
      expect(issues).toEqual(expected.issues);
      expect(issues.some((i) => i.severity === 'error')).toBe(true);
    });
  });

  describe.each(fixtures('valid').map((f) => [basename(f), f]))('valid/%s', (_name, file) => {
    it('has no error, the expected warnings and the expected plan', () => {
      const { issues, specs, messages } = runFixture(file);
      const plan = planOf(specs);
      if (UPDATE) writeFileSync(expectedPath(file), `${JSON.stringify({ issues, messages, plan }, null, 2)}\n`);
      const expected = JSON.parse(readFileSync(expectedPath(file), 'utf8')) as { issues: Brief[]; plan: unknown };
      expect(messages.filter((m) => issues[messages.indexOf(m)]?.severity === 'error')).toEqual([]);
      expect(issues).toEqual(expected.issues);
      expect(plan).toEqual(expected.plan);
      // Specs cross Temporal as JSON: nothing may be lost in the round trip.
      expect(JSON.parse(JSON.stringify(specs))).toEqual(specs);
    });
  });
});
