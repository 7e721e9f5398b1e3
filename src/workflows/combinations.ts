/**
 * Running a matrix job's combinations as `tempoflowJob` child workflows (id
 * `<run>.<job>.<matrix key>`), within `max-parallel` and with fail-fast.
 * Used by the matrix job (`matrix-job.ts`) and, for very large matrices, by
 * `tempoflowMatrixBatch` children (a two-level tree), so no single history
 * grows with the number of combinations (ARCHITECTURE.md, "Scale").
 *
 * Workflow code: deterministic, no I/O.
 */
import { CancellationScope, CancelledFailure, ChildWorkflowCancellationType, ChildWorkflowFailure, executeChild, isCancellation, setHandler } from '@temporalio/workflow';
import { capContext } from '../engine/caps.js';
import type { JobContext, StrategyContext } from '../engine/context.js';
import { combinationLabel, type ExpandedCombination } from '../engine/matrix.js';
import { isFailure, Status } from '../engine/status.js';
import { ChildEndedBy, childEnding } from './child-outcome.js';
import { batchStatusQuery, JOB_WORKFLOW_TYPE, type JobRunInput } from './definitions.js';
import { JobRunner } from './job-runner.js';
import { runPool } from './pool.js';
import { toErrorInfo, type ErrorWhere } from '../engine/render.js';
import type { StopState } from './stop-state.js';
import { WaitingDetails } from './waiting-details.js';

/** Bytes of JSON a batch may return for its combinations' outputs. */
const BATCH_RESULT_CAP_BYTES = 1024 * 1024;

/** What to run: the combinations of one matrix job (or a slice of them). */
export interface CombinationsInput {
  /** The job's input without `matrix`/`matrixKey`; each combination adds its own. */
  readonly base: JobRunInput;
  readonly combinations: readonly ExpandedCombination[];
  /** One entry per combination, updated in place; `reused` entries are not run. */
  readonly entries: StrategyContext[];
  readonly maxParallel: number;
  readonly failFast: boolean;
}

/** How a set of combinations ended. */
export interface CombinationsOutcome {
  /** Set when a failure stopped the others (`fail-fast`). */
  readonly failFastReason?: string;
}

/** Task queue of a job's children (`runs-on: self-hosted`). */
export function taskQueueOf(base: JobRunInput): { taskQueue?: string } {
  return base.job.runsOn.type === 'self-hosted' ? { taskQueue: base.job.runsOn.taskQueue } : {};
}

/**
 * Runs every non-reused combination; fills `entries`. Each is a child
 * workflow, or, given `inline` (the stop state of the workflow they run in),
 * a job runner inside this workflow (a small matrix, see `matrix-job.ts`).
 */
export async function runCombinations(input: CombinationsInput, stopping: () => boolean, inline?: StopState): Promise<CombinationsOutcome> {
  const { base, combinations, entries, failFast } = input;
  const todo = entries.flatMap((entry, i) => (entry.reused ? [] : [i]));
  const { failedAt } = await runPool({
    count: todo.length,
    limit: input.maxParallel,
    stopOnFailure: failFast,
    stopping,
    unit: (k) => {
      const [combination, entry] = [combinations[todo[k]!]!, entries[todo[k]!]!];
      return inline ? runCombinationInline(base, combination, entry, inline) : runCombination(base, combination, entry);
    },
  });
  if (!failFast || failedAt === undefined) return {};
  const index = todo[failedAt]!;
  return { failFastReason: `fail-fast: combination ${combinationLabel(combinations[index]!.matrix)} ${entries[index]!.status}` };
}

/** One combination's child; its ending goes into `entry`. */
async function runCombination(base: JobRunInput, combination: ExpandedCombination, entry: StrategyContext): Promise<Status> {
  try {
    const result = await executeChild<(input: JobRunInput) => Promise<JobContext>>(JOB_WORKFLOW_TYPE, {
      workflowId: entry.workflowId!,
      args: [{ ...base, matrix: { ...combination.matrix }, matrixKey: combination.key }],
      ...taskQueueOf(base),
      cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
      staticSummary: `${base.workflowName} / ${base.job.id} (${combinationLabel(combination.matrix)})`.slice(0, 200),
    });
    entry.status = result.status;
    entry.outputs = result.outputs;
  } catch (err) {
    Object.assign(entry, failedCombination(err, { job: base.job.id, location: base.job.loc }));
  }
  return entry.status;
}

/**
 * One combination run by the same job runner a `tempoflowJob` child uses,
 * inside this workflow; its entry records what the child's ending would
 * have: status and outputs, the errors of a failure, only CANCEL when it was
 * cancelled (by fail-fast or by the run stopping).
 */
async function runCombinationInline(base: JobRunInput, combination: ExpandedCombination, entry: StrategyContext, stop: StopState): Promise<Status> {
  const scope = CancellationScope.current();
  // No approval stage and no concurrency group runs inline (`fitsInline`): its own WaitingDetails never publishes.
  const state = await new JobRunner({ ...base, matrix: { ...combination.matrix }, matrixKey: combination.key }, stop, new WaitingDetails()).run();
  entry.stages = state.stages;
  if (scope.consideredCancelled || stop.cause !== undefined) {
    entry.status = Status.CANCEL;
    return entry.status;
  }
  entry.status = state.status;
  entry.outputs = state.outputs;
  if (isFailure(state.status)) entry.errors = state.errors;
  return entry.status;
}

/**
 * What a combination's entry records when its child (or the batch child that
 * held it) did not return: the job context the child failed with, CANCEL
 * when cancelled, else FAILED with the error.
 */
export function failedCombination(err: unknown, where: ErrorWhere): Pick<StrategyContext, 'status'> & Partial<StrategyContext> {
  const ending = childEnding<JobContext>(err);
  if (ending?.endedBy === ChildEndedBy.FAILURE && ending.context) {
    return { status: ending.context.status, outputs: ending.context.outputs ?? {}, errors: ending.context.errors };
  }
  if (isCancellation(err) || (err instanceof ChildWorkflowFailure && isCancellation(err.cause))) return { status: Status.CANCEL };
  return { status: Status.FAILED, errors: [toErrorInfo(err, where)] };
}

/** Input of a batch child: a slice of a large matrix. */
export interface MatrixBatchInput extends CombinationsInput {
  /** 0-based batch number, for names. */
  readonly batch: number;
}

/** Result of a batch child: its entries (outputs capped to fit history). */
export interface MatrixBatchResult {
  readonly entries: StrategyContext[];
  readonly failFastReason?: string;
}

/**
 * `tempoflowMatrixBatch`: runs a slice of a very large matrix, so the run's
 * own history holds one child per batch instead of one per combination.
 */
export async function tempoflowMatrixBatch(input: MatrixBatchInput): Promise<MatrixBatchResult> {
  const root = CancellationScope.current();
  const entries = input.entries.map((e) => ({ ...e }));
  setHandler(batchStatusQuery, () => entries);
  const outcome = await runCombinations({ ...input, entries }, () => root.consideredCancelled);
  if (root.consideredCancelled) throw new CancelledFailure(`batch ${input.batch} of job ${input.base.job.id} cancelled`);
  const capped = capContext(
    { params: {}, jobs: { batch: { status: Status.SUCCESS, outputs: {}, stages: {}, errors: [], strategies: entries } }, status: Status.SUCCESS, start: '', errors: [] },
    BATCH_RESULT_CAP_BYTES,
  );
  return { entries: capped.jobs['batch']?.strategies ?? entries, ...outcome };
}
