/** Config loading: discovery, positions, strictness, DAG checks, names. */
import { describe, expect, it } from 'vitest';
import { ConfigError, WorkflowNotFoundError } from '../../../src/config/errors.js';
import { discoverFiles, listWorkflowNames, loadConfTree, loadWorkflowSpec, validateWorkflow } from '../../../src/config/loader.js';
import { writeConf } from '../../helpers/conf.js';

const valid = `
wf:
  type: Workflow
  params:
    name: str
    count: { type: int, default: 2 }
  jobs:
    a:
      stages:
        - name: Say \${{ params.name }}
          echo: hi
    b:
      needs: a
      stages:
        - id: run-it
          bash: echo b
`;

describe('conf discovery', () => {
  it('finds *.yml and *.yaml recursively, in sorted order, skipping dot folders', () => {
    const dir = writeConf({ 'b.yml': 'x: { type: Stage }', 'sub/a.yaml': 'y: { type: Stage }', '.hidden/c.yml': 'z: 1', 'notes.txt': '' });
    const files = discoverFiles(dir).map((f) => f.slice(dir.length + 1));
    expect(files).toEqual(['b.yml', 'sub/a.yaml']);
  });

  it('indexes workflows by top-level name', () => {
    const dir = writeConf({ 'w.yml': valid });
    const tree = loadConfTree(dir);
    expect(tree.issues).toEqual([]);
    expect(listWorkflowNames(tree)).toEqual(['wf']);
  });

  it('reports the same name in two files, naming both', () => {
    const dir = writeConf({ 'one.yml': valid, 'two.yml': valid });
    const tree = loadConfTree(dir);
    const dup = tree.issues.find((i) => i.code === 'duplicate-name');
    expect(dup).toBeDefined();
    expect(dup!.file).toMatch(/two\.yml$/);
    expect(dup!.message).toMatch(/one\.yml:2:1/);
  });

  it('reports YAML syntax errors with their position', () => {
    const dir = writeConf({ 'bad.yml': 'wf:\n  type: Workflow\n  jobs: [unclosed\n' });
    const tree = loadConfTree(dir);
    expect(tree.issues[0]).toMatchObject({ code: 'yaml-syntax', severity: 'error' });
    expect(tree.issues[0]!.file).toMatch(/bad\.yml$/);
  });
});

