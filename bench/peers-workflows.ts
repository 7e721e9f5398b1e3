/**
 * Workflows of bench/peers: tempoflow's own (re-exported, so one worker serves
 * both sides with the same settings) and hand-written Temporal baselines that
 * call the same `bashStage` activity directly, with no interpreter around it.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../src/activities/index.js';
import { baselineStageInput } from './peers-inputs.js';

export * from '../src/workflows/index.js';

const remote = proxyActivities<Activities>({ startToCloseTimeout: '10 minutes', heartbeatTimeout: '10s' });
const local = proxyLocalActivities<Activities>({ startToCloseTimeout: '10 minutes' });

/** How the baseline dispatches its activities: one each (`activity`, `local`), or all in one (`batch`). */
export type BaselineDispatch = 'activity' | 'local' | 'batch';

/** The one activity of the `batch` baseline (`baselineBatchActivities` in bench/common.ts): `n` `bash: "true"` stages in a loop. */
export interface BaselineBatchActivities {
  baselineBashLoop(input: { runId: string; n: number }): Promise<number>;
}

const loop = proxyActivities<BaselineBatchActivities>({ startToCloseTimeout: '10 minutes', heartbeatTimeout: '10s' });

function bashTrue(runId: string, stageId: string, dispatch: BaselineDispatch): Promise<{ ok: boolean }> {
  const input = baselineStageInput(runId, stageId);
  return (dispatch === 'local' ? local : remote).bashStage(input);
}

/** `n` `bash: "true"` activities one after another; resolves with how many succeeded. */
export async function baselineBashChain(input: { runId: string; n: number; dispatch: BaselineDispatch }): Promise<number> {
  if (input.dispatch === 'batch') return loop.baselineBashLoop({ runId: input.runId, n: input.n });
  let ok = 0;
  for (let i = 0; i < input.n; i++) if ((await bashTrue(input.runId, `s${i}`, input.dispatch)).ok) ok++;
  return ok;
}

/**
 * A DAG of `layers` × `width` one-stage `bash: "true"` jobs where each layer
 * needs all of the previous one, at most `parallel` at once.
 */
export async function baselineBashDag(input: { runId: string; layers: number; width: number; parallel: number }): Promise<number> {
  let ok = 0;
  for (let layer = 0; layer < input.layers; layer++) {
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < input.width) {
        const i = next++;
        if ((await bashTrue(input.runId, `l${layer}-${i}`, 'activity')).ok) ok++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(input.parallel, input.width) }, lane));
  }
  return ok;
}
