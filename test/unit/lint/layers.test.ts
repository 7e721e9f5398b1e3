/**
 * The lint rules of eslint.config.js: they encode the layer table of
 * ARCHITECTURE.md exactly, and each one still fires. Snippets are linted at
 * virtual paths inside `src/` (the files need not exist), so a config change
 * that stops a rule from applying fails here, not silently.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

interface Layer {
  readonly ours: readonly string[];
  readonly files?: readonly string[];
  readonly typesOnly?: readonly string[];
  readonly temporal: readonly string[];
  readonly node: boolean;
  readonly packages: boolean;
  readonly determinism?: 'sandbox' | 'pure';
  readonly subfolders?: readonly string[];
  readonly browser?: boolean;
}

let eslint: ESLint;
let LAYERS: Record<string, Layer>;

beforeAll(async () => {
  eslint = new ESLint({ cwd: root });
  const configModule = `${root}eslint.config.js`;
  ({ LAYERS } = (await import(configModule)) as { LAYERS: Record<string, Layer> });
});

/** The problems ESLint reports for `code` placed at `path` (relative to the repository). */
async function lint(path: string, code: string): Promise<{ rule: string | null; message: string; line: number }[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}${path}` });
  expect(result, `${path} is linted`).toBeDefined();
  expect(
    result!.messages.filter((m) => m.fatal),
    `${path} parses`,
  ).toEqual([]);
  return result!.messages.map((m) => ({ rule: m.ruleId, message: m.message, line: m.line }));
}

/** Asserts one problem per listed line, each naming its rule and pointing at ARCHITECTURE.md. */
async function expectProblems(path: string, code: string, lines: number[], pattern: RegExp): Promise<void> {
  const problems = await lint(path, code);
  expect(problems.map((p) => p.line)).toEqual(lines);
  for (const p of problems) {
    expect(p.message).toMatch(pattern);
    expect(p.message).toMatch(/ARCHITECTURE\.md/);
  }
}

describe('the layer table of ARCHITECTURE.md and LAYERS in eslint.config.js', () => {
  /** Rows of the "Layers" table: folder name → the tokens of its "May import" cell. */
  function tableRows(): Map<string, string> {
    const doc = readFileSync(`${root}ARCHITECTURE.md`, 'utf8');
    const rows = new Map<string, string>();
    for (const line of doc.split('\n')) {
      const cells = line.split('|').map((c) => c.trim());
      const folder = /^`src\/([a-z-]+)`$/.exec(cells[1] ?? '')?.[1];
      if (folder && cells.length >= 5) rows.set(folder, cells[3]!);
    }
    return rows;
  }

  /** What a "May import" cell says, in the shape of a `Layer`. */
  function parseCell(cell: string, folders: ReadonlySet<string>): Omit<Layer, 'determinism' | 'subfolders'> {
    const ours: string[] = [];
    const files: string[] = [];
    const typesOnly: string[] = [];
    const temporal: string[] = [];
    for (const item of cell.split(/,\s*/)) {
      const name = /^`([^`]+)`/.exec(item)?.[1];
      if (name === undefined) continue;
      if (name.startsWith('@temporalio/')) temporal.push(name.slice('@temporalio/'.length));
      else if (/^[a-z-]+\/[a-z-]+\.ts$/.test(name)) files.push(name.replace(/\.ts$/, '.js'));
      else if (folders.has(name)) (/`import type` only/.test(item) ? typesOnly : ours).push(name);
      else throw new Error(`unknown item ${item} in the layer table`);
    }
    return {
      ours,
      ...(files.length ? { files } : {}),
      ...(typesOnly.length ? { typesOnly } : {}),
      temporal,
      node: /(^|, )Node(,|$)/.test(cell),
      packages: /npm packages/.test(cell),
    };
  }

  it('has one row per folder of src/, and LAYERS says what each row says', () => {
    const rows = tableRows();
    expect([...rows.keys()].sort()).toEqual(Object.keys(LAYERS).sort());
    const folders = new Set(rows.keys());
    for (const [folder, cell] of rows) {
      const { determinism: _d, subfolders: _s, browser: _b, ...layer } = LAYERS[folder]!;
      const sorted = (l: Omit<Layer, 'determinism' | 'subfolders'>) => ({
        ...l,
        ours: [...l.ours].sort(),
        temporal: [...l.temporal].sort(),
        ...(l.files ? { files: [...l.files].sort() } : {}),
      });
      expect(sorted(layer), `row src/${folder}`).toEqual(sorted(parseCell(cell, folders)));
    }
  });
});

