/**
 * A matrix job: its strategy expanded (a dynamic matrix rendered first), its
 * combinations run within `max-parallel` (capped at 1,000 at once), fail-fast,
 * and the job's status, reason and merged outputs from its combinations. A
 * small matrix (at most `limits.inlineMatrixStageRuns`, default 200, stage
 * attempts in all) runs its combinations inside the run's own workflow; a
 * larger one runs one `tempoflowJob` child per combination, and above
 * `limits.matrixBatchSize` (default 250) combinations `tempoflowMatrixBatch`
 * children, a two-level tree (docs/semantics.md, "Jobs, matrices and
 * triggers"; ARCHITECTURE.md, "Scale").
 *
 * Workflow code: deterministic, no I/O.
 */
import { ChildWorkflowCancellationType, executeChild, log, patched } from '@temporalio/workflow';
import { mergeSuccessfulOutputs, type JobContext, type StrategyContext } from '../engine/context.js';
import { expandMatrix, type ExpandedCombination } from '../engine/matrix.js';
import type { JobSpec } from '../engine/spec.js';
import { isFailure, Status } from '../engine/status.js';
import { walkStages } from '../engine/triggers.js';
import { evaluateCondition, renderDeep, renderTemplate, type ExpressionContext } from '../expressions/index.js';
import { failedCombination, runCombinations, taskQueueOf, type MatrixBatchInput, type MatrixBatchResult } from './combinations.js';
import { MATRIX_BATCH_WORKFLOW_TYPE, type JobRunInput, type ReusePlan } from './definitions.js';
import { failedJob } from './job-runner.js';
import { runPool } from './pool.js';
import { renderCount, toErrorInfo } from '../engine/render.js';
import { StopMoment, type StopState } from './stop-state.js';

/**
 * Most matrix combinations running at once in one run, whatever
 * `max-parallel` says: Temporal allows 2,000 pending children per workflow.
 */
export const MAX_CONCURRENT_COMBINATIONS = 1000;

/** Default number of combinations above which a matrix runs in batches (a two-level tree). */
export const DEFAULT_MATRIX_BATCH_SIZE = 250;

/**
 * Default most stage attempts (combinations × stage attempts per
 * combination) of a matrix that runs inline, in the run's own history. A stage
 * attempt adds at most 6 events there (activity scheduled, started, completed
 * and a workflow task), so an inline matrix adds at most 1,200 events: 15% of
 * the 8,000 at which a run continues as new, which it can only do between
 * jobs. Above it, one child workflow per combination keeps the combinations'
 * events out of the run's history.
 */
export const DEFAULT_INLINE_MATRIX_STAGE_RUNS = 200;

/** Stage kinds that keep a matrix in children: unbounded iterations, or approvals addressed to a combination's execution. */
const CHILD_ONLY_KINDS: ReadonlySet<string> = new Set(['foreach', 'until', 'approval']);

/** Patch marker of running small matrices inline (histories without it keep one child per combination). */
export const INLINE_MATRIX_PATCH = 'inline-matrix';

/** What a matrix job needs from the run. */
export interface MatrixJobEnv {
  /** Values of the job's expressions (strategy, `continue-on-error`). */
  readonly values: Record<string, unknown>;
  /** The job's input without a combination (each child adds its own). */
  readonly base: () => JobRunInput;
  readonly runId: string;
  readonly workflowName: string;
  /** A rerun keeps the combinations that succeeded before. */
  readonly reuse?: ReusePlan;
  /** Combinations per batch child. */
  readonly batchSize?: number;
  /** Most stage attempts of a matrix run inline (0: always children). */
  readonly inlineStageRuns?: number;
  /** The run's stop state. */
  readonly stop: StopState;
}

/** The combinations, their limits and fail-fast of a matrix job, rendered. */
interface Strategy {
  readonly combinations: ExpandedCombination[];
  readonly maxParallel: number;
  readonly failFast: boolean;
}

