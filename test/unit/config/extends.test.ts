/** `extends:` across files: deep merge, chains, cycles, and errors positioned in both files. */
import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../../src/config/errors.js';
import { loadConfTree, loadWorkflowSpec, validateTree, validateWorkflow } from '../../../src/config/loader.js';
import { writeConf } from '../../helpers/conf.js';

const common = `common:
  type: Job
  runs-on: { type: self-hosted, task-queue: etl }
  retry: 2
  env: { LEVEL: common, SHARED: "1" }
  strategy:
    matrix: { region: [us, eu] }
  stages:
    - name: From template
      echo: template
`;

describe('extends', () => {
  it('deep-merges a reusable job: local keys win, maps merge, lists are replaced', () => {
    const dir = writeConf({
      'jobs/common.yml': common,
      'workflows/x.yml': `x:
  type: Workflow
  jobs:
    a:
      extends: common
      env: { LEVEL: local }
      strategy:
        matrix: { region: [ap] }
    b:
      extends: common
      needs: [a]
      stages:
        - name: Mine
          bash: echo mine
`,
    });
    const { spec } = loadWorkflowSpec('x', { path: dir });
    const [a, b] = spec.jobs;
    expect(a!.runsOn).toEqual({ type: 'self-hosted', taskQueue: 'etl' });
    expect(a!.retry.maximumRetries).toBe(2);
    expect(a!.env).toEqual({ LEVEL: 'local', SHARED: '1' });
    expect(a!.strategy!.matrix).toEqual({ region: ['ap'] });
    expect(a!.stages.map((s) => s.id)).toEqual(['from-template']);
    expect(b!.stages.map((s) => [s.id, s.kind])).toEqual([['mine', 'bash']]);
    // A job keeps its own position even when its keys come from elsewhere.
    expect(a!.loc).toMatch(/workflows\/x\.yml:4:5$/);
    // A stage pulled in from the template points into the template's file.
    expect(a!.stages[0]!.loc).toMatch(/jobs\/common\.yml:9:7$/);
  });

  it('reports a problem inside an extended object at both places', () => {
    const dir = writeConf({
      'jobs/common.yml': `common:
  type: Job
  retyr: 2
`,
      'workflows/x.yml': `x:
  type: Workflow
  jobs:
    a:
      extends: common
      stages:
        - echo: a
`,
    });
    const tree = loadConfTree(dir);
    const { issues } = validateWorkflow(tree, 'x');
    expect(issues).toHaveLength(1);
    const issue = issues[0]!;
    expect(issue).toMatchObject({ code: 'unknown-key', line: 3, col: 3, hint: "did you mean 'retry'?" });
    expect(issue.file).toMatch(/jobs\/common\.yml$/);
    expect(issue.via).toHaveLength(1);
    expect(issue.via![0]).toMatch(/workflows\/x\.yml:5:16$/);
    expect(formatIssue(issue)).toMatch(/\(did you mean 'retry'\?; in .*jobs\/common\.yml:3:3, extended by .*workflows\/x\.yml:5:16\)$/);
    // validate reports it once, with the chain.
    const all = validateTree(tree).issues;
    expect(all).toHaveLength(1);
    expect(all[0]!.via).toBeDefined();
  });

  it('follows chains and names every extends on the way', () => {
    const dir = writeConf({
      'stages.yml': `base:
  type: Stage
  timeout: 10 minutes
quiet:
  type: Stage
  extends: base
  env: { QUIET: "1" }
`,
      'wf.yml': `wf:
  type: Workflow
  jobs:
    a:
      stages:
        - extends: quiet
          echo: hi
`,
    });
    const { issues } = validateWorkflow(loadConfTree(dir), 'wf');
    expect(issues.map((i) => `${i.code}@${i.line}:${i.col}`)).toEqual(['bad-duration@3:12']);
    expect(issues[0]!.file).toMatch(/stages\.yml$/);
    expect(issues[0]!.via!.map((v) => v.replace(/^.*\//, ''))).toEqual(['stages.yml:6:12', 'wf.yml:6:20']);
  });

  it('merges a chain of stages, the nearest object winning', () => {
    const dir = writeConf({
      'wf.yml': `base:
  type: Stage
  retry: 1
  timeout: 1m
  env: { A: base, B: base }
mid:
  type: Stage
  extends: base
  retry: 3
  env: { B: mid }
wf:
  type: Workflow
  jobs:
    a:
      stages:
        - extends: mid
          timeout: 2m
          echo: hi
`,
    });
    const { spec } = loadWorkflowSpec('wf', { path: dir });
    const stage = spec.jobs[0]!.stages[0]!;
    expect(stage.retry.maximumRetries).toBe(3);
    expect(stage.timeoutSeconds).toBe(120);
    expect(stage.env).toEqual({ A: 'base', B: 'mid' });
  });

  it('reports unknown names, wrong types and cycles at the extends', () => {
    const dir = writeConf({
      'wf.yml': `one:
  type: Job
  extends: two
two:
  type: Job
  extends: one
st:
  type: Stage
  echo: x
wf:
  type: Workflow
  jobs:
    a:
      extends: one
      stages:
        - extends: nope
          echo: a
    b:
      extends: st
      stages:
        - echo: b
`,
    });
    const { issues } = validateWorkflow(loadConfTree(dir), 'wf');
    expect(issues.map((i) => `${i.code}@${i.line}:${i.col}`)).toEqual(['extends-cycle@6:12', 'unknown-extends@16:20', 'extends-type@19:16']);
    expect(issues[0]!.message).toBe('extends forms a cycle: one → two → one');
  });
});
