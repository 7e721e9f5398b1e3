/** `tempoflow init`: the starter project validates as written, points the editor at the schema, and never overwrites by surprise. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initProject, STARTER_WORKFLOW } from '../../../src/cli/init.js';
import { CliExit } from '../../../src/cli/common.js';
import { jsonSchemaText } from '../../../src/config/json-schema.js';
import { loadConfTree, validateTree } from '../../../src/config/loader.js';

const dirs: string[] = [];
const tempProject = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tf-init-'));
  dirs.push(dir);
  return join(dir, 'project');
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('tempoflow init', () => {
  it('writes a starter workflow that validates with no error or warning, using params, needs, a matrix and a schedule', () => {
    const dir = tempProject();
    initProject(dir);
    const { issues, checked, specs } = validateTree(loadConfTree(join(dir, 'conf')));
    expect(issues).toEqual([]);
    expect(checked).toEqual([STARTER_WORKFLOW]);
    const spec = specs[0]!;
    expect(spec.params.map((p) => p.name)).toEqual(['who', 'day']);
    const build = spec.jobs.find((j) => j.id === 'build')!;
    expect(build.needs).toEqual(['greet']);
    expect(build.strategy).toBeDefined();
    expect(spec.schedules.length).toBe(1);
  });

  it("points the YAML modeline and VS Code's settings at the schema it writes", () => {
    const dir = tempProject();
    initProject(dir);
    const file = join(dir, 'conf/workflows', `${STARTER_WORKFLOW}.yml`);
    const modeline = /^# yaml-language-server: \$schema=(\S+)\n/.exec(readFileSync(file, 'utf8'));
    expect(modeline).not.toBeNull();
    const schemaPath = resolve(dirname(file), modeline![1]!);
    expect(readFileSync(schemaPath, 'utf8')).toBe(jsonSchemaText());
    const settings = JSON.parse(readFileSync(join(dir, '.vscode/settings.json'), 'utf8')) as { 'yaml.schemas': Record<string, string[]> };
    const [[schema, globs]] = Object.entries(settings['yaml.schemas']) as [[string, string[]]];
    expect(resolve(dir, schema)).toBe(schemaPath);
    expect(globs).toContain('conf/**/*.yml');
    expect(JSON.parse(readFileSync(join(dir, '.vscode/extensions.json'), 'utf8'))).toEqual({ recommendations: ['redhat.vscode-yaml'] });
  });

  it('refuses to overwrite, naming the files and the way out; --force overwrites', () => {
    const dir = tempProject();
    initProject(dir);
    const file = join(dir, '.vscode/settings.json');
    writeFileSync(file, '{"mine": true}\n');
    let refusal: unknown;
    try {
      initProject(dir);
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(CliExit);
    expect((refusal as Error).message).toMatch(/settings\.json.*already exist.*nothing was written.*--force/);
    expect(readFileSync(file, 'utf8')).toBe('{"mine": true}\n');
    initProject(dir, { force: true });
    expect(readFileSync(file, 'utf8')).not.toContain('mine');
  });
});
