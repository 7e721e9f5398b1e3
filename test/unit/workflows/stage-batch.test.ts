/** Which stages of a job's list go in one stage batch (`dispatch: batch`, docs/semantics.md "Batch dispatch"). */
import { describe, expect, it } from 'vitest';
import { loadWorkflowSpec } from '../../../src/config/loader.js';
import type { JobSpec } from '../../../src/engine/spec.js';
import type { JobRunInput } from '../../../src/workflows/definitions.js';
import { batchAt, STAGE_BATCH_CONTEXT_BYTES } from '../../../src/workflows/stages/batch.js';
import { writeConf } from '../../helpers/conf.js';

function job(dispatch: string): JobSpec {
  const { spec } = loadWorkflowSpec('wf', {
    path: writeConf({
      'wf.yml': `wf:
  type: Workflow
  jobs:
    a:
      dispatch: ${dispatch}
      stages:
        - { name: one, bash: "true" }
        - { name: two, run: "x = 1" }
        - { name: three, uses: tasks/x@v1 }
        - { name: say, echo: hi }
        - { name: four, bash: "true" }
        - { name: own, bash: "true", dispatch: activity }
        - { name: five, bash: "true" }
        - name: fan
          parallel:
            x: [{ name: inner, bash: "true" }]
`,
    }),
  });
  return spec.jobs[0]!;
}

const input = (j: JobSpec, extra: Partial<JobRunInput> = {}) => ({ job: j, ...extra }) as JobRunInput;
const ids = (stages: readonly { id: string }[]) => stages.map((s) => s.id);

describe('batchAt', () => {
  it('takes the action stages from a position up to the first other stage or a stage with its own dispatch', () => {
    const j = job('batch');
    expect(ids(batchAt(input(j), j.stages, 0, {}))).toEqual(['one', 'two', 'three']);
    expect(ids(batchAt(input(j), j.stages, 1, {}))).toEqual(['two', 'three']);
    expect(ids(batchAt(input(j), j.stages, 3, {}))).toEqual([]); // the echo runs in the workflow
    expect(ids(batchAt(input(j), j.stages, 4, {}))).toEqual(['four']);
    expect(ids(batchAt(input(j), j.stages, 5, {}))).toEqual([]); // `dispatch: activity` opts out
    expect(ids(batchAt(input(j), j.stages, 6, {}))).toEqual(['five']);
    expect(ids(batchAt(input(j), j.stages, 7, {}))).toEqual([]); // a nested stage is not batched
  });

  it('nothing batches in a job without dispatch: batch, in a foreach chunk, or once the contexts so far are too large', () => {
    expect(batchAt(input(job('activity')), job('activity').stages, 0, {})).toEqual([]);
    expect(batchAt(input(job('local')), job('local').stages, 0, {})).toEqual([]);
    const j = job('batch');
    expect(batchAt(input(j, { foreachChunk: {} as never }), j.stages, 0, {})).toEqual([]);
    const big = { earlier: { status: 'SUCCESS', name: 'e', outputs: { stdout: 'x'.repeat(STAGE_BATCH_CONTEXT_BYTES) } } } as never;
    expect(batchAt(input(j), j.stages, 0, big)).toEqual([]);
    const bigNeeds = { needs: { up: { outputs: { data: 'x'.repeat(STAGE_BATCH_CONTEXT_BYTES) } } } };
    expect(batchAt(input(j, bigNeeds), j.stages, 0, {})).toEqual([]);
    expect(ids(batchAt(input(j, { needs: { up: { outputs: { data: 'small' } } } }), j.stages, 0, {}))).toEqual(['one', 'two', 'three']);
  });
});
