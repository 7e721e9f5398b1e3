/**
 * `prepareRun` resolves a by-name request on the worker: the YAML from its
 * conf tree, params coerced as `tempoflow run -p` does, the worker's
 * timeout and job parallelism defaults; problems in the words `validate`
 * and `run` use.
 */
import { describe, expect, it } from 'vitest';
import { prepareRun } from '../../../src/activities/prepare-run.js';
import { formatIssue } from '../../../src/config/errors.js';
import { loadConfTree, validateTree } from '../../../src/config/loader.js';
import { writeConf } from '../../helpers/conf.js';

const conf = () =>
  writeConf({
    'w.yml': `
greet:
  type: Workflow
  params:
    name: { type: str, required: true }
    count: { type: int, default: 1 }
  jobs:
    a:
      stages: [{ name: A, echo: a }]
    b:
      stages: [{ name: B, echo: b }]
timed:
  type: Workflow
  timeout: 5m
  jobs:
    a:
      stages: [{ name: A, echo: a }]
broken:
  type: Workflow
  jobs:
    a:
      needs: [nope]
      stages: [{ name: A, ech: a }]
`,
  });

const all = new Set(['TfWorkflow', 'TfReleaseType', 'TfReleaseTime']);

describe('prepareRun', () => {
  it('loads, coerces and settles the run with the worker defaults', () => {
    const confPath = conf();
    const env = { WORKFLOW_CORE_TIMEOUT: '90', WORKFLOW_CORE_MAX_JOB_PARALLEL: '3' };
    const r = prepareRun({ workflow: 'greet', params: { name: 'raw', count: '3' }, jobs: ['a'] }, { baseEnv: env, confPath }, all);
    expect(r).toMatchObject({
      ok: true,
      params: { name: 'raw', count: 3 },
      timeoutSeconds: 90,
      maxJobParallel: 3,
      onlyJobs: ['a'],
      confPath,
      searchAttributes: [{ name: 'TfWorkflow', type: 'KEYWORD', value: 'greet' }],
    });
    expect(r.ok && r.spec.name).toBe('greet');
    // The YAML's timeout wins over the worker's default; the request's wins over both.
    expect(prepareRun({ workflow: 'timed' }, { baseEnv: env, confPath }, all)).toMatchObject({ ok: true, timeoutSeconds: 300 });
    expect(prepareRun({ workflow: 'timed', timeout: 7, maxJobParallel: 1 }, { baseEnv: env, confPath }, all)).toMatchObject({ ok: true, timeoutSeconds: 7, maxJobParallel: 1 });
    // Without the env: 3600 s and 2 jobs; without registered attributes: none.
    expect(prepareRun({ workflow: 'greet', params: { name: 'x' } }, { baseEnv: {}, confPath }, new Set())).toMatchObject({ ok: true, timeoutSeconds: 3600, maxJobParallel: 2, searchAttributes: [] });
  });

  it('returns the problems validate and run print: unknown workflow, invalid YAML, bad param, unknown job, bad worker env', () => {
    const confPath = conf();
    const base = { baseEnv: {}, confPath };
    expect(prepareRun({ workflow: 'gret' }, base, all)).toMatchObject({ ok: false, error: { name: 'WorkflowNotFoundError', message: expect.stringContaining("no workflow named 'gret'") } });

    const broken = prepareRun({ workflow: 'broken' }, base, all);
    expect(broken).toMatchObject({ ok: false, error: { name: 'ConfigError' } });
    const lines = validateTree(loadConfTree(confPath), ['broken'])
      .issues.filter((i) => i.severity === 'error')
      .map(formatIssue);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(!broken.ok && broken.error.message).toBe(`workflow 'broken' is invalid:\n${lines.join('\n')}`);

    expect(prepareRun({ workflow: 'greet', params: { name: 'x', count: 'many' } }, base, all)).toMatchObject({
      ok: false,
      error: { name: 'ParamError', message: `param 'count': expected an integer (int), got "many"` },
    });
    expect(prepareRun({ workflow: 'greet', params: {} }, base, all)).toMatchObject({
      ok: false,
      error: { name: 'ParamError', message: expect.stringContaining("param 'name': required str param is missing") },
    });
    expect(prepareRun({ workflow: 'greet', params: { name: 'x' }, jobs: ['c'] }, base, all)).toMatchObject({
      ok: false,
      error: { name: 'WorkflowError', message: "workflow 'greet' has no job 'c' (jobs: a, b)" },
    });
    expect(prepareRun({ workflow: 'greet', params: { name: 'x' } }, { baseEnv: { WORKFLOW_CORE_TIMEOUT: 'soon' }, confPath }, all)).toMatchObject({
      ok: false,
      error: { name: 'WorkflowError', message: expect.stringContaining('WORKFLOW_CORE_TIMEOUT=soon is not a positive number') },
    });
  });

  it('refuses a workflow whose snapshot would not fit a Temporal payload', () => {
    const confPath = conf();
    const r = prepareRun({ workflow: 'greet', params: { name: 'x'.repeat(2 * 1024 * 1024) } }, { baseEnv: {}, confPath }, all);
    expect(r).toMatchObject({ ok: false, error: { name: 'WorkflowError', message: expect.stringMatching(/param 'name' alone is \d+ bytes/) } });
  });
});
