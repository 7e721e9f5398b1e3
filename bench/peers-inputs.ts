/**
 * The stage input of bench/peers' hand-written baselines, shared by their
 * workflows (bench/peers-workflows.ts) and the `batch` baseline's activity
 * (`baselineBatchActivities` in bench/common.ts). No workflow APIs: both sides import it.
 */
import type { BashStageInput } from '../src/activities/types.js';

/** A `bash: "true"` stage input of the baselines. */
export function baselineStageInput(runId: string, stageId: string): BashStageInput {
  return { runId, workflowName: 'baseline', jobId: 'main', stageId, stageName: stageId, location: 'bench:1:1', attempt: 1, script: 'true', env: {}, params: {} };
}