/** Runs a matrix job into `state` (already in the run context, so `status` shows it live). */
export async function runMatrixJob(job: JobSpec, state: JobContext, env: MatrixJobEnv): Promise<void> {
  const ctx: ExpressionContext = { values: env.values };
  let strategy: Strategy;
  try {
    strategy = renderStrategy(job, ctx);
  } catch (err) {
    Object.assign(state, failedJob(toErrorInfo(err, { job: job.id, location: job.loc }), 'its strategy could not be expanded'), { strategies: [] });
    return;
  }
  const { combinations, failFast } = strategy;
  const maxParallel = Math.max(1, Math.min(strategy.maxParallel || combinations.length, MAX_CONCURRENT_COMBINATIONS));
  if (combinations.length === 0) {
    Object.assign(state, { status: Status.SKIP, reason: 'its matrix has no combinations', end: new Date().toISOString() });
    return;
  }
  const batchSize = Math.max(1, env.batchSize ?? DEFAULT_MATRIX_BATCH_SIZE);
  const inline = combinations.length <= batchSize && fitsInline(job, combinations.length, env.inlineStageRuns ?? DEFAULT_INLINE_MATRIX_STAGE_RUNS) && patched(INLINE_MATRIX_PATCH);
  log.info(`job ${job.id}: ${combinations.length} combinations, ${maxParallel} at once${inline ? ', inline' : ''}`);
  const strategies: StrategyContext[] = combinations.map((c) => ({
    key: c.key,
    matrix: { ...c.matrix },
    status: Status.WAIT,
    outputs: {},
    ...(inline ? {} : { workflowId: `${env.runId}.${job.id}.${c.key}` }),
  }));
  state.strategies = strategies;
  for (const kept of env.reuse?.combinations[job.id] ?? []) {
    const entry = strategies.find((s) => s.key === kept.key);
    if (entry && kept.status === Status.SUCCESS) Object.assign(entry, { status: Status.SUCCESS, outputs: kept.outputs, reused: true });
  }
  const base = env.base();
  let failFastReason: string | undefined;
  if (combinations.length <= batchSize) {
    const stopping = () => env.stop.cause !== undefined;
    ({ failFastReason } = await runCombinations({ base, combinations, entries: strategies, maxParallel, failFast }, stopping, inline ? env.stop : undefined));
  } else {
    failFastReason = await runBatches(job, env, { base, combinations, entries: strategies, maxParallel, failFast }, batchSize);
  }
  finishMatrixJob(job, state, strategies, ctx, env.stop, failFastReason);
}

/**
 * Whether a matrix's combinations fit in the run's history: no job-level
 * `concurrency:`, no stage that keeps children ({@link CHILD_ONLY_KINDS}), literal retry counts, and at most
 * `limit` stage attempts in all (each stage counts its attempts, times the
 * job's attempts, times the combinations).
 */
export function fitsInline(job: JobSpec, combinations: number, limit: number): boolean {
  // A combination with `concurrency:` holds a slot of its own, asked for by its child (job-workflow.ts).
  if (job.concurrency) return false;
  const jobRetries = job.retry.maximumRetries;
  if (typeof jobRetries !== 'number') return false;
  let attempts = 0;
  for (const stage of walkStages(job.stages)) {
    const retries = stage.retry.maximumRetries;
    if (CHILD_ONLY_KINDS.has(stage.kind) || typeof retries !== 'number') return false;
    attempts += 1 + retries;
  }
  return combinations * attempts * (1 + jobRetries) <= limit;
}

/** Expands the strategy (rendering a dynamic matrix first), `max-parallel` and `fail-fast`. */
function renderStrategy(job: JobSpec, ctx: ExpressionContext): Strategy {
  const strategy = job.strategy!;
  const combinations = expandStrategy(strategy, ctx);
  const maxParallel = strategy.maxParallel === undefined ? combinations.length : renderCount(strategy.maxParallel, ctx, 'max-parallel');
  const failFast = typeof strategy.failFast === 'boolean' ? strategy.failFast : evaluateCondition(strategy.failFast, ctx);
  return { combinations, maxParallel, failFast };
}

/** Expands a job's strategy, rendering a dynamic matrix first. */
function expandStrategy(strategy: NonNullable<JobSpec['strategy']>, ctx: ExpressionContext): ExpandedCombination[] {
  const matrix = typeof strategy.matrix === 'string' ? renderTemplate(strategy.matrix, ctx) : renderDeep(strategy.matrix, ctx);
  const include = renderDeep(strategy.include, ctx) as unknown[];
  const exclude = renderDeep(strategy.exclude, ctx) as unknown[];
  if (Array.isArray(matrix)) {
    // A list of combinations (e.g. `${{ fromJson(...) }}` yielding objects).
    return expandMatrix({ matrix: {}, include: [...matrix, ...include], exclude });
  }
  if (matrix === null || typeof matrix !== 'object') {
    throw new TypeError(`the matrix must be a map of lists or a list of combinations, got ${JSON.stringify(matrix)}`);
  }
  return expandMatrix({ matrix: matrix as Record<string, unknown>, include, exclude });
}

