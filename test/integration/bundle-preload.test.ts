/**
 * The workflow bundle preloads tempoflow's workflow code (src/worker/bundle-options.ts):
 * the SDK's reusable V8 context evaluates every module once and shares it between the
 * workflow executions of a thread, and freezes what the shared modules export
 * (docs/benchmarks.md, "Modules evaluated once"). Checked on the bundle every test of
 * this suite runs on, with the SDK's own sandbox, in a process of its own
 * (test/helpers/shared-modules.mjs).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { workflowBundlePath } from '../helpers/temporal.js';

const script = fileURLToPath(new URL('../helpers/shared-modules.mjs', import.meta.url));

describe('the preloaded workflow bundle', () => {
  it("shares every module of tempoflow's workflow code between executions, with its exports frozen", () => {
    const out = execFileSync(process.execPath, [script, workflowBundlePath(), './src/'], { encoding: 'utf8', timeout: 60_000 });
    const { ids, shared, frozen } = JSON.parse(out) as { ids: string[]; shared: string[]; frozen: boolean };
    // The workflows, engine and expressions layers, and src/errors.ts.
    expect(ids.filter((id) => id.startsWith('./src/workflows/')).length).toBeGreaterThan(30);
    expect(ids).toContain('./src/engine/dag.ts');
    expect(ids).toContain('./src/expressions/evaluator.ts');
    expect(shared).toEqual(ids);
    expect(frozen).toBe(true);
  });
});
