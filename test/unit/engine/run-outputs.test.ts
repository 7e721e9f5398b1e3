/** A run's outputs: its SUCCESS jobs' outputs merged in run order (docs/semantics.md "Run outputs"), and capped with the rest. */
import { describe, expect, it } from 'vitest';
import { capContext } from '../../../src/engine/caps.js';
import { mergeRunOutputs, type JobContext, type RunContext } from '../../../src/engine/context.js';
import { analyzeDag } from '../../../src/engine/dag.js';
import type { Status } from '../../../src/engine/status.js';

const job = (status: Status, outputs: Record<string, unknown>): JobContext => ({ status, outputs, stages: {}, errors: [] });

describe('mergeRunOutputs', () => {
  it('merges SUCCESS jobs in topological order: a job’s keys win over its needs’, whatever the YAML order', () => {
    // YAML order: report, load, extract; load needs extract, report needs load.
    const order = analyzeDag({ report: { needs: ['load'] }, load: { needs: ['extract'] }, extract: { needs: [] } }).order;
    expect(order).toEqual(['extract', 'load', 'report']);
    const jobs = {
      report: job('SUCCESS', { rows: 3, report: '/out/r.html' }),
      load: job('SUCCESS', { rows: 2, table: 'sales' }),
      extract: job('SUCCESS', { rows: 1, file: '/in/x.csv' }),
    };
    expect(mergeRunOutputs(order, jobs)).toEqual({ rows: 3, file: '/in/x.csv', table: 'sales', report: '/out/r.html' });
  });

  it('leaves out jobs that did not succeed (continue-on-error failures included), never ran, or are not counted', () => {
    const jobs = {
      a: job('SUCCESS', { a: 1, shared: 'a' }),
      b: { ...job('FAILED', { b: 1, shared: 'b' }), continueOnError: true },
      c: job('SKIP', {}),
      d: job('SUCCESS', { d: 1 }),
    };
    expect(mergeRunOutputs(['a', 'b', 'c', 'd', 'e'], jobs)).toEqual({ a: 1, shared: 'a', d: 1 });
    expect(mergeRunOutputs(['a', 'b', 'c', 'd'], jobs, (id) => id !== 'a')).toEqual({ d: 1 });
  });

  it('is capped with the context when the context is too large', () => {
    const [big, other] = ['x'.repeat(3000), 'y'.repeat(3000)];
    const jobs = { a: job('SUCCESS', { big }), b: job('SUCCESS', { other }) };
    const context: RunContext = { params: {}, jobs, status: 'SUCCESS', start: '2024-01-01T00:00:00.000Z', errors: [], outputs: mergeRunOutputs(['a', 'b'], jobs) };
    // The merged outputs are the largest slot, so they are the first to give way.
    const capped = capContext(context, 8000);
    expect(capped.outputs).toMatchObject({ __truncated: true, bytes: 6021 });
    expect(capped.jobs.a!.outputs).toEqual({ big });
    expect(context.outputs).toEqual({ big, other });
  });
});
