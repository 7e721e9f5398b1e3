/** A caller's context (executeJob's upstream, rerun's previous): both shapes read, every problem reported with its path. */
import { describe, expect, it } from 'vitest';
import { loadWorkflowSpec } from '../../../src/config/loader.js';
import { readContextInput } from '../../../src/engine/context-input.js';
import { WorkflowError } from '../../../src/errors.js';
import { writeConf } from '../../helpers/conf.js';

const { spec } = loadWorkflowSpec('pipe', {
  path: writeConf({
    'pipe.yml': `
pipe:
  type: Workflow
  jobs:
    setup: { stages: [{ name: Setup, echo: s }] }
    process: { needs: [setup], stages: [{ name: Process, echo: p }] }
    report: { needs: [process], stages: [{ name: Report, echo: r }] }
`,
  }),
});

function problems(value: unknown): string {
  try {
    readContextInput(spec, value);
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowError);
    return (err as Error).message;
  }
  throw new Error('expected readContextInput to throw');
}

describe('readContextInput', () => {
  it("reads the seed's hand-written rerun context: statuses, an errors map, no outputs", () => {
    const read = readContextInput(spec, {
      params: { input_file: '/data/input.csv' },
      jobs: { setup: { status: 'SUCCESS' }, process: { status: 'FAILED', errors: { name: 'ValueError', message: 'bad row 3' } } },
    });
    expect(read.params).toEqual({ input_file: '/data/input.csv' });
    expect(read.jobs).toEqual({
      setup: { status: 'SUCCESS', outputs: {}, stages: {}, errors: [] },
      process: { status: 'FAILED', outputs: {}, stages: {}, errors: [{ name: 'ValueError', message: 'bad row 3', job: 'process' }] },
    });
  });

  it('takes outputs as given, else merges the SUCCESS stages’ outputs (a stage without a status has its job’s)', () => {
    const read = readContextInput(spec, {
      jobs: {
        setup: { status: 'success', stages: { a: { outputs: { dir: '/tmp/a', n: 1 } }, b: { outputs: { n: 2 } }, c: { status: 'FAILED', outputs: { n: 3 } } } },
        process: { status: 'SUCCESS', outputs: { rows: 10 }, stages: { p: { outputs: { ignored: true } } } },
      },
    });
    expect(read.jobs.setup!.status).toBe('SUCCESS');
    expect(read.jobs.setup!.outputs).toEqual({ dir: '/tmp/a', n: 2 });
    expect(read.jobs.setup!.stages.a).toEqual({ status: 'SUCCESS', name: 'a', outputs: { dir: '/tmp/a', n: 1 } });
    expect(read.jobs.process!.outputs).toEqual({ rows: 10 });
    expect(read.params).toBeUndefined();
  });

  it('reads a Result’s context unchanged, and ignores the run-level keys', () => {
    const job = {
      status: 'SUCCESS' as const,
      start: '2024-01-01T00:00:00.000Z',
      end: '2024-01-01T00:00:01.000Z',
      attempt: 1,
      outputs: { x: 1 },
      stages: { s: { status: 'SUCCESS' as const, name: 'S', outputs: { x: 1 } } },
      errors: [],
    };
    const read = readContextInput(spec, { params: {}, jobs: { setup: job }, status: 'FAILED', start: '2024-01-01T00:00:00.000Z', errors: [], outputs: { x: 1 } });
    expect(read.jobs.setup).toEqual(job);
  });

  it('reports every problem at once, each at its path, with what to write instead', () => {
    const message = problems({
      job: {},
      jobs: {
        setpu: { status: 'SUCCESS' },
        process: { status: 'FAIL', output: {} },
        report: { status: 'WAIT' },
      },
    });
    expect(message.split('\n').map((l) => l.trim())).toEqual([
      "context has 5 problems (a context is { jobs: { <job>: { status: 'SUCCESS', outputs: { ... } } } }):",
      "context.job: unknown key (did you mean 'jobs'?)",
      "context.jobs.setpu: 'pipe' has no job 'setpu' (did you mean 'setup'?); its jobs: setup, process, report",
      "context.jobs.process.output: unknown key (did you mean 'outputs'?)",
      "context.jobs.process.status: 'FAIL' is not a status; use one of SUCCESS, FAILED, SKIP, CANCEL, TIMEOUT (did you mean FAILED?)",
      'context.jobs.report.status: WAIT is not an end; give only jobs that ended (SUCCESS, FAILED, SKIP, CANCEL, TIMEOUT), and leave out the others',
    ]);
  });

  it('refuses what is not a context: a list, a Result, bad value types', () => {
    expect(problems([])).toBe("context must be a map like { jobs: { <job>: { status: 'SUCCESS', outputs: { ... } } } }, got a list");
    expect(problems({ runId: 'r', context: {}, status: 'SUCCESS' })).toBe('context is a Result, not a context: pass result.context');
    const message = problems({ params: [1], jobs: { setup: { status: 'SUCCESS', outputs: 'x', errors: 3, strategies: {} }, process: 'SUCCESS' } });
    expect(message).toContain('context.params: expected a map, got a list');
    expect(message).toContain('context.jobs.setup.outputs: expected a map, got string "x"');
    expect(message).toContain('context.jobs.setup.errors: expected a list of errors or a map, got number 3');
    expect(message).toContain('context.jobs.setup.strategies: expected a list of combinations');
    expect(message).toContain('context.jobs.process: expected a map like { status: \'SUCCESS\', outputs: { ... } }, got string "SUCCESS"');
  });
});