/** The job's status, reason, errors and outputs from its combinations. */
function finishMatrixJob(job: JobSpec, state: JobContext, strategies: StrategyContext[], ctx: ExpressionContext, stop: StopState, failFastReason: string | undefined): void {
  for (const entry of strategies) {
    if (entry.status === Status.WAIT) entry.status = Status.CANCEL;
  }
  state.errors = strategies.flatMap((s) => s.errors ?? []);
  state.outputs = mergeSuccessfulOutputs(strategies);
  state.end = new Date().toISOString();
  const failed = strategies.filter((s) => isFailure(s.status));
  if (failed.length > 0) {
    state.status = Status.FAILED;
    state.reason = failFastReason ?? `${failed.length} of ${strategies.length} combinations failed`;
    state.continueOnError = typeof job.continueOnError === 'boolean' ? job.continueOnError : safeCondition(job.continueOnError, ctx);
  } else if (stop.cause) {
    state.status = stop.status();
    state.reason = stop.reason(StopMoment.DURING_JOB);
  } else if (strategies.some((s) => s.status === Status.CANCEL)) {
    state.status = Status.CANCEL;
    state.reason = 'some combinations were cancelled';
  } else {
    state.status = Status.SUCCESS;
  }
  log.info(`job ${job.id}: ${state.status}`);
}

function safeCondition(text: string, ctx: ExpressionContext): boolean {
  try {
    return evaluateCondition(text, ctx);
  } catch {
    return false;
  }
}

/**
 * A very large matrix: batches of combinations, each a `tempoflowMatrixBatch`
 * child running its combinations as grandchildren (a two-level tree).
 * `max-parallel` is shared out between the batches that run at once; a
 * batch that reports fail-fast cancels the others.
 */
async function runBatches(job: JobSpec, env: MatrixJobEnv, all: Omit<MatrixBatchInput, 'batch'>, batchSize: number): Promise<string | undefined> {
  const { base, combinations, entries: strategies, maxParallel, failFast } = all;
  const batches: number[][] = [];
  for (let i = 0; i < combinations.length; i += batchSize) batches.push(combinations.slice(i, i + batchSize).map((_, j) => i + j));
  const batchLimit = Math.max(1, Math.min(batches.length, maxParallel));
  const perBatch = Math.max(1, Math.floor(maxParallel / batchLimit));
  log.info(`job ${job.id}: ${combinations.length} combinations in ${batches.length} batches of ${batchSize}, ${batchLimit} batches at once`);
  let failFastReason: string | undefined;
  await runPool({
    count: batches.length,
    limit: batchLimit,
    stopOnFailure: failFast,
    stopping: () => env.stop.cause !== undefined,
    unit: async (b) => {
      const indices = batches[b]!;
      try {
        const result = await executeChild<(input: MatrixBatchInput) => Promise<MatrixBatchResult>>(MATRIX_BATCH_WORKFLOW_TYPE, {
          workflowId: `${env.runId}.${job.id}.batch-${b + 1}`,
          args: [{ base, batch: b, combinations: indices.map((i) => combinations[i]!), entries: indices.map((i) => strategies[i]!), maxParallel: perBatch, failFast }],
          ...taskQueueOf(base),
          cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
          staticSummary: `${env.workflowName} / ${job.id}: combinations ${indices[0]! + 1}-${indices[indices.length - 1]! + 1} of ${combinations.length}`,
        });
        result.entries.forEach((e, j) => Object.assign(strategies[indices[j]!]!, e));
        if (result.failFastReason && !failFastReason) failFastReason = result.failFastReason;
        return failFast && result.failFastReason ? Status.FAILED : Status.SUCCESS;
      } catch (err) {
        for (const i of indices) {
          const entry = strategies[i]!;
          if (entry.status === Status.WAIT) Object.assign(entry, failedCombination(err, { job: job.id, location: job.loc }));
        }
        return Status.SUCCESS;
      }
    },
  });
  return failFastReason;
}