describe('layer rules', () => {
  it('lets each layer import what its row allows, its own folder and src/errors.ts', async () => {
    for (const [name, layer] of Object.entries(LAYERS)) {
      const imports = [
        `import { a } from './own.js';`,
        `import { ParamError } from '../errors.js';`,
        ...layer.ours.map((l, i) => `import { x${i} } from '../${l}/index.js';`),
        ...(layer.files ?? []).map((f, i) => `import { f${i} } from '../${f}';`),
        ...(layer.typesOnly ?? []).map((l, i) => `import type { T${i} } from '../${l}/index.js';`),
        ...layer.temporal.map((t, i) => `import { t${i} } from '@temporalio/${t}';`),
        ...(layer.node ? [`import { readFileSync } from 'node:fs';`] : []),
        ...(layer.packages ? [`import { z } from 'zod';`] : []),
      ];
      expect(await lint(`src/${name}/fixture.ts`, imports.join('\n')), `src/${name}`).toEqual([]);
    }
  });

  it('refuses every folder of ours that a row does not list', async () => {
    for (const [name, layer] of Object.entries(LAYERS)) {
      const allowed = new Set([name, ...layer.ours, ...(layer.typesOnly ?? [])]);
      const refused = Object.keys(LAYERS).filter((l) => !allowed.has(l));
      const code = refused.map((l, i) => `import { x${i} } from '../${l}/index.js';`).join('\n');
      const problems = await lint(`src/${name}/fixture.ts`, code);
      expect(
        problems.map((p) => p.line),
        `src/${name}`,
      ).toEqual(refused.map((_, i) => i + 1));
      for (const p of problems) expect(p.message).toContain(`layer rule: src/${name} may import only`);
    }
  });

  it('lets workflow code import activities as types only', async () => {
    const code = [
      `import type * as activities from '../activities/index.js';`,
      `import { type StageInput } from '../activities/types.js';`,
      `export type { StageInput as Input } from '../activities/types.js';`,
      `import { STAGE_KIND } from '../activities/types.js';`,
      `import { type A, B } from '../activities/types.js';`,
      `import '../activities/index.js';`,
      `export { runBash } from '../activities/index.js';`,
    ].join('\n');
    await expectProblems('src/workflows/fixture.ts', code, [4, 5, 6, 7], /layer rule: src\/workflows imports src\/activities as types only \(`import type`\)/);
  });

  it('gives types no pass where the row does not say `import type`', async () => {
    await expectProblems('src/workflows/fixture.ts', `import type { SearchAttributeValue } from '../client/search-attributes.js';`, [1], /src\/workflows may import only/);
    await expectProblems('src/audit/fixture.ts', `import type { ReleaseType } from '../workflows/definitions.js';`, [1], /src\/audit may import only src\/engine and src\/errors\.ts/);
  });

  it('lets the client import workflows/definitions.ts and activities/trace-file.ts, nothing else of those layers', async () => {
    const code = [
      `import { RUN_WORKFLOW_TYPE } from '../workflows/definitions.js';`,
      `import { traceFilePath } from '../activities/trace-file.js';`,
      `import type { ReleaseWorkflowInput } from '../workflows/release-workflow.js';`,
      `import { tempoflowRun } from '../workflows/index.js';`,
      `import { createActivities } from '../activities/index.js';`,
    ].join('\n');
    await expectProblems('src/client/fixture.ts', code, [3, 4, 5], /src\/client may import only .*src\/workflows\/definitions\.ts/);
  });

  it('keeps the CLI on the client, config and server, without the Temporal SDK', async () => {
    const code = [
      `import { Workflow } from '../client/workflow.js';`,
      `import { loadWorkflowSpec } from '../config/loader.js';`,
      `import { ReleaseType } from '../workflows/definitions.js';`,
      `import { Status } from '../engine/status.js';`,
    ].join('\n');
    await expectProblems('src/cli/fixture.ts', code, [3, 4], /layer rule: src\/cli may import only src\/client, src\/config, src\/server and src\/errors\.ts/);
    await expectProblems('src/cli/fixture.ts', `import { Client } from '@temporalio/client';`, [1], /src\/cli never imports the Temporal SDK/);
  });

  it('keeps the web view to types of the server, without Node built-ins', async () => {
    const code = [
      `import type { RunViewData } from '../server/routes-runs.js';`,
      `import { runView } from '../server/routes-runs.js';`,
      `import { readFileSync } from 'node:fs';`,
      `import dagre from '@dagrejs/dagre';`,
    ].join('\n');
    const problems = await lint('src/web/fixture.ts', code);
    expect(problems.map((p) => p.line)).toEqual([2, 3]);
    expect(problems[0]!.message).toMatch(/imports src\/server as types only .*over HTTP/);
    expect(problems[1]!.message).toMatch(/runs in the browser: no Node built-ins/);
  });

  it('keeps Node built-ins, npm packages and other Temporal packages out of workflow code and the pure layers', async () => {
    for (const name of ['workflows', 'engine', 'expressions']) {
      const code = [
        `import { readFileSync } from 'node:fs';`,
        `import fs from 'fs';`,
        `import { join } from 'path/posix';`,
        `import { z } from 'zod';`,
        `import { Client } from '@temporalio/client';`,
        `import { Context } from '@temporalio/activity';`,
      ].join('\n');
      const problems = await lint(`src/${name}/fixture.ts`, code);
      expect(
        problems.map((p) => p.line),
        `src/${name}`,
      ).toEqual([1, 2, 3, 4, 5, 6]);
      expect(problems.slice(0, 3).every((p) => p.message.includes('no Node built-ins'))).toBe(true);
      expect(problems[3]!.message).toContain('imports no npm package');
      expect(problems[4]!.message).toMatch(/Temporal SDK/);
    }
    await expectProblems('src/engine/fixture.ts', `import { proxyActivities } from '@temporalio/workflow';`, [1], /src\/engine never imports the Temporal SDK/);
    expect(await lint('src/workflows/fixture.ts', `import { sleep } from '@temporalio/workflow';\nimport { defineSearchAttributeKey } from '@temporalio/common';`)).toEqual([]);
  });

  it('keeps workflow APIs out of activities and the Temporal SDK out of config and audit', async () => {
    await expectProblems('src/activities/fixture.ts', `import { sleep } from '@temporalio/workflow';`, [1], /src\/activities may import only @temporalio\/activity and @temporalio\/common/);
    await expectProblems('src/config/fixture.ts', `import { Client } from '@temporalio/client';`, [1], /src\/config never imports the Temporal SDK/);
    await expectProblems('src/audit/fixture.ts', `import type { Connection } from '@temporalio/client';`, [1], /src\/audit never imports the Temporal SDK/);
  });

  it('reads only imports in normal form, and no dynamic import or import() type of another layer', async () => {
    const code = [
      `import { a } from './../client/runtime.js';`,
      `import { b } from '../../src/client/runtime.js';`,
      `import { c } from '../expressions/../client/runtime.js';`,
      `const d = await import('../client/runtime.js');`,
      `let e: import('../client/runtime.js').TempoflowRuntime;`,
    ].join('\n');
    const problems = await lint('src/config/fixture.ts', code);
    expect(problems.map((p) => p.line)).toEqual([1, 2, 3, 4, 5]);
    for (const p of problems) expect(p.message).toMatch(/layer rule: .*ARCHITECTURE\.md/);
  });

  it('refuses a subfolder of a layer until the rules know it', async () => {
    await expectProblems('src/engine/deep/fixture.ts', `export const x = 1;`, [1], /layer folders are flat/);
    await expectProblems('src/workflows/stages/deeper/fixture.ts', `export const x = 1;`, [1], /layer folders are flat/);
  });

  it('applies the layer rules one folder down in a declared subfolder (src/workflows/stages)', async () => {
    const allowed = [
      `import { a } from './own.js';`,
      `import { b } from '../pool.js';`,
      `import { Status } from '../../engine/status.js';`,
      `import type { Activities } from '../../activities/index.js';`,
      `import { sleep } from '@temporalio/workflow';`,
    ].join('\n');
    expect(await lint('src/workflows/stages/fixture.ts', allowed)).toEqual([]);
    const refused = [
      `import { Workflow } from '../../client/workflow.js';`,
      `import { bashStage } from '../../activities/index.js';`,
      `import { c } from '../../../src/engine/status.js';`,
      `import { readFileSync } from 'node:fs';`,
    ].join('\n');
    const problems = await lint('src/workflows/stages/fixture.ts', refused);
    expect(problems.map((p) => p.line)).toEqual([1, 2, 3, 4]);
    expect(problems[0]!.message).toContain('src/workflows may import only');
    expect(problems[1]!.message).toContain('as types only');
    expect(problems[2]!.message).toContain('normal form');
  });

  it('keeps src/errors.ts a leaf', async () => {
    await expectProblems('src/errors.ts', `import { Status } from './engine/status.js';`, [1], /src\/errors\.ts imports nothing/);
  });
});

