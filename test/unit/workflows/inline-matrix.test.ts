/**
 * Which matrices run inline in the run's history (docs/semantics.md, "Small
 * matrices run inline"): stage attempts in all within the limit, no stage
 * kind that keeps children, literal retry counts.
 */
import { describe, expect, it } from 'vitest';
import { confTreeFromTexts, validateWorkflow } from '../../../src/config/loader.js';
import type { JobSpec } from '../../../src/engine/spec.js';
import { DEFAULT_INLINE_MATRIX_STAGE_RUNS, fitsInline } from '../../../src/workflows/matrix-job.js';

/** The job `m` of a workflow whose job body is `body` (indented under the job). */
function job(body: string): JobSpec {
  const text = `wf:\n  type: Workflow\n  jobs:\n    m:\n      strategy:\n        matrix: { n: [1, 2] }\n${body}`;
  const { spec, issues } = validateWorkflow(confTreeFromTexts('/conf', [{ file: 'wf.yml', text }]), 'wf');
  if (!spec) throw new Error(JSON.stringify(issues));
  return spec.jobs.find((j) => j.id === 'm')!;
}

describe('fitsInline', () => {
  it('counts combinations × stage attempts × job attempts against the limit', () => {
    const two = job(`      stages:\n        - echo: a\n        - bash: "true"\n`);
    expect(DEFAULT_INLINE_MATRIX_STAGE_RUNS).toBe(200);
    expect(fitsInline(two, 100, 200)).toBe(true); // 100 × 2
    expect(fitsInline(two, 101, 200)).toBe(false);
    expect(fitsInline(two, 1, 0)).toBe(false); // 0: always children
    const retried = job(`      retry: { maximum-attempts: 2 }\n      stages:\n        - bash: "true"\n          retry: { maximum-attempts: 3 }\n`);
    expect(fitsInline(retried, 33, 200)).toBe(true); // 33 × 3 × 2 = 198
    expect(fitsInline(retried, 34, 200)).toBe(false);
    const nested = job(`      stages:\n        - parallel:\n            a:\n              - echo: a\n            b:\n              - echo: b\n`);
    expect(fitsInline(nested, 66, 200)).toBe(true); // the parallel stage and its two leaves
    expect(fitsInline(nested, 67, 200)).toBe(false);
  });

  it('keeps children for foreach, until and approval stages, and for templated retries', () => {
    expect(fitsInline(job(`      stages:\n        - foreach: [1, 2]\n          stages:\n            - echo: x\n`), 1, 200)).toBe(false);
    expect(fitsInline(job(`      stages:\n        - approval: go?\n`), 1, 200)).toBe(false);
    const plain = job(`      stages:\n        - bash: "true"\n`);
    const templated = { ...plain, stages: plain.stages.map((st) => ({ ...st, retry: { ...st.retry, maximumRetries: '\${{ params.n }}' } })) } as JobSpec;
    expect(fitsInline(plain, 1, 200)).toBe(true);
    expect(fitsInline(templated, 1, 200)).toBe(false);
    // A combination with concurrency: asks for its own slot from its child.
    expect(fitsInline(job(`      concurrency: { group: 'env-\${{ matrix.n }}', limit: 1 }\n      stages:\n        - bash: "true"\n`), 1, 200)).toBe(false);
  });
});
