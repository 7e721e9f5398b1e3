/** The config commands of the CLI: validate, list, graph, schema (no Temporal server needed). */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { graphDot, graphMermaid } from '../../../src/cli/graph.js';
import { loadWorkflowSpec } from '../../../src/config/loader.js';
import { runCli } from '../../helpers/cli.js';
import { writeConf } from '../../helpers/conf.js';

const root = resolve(import.meta.dirname, '../../..');

const good = `wf:
  type: Workflow
  params:
    day: { type: date, default: "2024-01-01" }
    mode: str
  on:
    - cron: "0 9 * * 1-5"
      timezone: Europe/Paris
  jobs:
    split:
      stages:
        - echo: split
    "process":
      needs: [split]
      strategy:
        matrix: { region: [us, eu], shard: [1, 2, 3] }
      stages:
        - echo: "\${{ matrix.region }}"
    report:
      needs: [process, split]
      if: \${{ always() }}
      stages:
        - echo: 'say "done"'
`;

const bad = `wf:
  type: Workflow
  jobs:
    a:
      need: [b]
      stages:
        - bash: make
          run: x
    b:
      needs: [ghost]
      stages:
        - echo: "\${{ matrix.x }}"
`;

describe('graph rendering', () => {
  const spec = loadWorkflowSpec('wf', { path: writeConf({ 'wf.yml': good }) }).spec;
  it('renders mermaid with matrix labels and needs as edges', () => {
    expect(graphMermaid(spec)).toBe(
      ['flowchart LR', '  j0["split"]', '  j1[["process<br/>matrix: region(2) × shard(3)"]]', '  j2["report<br/>if: ${{ always() }}"]', '  j0 --> j1', '  j1 --> j2', '  j0 --> j2', ''].join('\n'),
    );
  });
  it('renders dot', () => {
    const dot = graphDot(spec);
    expect(dot).toContain('"process" [label="process\\nmatrix: region(2) × shard(3)", shape=box3d];');
    expect(dot).toContain('"split" -> "process";');
    expect(dot).toContain('"process" -> "report";');
    expect(dot.startsWith('digraph "wf" {')).toBe(true);
  });
});

describe('tempoflow CLI (config commands)', () => {
  it('validate: exit 0 on a clean tree, 2 with every problem at file:line:col', async () => {
    const okDir = writeConf({ 'wf.yml': good });
    const ok = await runCli(['validate', '--conf', okDir], { cwd: root });
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/1 workflow checked: 0 errors, 0 warnings/);
    const badDir = writeConf({ 'wf.yml': bad });
    const res = await runCli(['validate', '--conf', badDir, '--json'], { cwd: root });
    expect(res.code).toBe(2);
    const out = JSON.parse(res.stdout) as { ok: boolean; issues: { code: string; line: number; col: number }[] };
    expect(out.ok).toBe(false);
    expect(out.issues.map((i) => `${i.code}@${i.line}:${i.col}`)).toEqual(['unknown-key@5:7', 'two-actions@8:11', 'unknown-need@10:15', 'namespace-not-here@12:22']);
    const text = await runCli(['validate', '--conf', badDir], { cwd: root });
    expect(text.stderr).toMatch(/wf\.yml:5:7: error \[unknown-key\] jobs\.a\.need: unknown key 'need' \(did you mean 'needs'\?\)/);
  }, 60_000);

  it('validate <name> reports an unknown workflow', async () => {
    const res = await runCli(['validate', 'nope', '--conf', writeConf({ 'wf.yml': good })], { cwd: root });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/no workflow named 'nope'/);
  }, 60_000);

  it('list prints file, params and schedules, and --json', async () => {
    const dir = writeConf({ 'wf.yml': good, 'broken.yml': bad.replace('wf:', 'broken:') });
    const res = await runCli(['list', '--conf', dir], { cwd: root });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^broken {2}\(.*broken\.yml\) {2}INVALID/m);
    expect(res.stdout).toMatch(/^wf {2}\(.*wf\.yml\)$/m);
    expect(res.stdout).toContain('    day: date = "2024-01-01"');
    expect(res.stdout).toContain('    mode: str (required)');
    expect(res.stdout).toContain('    0 9 * * 1-5  Europe/Paris');
    const json = JSON.parse((await runCli(['list', '--json', '--conf', dir], { cwd: root })).stdout) as { name: string; valid: boolean; schedules: unknown[] }[];
    expect(json.map((w) => [w.name, w.valid])).toEqual([
      ['broken', false],
      ['wf', true],
    ]);
    expect(json[1]!.schedules).toEqual([{ cron: '0 9 * * 1-5', timezone: 'Europe/Paris' }]);
  }, 60_000);

  it('graph prints mermaid or dot; schema prints the committed JSON Schema', async () => {
    const dir = writeConf({ 'wf.yml': good });
    const mermaid = await runCli(['graph', 'wf', '--conf', dir], { cwd: root });
    expect(mermaid.code).toBe(0);
    expect(mermaid.stdout.startsWith('flowchart LR\n')).toBe(true);
    const dot = await runCli(['graph', 'wf', '--format', 'dot', '--conf', dir], { cwd: root });
    expect(dot.stdout.startsWith('digraph')).toBe(true);
    const invalid = await runCli(['graph', 'wf', '--conf', writeConf({ 'wf.yml': bad })], { cwd: root });
    expect(invalid.code).toBe(2);
    const schema = await runCli(['schema'], { cwd: root });
    expect(schema.stdout).toBe(readFileSync(resolve(root, 'schema/workflow.schema.json'), 'utf8'));
  }, 60_000);
});