describe('determinism rules', () => {
  const clockAndRandom = ['const a = Math.random();', 'const b = Date.now();', 'const c = new Date();', 'const d = Date();', 'const e = performance.now();', 'const f = process.env.HOME;'].join('\n');

  it('lets engine and expressions read no clock, no randomness, no process', async () => {
    for (const name of ['engine', 'expressions']) {
      const problems = await lint(`src/${name}/fixture.ts`, clockAndRandom);
      expect(
        problems.map((p) => p.line),
        `src/${name}`,
      ).toEqual([1, 2, 3, 4, 5, 6]);
      for (const p of problems) expect(p.message).toMatch(/determinism rule: .*ARCHITECTURE\.md/);
      expect(await lint(`src/${name}/fixture.ts`, 'const t = new Date(Date.UTC(2024, 0, 1)).getTime();')).toEqual([]);
    }
  });

  it("lets workflow code use the SDK's Date.now() and new Date(), not Math.random or Node globals", async () => {
    const problems = await lint('src/workflows/fixture.ts', clockAndRandom);
    expect(problems.map((p) => p.line)).toEqual([1, 5, 6]);
    expect(problems[0]!.message).toMatch(/Math\.random is not deterministic/);
    expect(await lint('src/workflows/fixture.ts', 'await import("./x.js");')).toHaveLength(1);
  });

  it('keeps module-level let and var out of the modules the workflow bundle shares between executions', async () => {
    const code = ['let runs = 0;', 'export var last = "";', 'const cache = new Map<string, number>();', 'export function f(): number {', '  let local = runs;', '  return local;', '}'].join('\n');
    for (const name of ['workflows', 'workflows/stages', 'engine', 'expressions']) {
      await expectProblems(`src/${name}/fixture.ts`, code, [1, 2], /shared-module rule: .*evaluated once per workflow thread/);
    }
    expect(await lint('src/activities/fixture.ts', code)).toEqual([]);
  });

  it('leaves activities and the client free to read clocks', async () => {
    expect(await lint('src/activities/fixture.ts', clockAndRandom)).toEqual([]);
  });

  it('refuses eval everywhere in src', async () => {
    const problems = await lint('src/activities/fixture.ts', `eval('1');\nconst f = new Function('return 1');\nsetTimeout('alert(1)', 1);`);
    expect(problems.map((p) => p.rule)).toEqual(['no-eval', 'no-new-func', 'no-implied-eval']);
  });
});
