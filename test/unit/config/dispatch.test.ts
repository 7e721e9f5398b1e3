/** `dispatch:` of action stages and jobs (docs/semantics.md, "Local dispatch", "Batch dispatch"): normalized, and checked with positions. */
import { describe, expect, it } from 'vitest';
import { loadConfTree, loadWorkflowSpec, validateWorkflow } from '../../../src/config/loader.js';
import { writeConf } from '../../helpers/conf.js';

const issuesOf = (yaml: string) => validateWorkflow(loadConfTree(writeConf({ 'wf.yml': yaml })), 'wf').issues.map((i) => `${i.code}@${i.line}:${i.col}`);

describe('dispatch', () => {
  it('keeps a stage dispatch and a job default; unset means activity', () => {
    const { spec } = loadWorkflowSpec('wf', {
      path: writeConf({
        'wf.yml': `wf:
  type: Workflow
  jobs:
    a:
      dispatch: local
      stages:
        - { name: b, bash: "true", dispatch: activity }
        - { name: r, run: "x = 1" }
    c:
      stages:
        - { name: u, uses: tasks/x@v1, dispatch: local }
        - { name: e, echo: hi }
`,
      }),
    });
    const [a, c] = spec.jobs;
    expect(a!.dispatch).toBe('local');
    expect(a!.stages.map((s) => ('dispatch' in s ? s.dispatch : undefined))).toEqual(['activity', undefined]);
    expect(c!.dispatch).toBeUndefined();
    expect(c!.stages.map((s) => ('dispatch' in s ? s.dispatch : undefined))).toEqual(['local', undefined]);
  });

  it('rejects dispatch on a stage that is not bash, run or uses, and unknown values, at their positions', () => {
    const issues = issuesOf(`wf:
  type: Workflow
  jobs:
    a:
      dispatch: nearby
      stages:
        - name: e
          echo: hi
          dispatch: local
        - name: b
          bash: "true"
          dispatch: remote
`);
    expect(issues).toContain('key-not-for-action@9:11');
    expect(issues.some((i) => i.endsWith('@5:17'))).toBe(true);
    expect(issues.some((i) => i.endsWith('@12:21'))).toBe(true);
  });

  it('rejects dispatch: local in a runs-on self-hosted job, nested stages included', () => {
    const issues = issuesOf(`wf:
  type: Workflow
  jobs:
    a:
      runs-on: { type: self-hosted, task-queue: gpu }
      dispatch: local
      stages:
        - name: each
          foreach: [1, 2]
          stages:
            - { name: b, bash: "true", dispatch: local }
`);
    expect(issues).toContain('local-dispatch-runs-on@6:7');
    expect(issues).toContain('local-dispatch-runs-on@11:40');
  });

  it("keeps a job's dispatch: batch (runs-on allowed); on a stage it is an error that says it goes on the job", () => {
    const { spec } = loadWorkflowSpec('wf', {
      path: writeConf({
        'wf.yml': `wf:
  type: Workflow
  jobs:
    a:
      runs-on: { type: self-hosted, task-queue: gpu }
      dispatch: batch
      stages:
        - { name: b, bash: "true" }
`,
      }),
    });
    expect(spec.jobs[0]!.dispatch).toBe('batch');
    const result = validateWorkflow(
      loadConfTree(
        writeConf({
          'wf.yml': `wf:
  type: Workflow
  jobs:
    a:
      stages:
        - name: b
          bash: "true"
          dispatch: batch
`,
        }),
      ),
      'wf',
    );
    expect(result.issues).toMatchObject([{ code: 'invalid-value', line: 8, col: 21, hint: expect.stringContaining('`dispatch: batch` goes on the job') }]);
  });
});
