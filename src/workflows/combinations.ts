/**
 * Running a matrix job's combinations as `tempoflowJob` child workflows,
 * within `max-parallel` and with fail-fast. Used by the interpreter and, for
 * very large matrices, by `tempoflowMatrixBatch` children (a two-level tree),
 * so no single history grows with the number of combinations.
 *
 * Workflow code: deterministic, no I/O.
 */
import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  ChildWorkflowCancellationType,
  ChildWorkflowFailure,
  defineQuery,
  executeChild,
  isCancellation,
  setHandler,
} from '@temporalio/workflow';
import { capContext } from '../engine/caps.js';
import type { JobContext, StrategyContext } from '../engine/context.js';
import { combinationLabel, type ExpandedCombination } from '../engine/matrix.js';
import { isFailure, Status } from '../engine/status.js';
import { JOB_WORKFLOW_TYPE, type JobRunInput } from './definitions.js';
import { toErrorInfo } from './job-runner.js';

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
function taskQueueOf(base: JobRunInput): { taskQueue?: string } {
  return base.job.runsOn.type === 'self-hosted' ? { taskQueue: base.job.runsOn.taskQueue } : {};
}

/** Runs every non-reused combination as a child workflow; fills `entries`. */
export async function runCombinations(input: CombinationsInput, stopping: () => boolean): Promise<CombinationsOutcome> {
  const { base, combinations, entries, failFast } = input;
  const scopes = new Map<number, CancellationScope>();
  const running = new Map<number, Promise<void>>();
  let failFastReason: string | undefined;

  const runOne = async (index: number): Promise<void> => {
    const combination = combinations[index]!;
    const entry = entries[index]!;
    const scope = new CancellationScope();
    scopes.set(index, scope);
    try {
      const result = await scope.run(() =>
        executeChild<(input: JobRunInput) => Promise<JobContext>>(JOB_WORKFLOW_TYPE, {
          workflowId: entry.workflowId!,
          args: [{ ...base, matrix: { ...combination.matrix }, matrixKey: combination.key }],
          ...taskQueueOf(base),
          cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
          staticSummary: `${base.workflowName} / ${base.job.id} (${combinationLabel(combination.matrix)})`.slice(0, 200),
        }),
      );
      entry.status = result.status;
      entry.outputs = result.outputs;
    } catch (err) {
      const details = err instanceof ChildWorkflowFailure && err.cause instanceof ApplicationFailure ? (err.cause.details?.[0] as JobContext | undefined) : undefined;
      if (details && typeof details === 'object' && 'status' in details) {
        entry.status = details.status;
        entry.outputs = details.outputs ?? {};
        entry.errors = details.errors;
      } else if (isCancellation(err) || (err instanceof ChildWorkflowFailure && isCancellation(err.cause))) {
        entry.status = Status.CANCEL;
      } else {
        entry.status = Status.FAILED;
        entry.errors = [toErrorInfo(err, { job: base.job.id, location: base.job.loc })];
      }
    } finally {
      scopes.delete(index);
    }
    if (isFailure(entry.status) && failFast && !failFastReason) {
      failFastReason = `fail-fast: combination ${combinationLabel(combination.matrix)} ${entry.status}`;
      for (const [i, s] of scopes) if (i !== index) s.cancel();
    }
  };

  const limit = Math.max(1, input.maxParallel);
  let next = 0;
  while (next < combinations.length || running.size > 0) {
    while (!failFastReason && !stopping() && running.size < limit && next < combinations.length) {
      const index = next++;
      if (entries[index]!.reused) continue;
      running.set(
        index,
        runOne(index).finally(() => running.delete(index)),
      );
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  return failFastReason ? { failFastReason } : {};
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

/** `status` query of a batch: its combinations so far. */
export const batchStatusQuery = defineQuery<StrategyContext[]>('status');

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
  const capped = capContext({ params: {}, jobs: { batch: { status: Status.SUCCESS, outputs: {}, stages: {}, errors: [], strategies: entries } }, status: Status.SUCCESS, start: '', errors: [] }, BATCH_RESULT_CAP_BYTES);
  return { entries: capped.jobs['batch']?.strategies ?? entries, ...outcome };
}