describe('workflow validation', () => {
  it('normalizes a valid workflow', () => {
    const dir = writeConf({ 'w.yml': valid });
    const { spec } = loadWorkflowSpec('wf', { path: dir });
    expect(spec.name).toBe('wf');
    expect(spec.params.map((p) => [p.name, p.type, p.required, p.default])).toEqual([
      ['name', 'str', true, undefined],
      ['count', 'int', false, 2],
    ]);
    expect(spec.jobs.map((j) => [j.id, j.needs])).toEqual([
      ['a', []],
      ['b', ['a']],
    ]);
    expect(spec.jobs[0]!.stages[0]).toMatchObject({ id: 'say', kind: 'echo', name: 'Say ${{ params.name }}' });
    expect(spec.jobs[1]!.stages[0]).toMatchObject({ id: 'run-it', kind: 'bash', bash: 'echo b' });
    expect(spec.jobs[1]!.stages[0]!.loc).toMatch(/w\.yml:15:11$/);
  });

  it('collects every problem at once, each at its line and column', () => {
    const dir = writeConf({
      'w.yml': `wf:
  type: Workflow
  jobs:
    a:
      need: [b]
      stages:
        - name: x
          bash: echo
          echo: also
    b:
      needs: [a, ghost]
      stages:
        - name: y
          bsh: echo
`,
    });
    const tree = loadConfTree(dir);
    const { spec, issues } = validateWorkflow(tree, 'wf');
    expect(spec).toBeUndefined();
    const brief = issues.map((i) => `${i.code}@${i.line}:${i.col}`);
    expect(brief).toContain('unknown-key@5:7');
    expect(issues.find((i) => i.code === 'unknown-key' && i.line === 5)!.hint).toBe("did you mean 'needs'?");
    expect(brief).toContain('two-actions@9:11');
    expect(brief).toContain('unknown-key@14:11');
    // `bsh` is reported once, as an unknown key suggesting `bash` (not also as "no action").
    expect(brief).not.toContain('no-action@13:11');
    expect(brief).toContain('unknown-need@11:18');
  });

  it("refuses ddeutil-workflow's extras, created_at and updated_dt, each with a hint saying where the value goes", () => {
    const dir = writeConf({
      'w.yml': `wf:
  type: Workflow
  extras: { environment: production }
  created_at: 2024-01-01T00:00:00
  updated_dt: 2024-02-01T00:00:00
  jobs:
    a:
      extras: {}
      stages: [{ name: A, echo: a }]
`,
    });
    const { spec, issues } = validateWorkflow(loadConfTree(dir), 'wf');
    expect(spec).toBeUndefined();
    const unknown = issues.filter((i) => i.code === 'unknown-key').map((i) => ({ at: `${i.line}:${i.col}`, path: i.path, hint: i.hint }));
    expect(unknown).toEqual([
      { at: '3:3', path: 'extras', hint: expect.stringContaining('`Workflow.fromConf(name, { extras: { ... } })`') },
      { at: '4:3', path: 'created_at', hint: expect.stringContaining('`Workflow.createdAt`') },
      { at: '5:3', path: 'updated_dt', hint: expect.stringContaining('`Workflow.updatedAt`') },
      // Only at the workflow's top level: elsewhere an unknown key keeps its usual hint.
      { at: '8:7', path: 'jobs.a.extras', hint: expect.stringMatching(/^allowed keys: /) },
    ]);
    expect(issues.find((i) => i.path === 'extras')!.hint).toMatch(/read them as `\$\{\{ extras\.<key> \}\}`/);
  });

  it('reports cycles with their members', () => {
    const dir = writeConf({
      'w.yml': `wf:
  type: Workflow
  jobs:
    a: { needs: [c], stages: [{ echo: a }] }
    b: { needs: [a], stages: [{ echo: b }] }
    c: { needs: [b], stages: [{ echo: c }] }
`,
    });
    const { issues } = validateWorkflow(loadConfTree(dir), 'wf');
    const codes = issues.map((i) => i.code);
    expect(codes).toContain('cycle');
    expect(codes).toContain('no-root');
    expect(issues.find((i) => i.code === 'cycle')!.message).toMatch(/a → c → b → a|a → b → c → a/);
  });

  it('rejects duplicate stage ids (default id = slug of the name without templates)', () => {
    const dir = writeConf({
      'w.yml': `wf:
  type: Workflow
  jobs:
    a:
      stages:
        - name: Build \${{ params.x }}
          echo: one
        - name: Build
          echo: two
`,
    });
    const { issues } = validateWorkflow(loadConfTree(dir), 'wf');
    expect(issues.filter((i) => i.severity === 'error').map((i) => `${i.code}@${i.line}`)).toEqual(['duplicate-stage-id@8']);
    expect(issues.filter((i) => i.severity === 'warning').map((i) => `${i.code}@${i.line}`)).toEqual(['undeclared-param@6']);
  });

  it('throws WorkflowNotFoundError with code ENOENT and a suggestion', () => {
    const dir = writeConf({ 'w.yml': valid });
    let err: unknown;
    try {
      loadWorkflowSpec('wff', { path: dir });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WorkflowNotFoundError);
    expect((err as WorkflowNotFoundError).code).toBe('ENOENT');
    expect((err as Error).message).toMatch(/did you mean 'wf'/);
  });

  it('refuses names that could escape the conf path', () => {
    const dir = writeConf({ 'w.yml': valid });
    expect(() => loadWorkflowSpec('../etc/passwd', { path: dir })).toThrow(WorkflowNotFoundError);
  });

  it('throws ConfigError holding every issue', () => {
    const dir = writeConf({ 'w.yml': 'wf:\n  type: Workflow\n  jobz: {}\n' });
    try {
      loadWorkflowSpec('wf', { path: dir });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const issues = (e as ConfigError).issues;
      expect(issues.some((i) => i.code === 'unknown-key' && i.hint === "did you mean 'jobs'?")).toBe(true);
      expect((e as Error).message).toMatch(/w\.yml:3:3/);
    }
  });
});

describe('trigger cycles in validate', () => {
  it('reports A → B → A at each trigger stage that starts the loop', async () => {
    const { validateTree } = await import('../../../src/config/loader.js');
    const dir = writeConf({
      'l.yml': `loop-a:
  type: Workflow
  jobs:
    go:
      stages:
        - name: To B
          trigger: loop-b
loop-b:
  type: Workflow
  jobs:
    go:
      stages:
        - name: Back to A
          trigger: loop-a
`,
    });
    const { issues } = validateTree(loadConfTree(dir));
    expect(issues.map((i) => `${i.code}@${i.line}:${i.col}`)).toEqual(['trigger-cycle@6:11', 'trigger-cycle@13:11']);
    expect(issues[0]!.message).toMatch(/loop-a → loop-b → loop-a/);
  });
});
