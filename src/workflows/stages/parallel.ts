/**
 * `parallel:` runs every branch as a nested unit (`branch` in scope), at most
 * `max-workers` at once; every branch runs to its end, and a failed branch
 * fails the stage (`BranchFailed`). Outputs: `{ parallel: { <branch>: {
 * branch, status, stages } } }`, live while the branches run.
 *
 * Workflow code: deterministic, no I/O.
 */
import { StageErrorName } from '../../engine/stage-errors.js';
import { isFailure } from '../../engine/status.js';
import { renderCount } from '../../engine/render.js';
import { stoppingFailure } from '../stop-state.js';
import type { NestedOutcome, StageKind } from './stage-kind.js';

/** See the module doc. */
export const parallelStage: StageKind<'parallel'> = {
  async run(stage, env) {
    const branches: Record<string, unknown> = {};
    const outputs = { parallel: branches };
    env.live.outputs = outputs;
    const limit = stage.maxWorkers === undefined ? stage.branches.length : Math.max(1, renderCount(stage.maxWorkers, env.ctx, 'max-workers'));
    const results: NestedOutcome[] = [];
    const { stopped } = await env.pool(
      stage.branches.length,
      limit,
      async (i) => {
        const branch = stage.branches[i]!;
        const r = await env.runNested(branch.stages, env.scope, stage, branch.name, { branch: branch.name }, branches);
        results[i] = r;
        return r.status;
      },
      false,
    );
    if (stopped) throw stoppingFailure();
    const failed = stage.branches.map((b, i) => ({ b, r: results[i] })).filter(({ r }) => r && isFailure(r.status));
    if (failed.length === 0) return { ok: true, outputs };
    const first = failed[0]!;
    const names = failed.map(({ b }) => b.name).join(', ');
    return {
      ok: false,
      outputs,
      error: { name: StageErrorName.BranchFailed, message: `branch${failed.length > 1 ? 'es' : ''} ${names} failed: ${first.r?.error?.message ?? 'a stage failed'}`, ...env.where },
    };
  },
};
