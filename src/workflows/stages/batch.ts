/**
 * Stage batches (`dispatch: batch` on a job, docs/semantics.md "Batch
 * dispatch"): which stages of a job's own list run together, and the one
 * `stageBatch` activity that runs them (`activities/stage-batch.ts`). The
 * job runner records the contexts the batch returns as it records those of
 * stages that ran on their own.
 *
 * Workflow code: deterministic, no I/O.
 */
import { isCancellation, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { StageBatchResult } from '../../activities/types.js';
import { jsonBytes } from '../../engine/caps.js';
import type { StageContext } from '../../engine/context.js';
import { toErrorInfo } from '../../engine/render.js';
import type { StageSpec } from '../../engine/spec.js';
import { isActionStage, type ActionStageSpec } from '../../engine/stage-input.js';
import { Status } from '../../engine/status.js';
import type { JobRunInput } from '../definitions.js';
import { StopMoment, type StopState } from '../stop-state.js';
import { activityOptions } from './activity.js';

const activities = proxyActivities<Activities>({ startToCloseTimeout: '1 hour' });

/** A batch returns once its stage contexts reach this many bytes of JSON; the rest go in the next batch. */
export const STAGE_BATCH_RESULT_BYTES = 256 * 1024;

/**
 * What a batch is handed for its templates — the job's stage contexts so far
 * (`stages.*`) and the run's `params`, `needs.*` and `jobs.*` — at most, in
 * bytes of JSON; past it, the job's remaining stages run one activity each,
 * whose inputs do not carry them. It keeps a batch's input far below
 * Temporal's payload limit (2 MB).
 */
export const STAGE_BATCH_CONTEXT_BYTES = 512 * 1024;

/**
 * The stages of a batch starting at `stages[from]`: the action stages from
 * there without a `dispatch` of their own, up to the first other stage.
 * Empty when the job does not batch, or `stages[from]` does not.
 */
export function batchAt(input: JobRunInput, stages: readonly StageSpec[], from: number, stagesSoFar: Record<string, StageContext>): ActionStageSpec[] {
  if (input.job.dispatch !== 'batch' || input.foreachChunk) return [];
  const batch: ActionStageSpec[] = [];
  for (let i = from; i < stages.length; i++) {
    const stage = stages[i]!;
    if (!isActionStage(stage) || stage.dispatch !== undefined) break;
    batch.push(stage);
  }
  if (batch.length > 0 && runValueBytes(input) + jsonBytes(stagesSoFar) > STAGE_BATCH_CONTEXT_BYTES) return [];
  return batch;
}

/** Bytes of a job's `params`, `needs.*` and `jobs.*`, which do not change while it runs: measured once per job input. */
const runValueBytesOf = new WeakMap<JobRunInput, number>();
function runValueBytes(input: JobRunInput): number {
  let bytes = runValueBytesOf.get(input);
  if (bytes === undefined) {
    bytes = jsonBytes([input.params, input.needs, input.jobs]);
    runValueBytesOf.set(input, bytes);
  }
  return bytes;
}

/**
 * Runs consecutive action stages as one stage batch; resolves with the
 * contexts of the first of them — all, unless the batch's byte budget or a
 * stop ended it early (the job runner's loop then goes on from the next
 * one). `values` are those the job's stage expressions see; `stagesSoFar`
 * the job's stage contexts before the batch. Never throws.
 */
export async function runBatchStages(
  input: JobRunInput,
  batch: readonly ActionStageSpec[],
  values: Record<string, unknown>,
  stagesSoFar: Record<string, StageContext>,
  jobFailed: boolean,
  stop: StopState,
): Promise<StageContext[]> {
  const now = () => new Date().toISOString();
  const start = now();
  try {
    const result = await runStageBatch(input, batch, values, stagesSoFar, jobFailed);
    const contexts = result.done.map((entry) => entry.context);
    const cut = result.interrupted;
    if (cut) contexts.push({ status: Status.CANCEL, name: cut.name, outputs: {}, start: cut.start, end: now(), attempt: cut.attempt, reason: stop.reason(StopMoment.DURING_STAGE) });
    // A batch returns at least one stage; an empty result would loop forever.
    if (contexts.length === 0) throw new Error('the stage batch returned no stage');
    return contexts;
  } catch (err) {
    const first = batch[0]!;
    if (isCancellation(err) || stop.stopping()) {
      return [{ status: Status.CANCEL, name: first.name, outputs: {}, start, end: now(), reason: stop.reason(StopMoment.DURING_STAGE) }];
    }
    return [{ status: Status.FAILED, name: first.name, outputs: {}, start, end: now(), error: toErrorInfo(err, { job: input.job.id, stage: first.id, location: first.loc }) }];
  }
}

/** Runs `stages` as one `stageBatch` activity on the job's task queue. */
function runStageBatch(
  input: JobRunInput,
  stages: readonly ActionStageSpec[],
  values: Record<string, unknown>,
  stagesSoFar: Record<string, StageContext>,
  earlierFailed: boolean,
): Promise<StageBatchResult> {
  const { stages: _visibleStages, ...rest } = values;
  const first = stages[0]!.id;
  const last = stages[stages.length - 1]!.id;
  const label = stages.length === 1 ? `${first} (batch of 1 stage)` : `${first} … ${last} (batch of ${stages.length} stages)`;
  return activities.stageBatch.executeWithOptions(activityOptions(input, label, undefined), [
    {
      job: {
        runId: input.runId,
        workflowName: input.workflowName,
        file: input.file,
        job: { id: input.job.id, env: input.job.env },
        workflowEnv: input.workflowEnv,
        params: input.params,
        ...(input.matrix ? { matrix: input.matrix } : {}),
        needs: input.needs,
      },
      values: rest,
      stagesBefore: stagesSoFar,
      stages,
      earlierFailed,
      resultBytes: STAGE_BATCH_RESULT_BYTES,
    },
  ]);
}
