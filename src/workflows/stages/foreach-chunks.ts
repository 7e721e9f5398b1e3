/**
 * A large `foreach`: chunks of items run as `tempoflowJob` children, the job
 * reduced to this one stage (no retries, no `if`, no outputs or timeout of
 * its own) and the chunk's items in `foreachChunk`, so keys, outputs and
 * failure semantics match an inline foreach while this history holds one
 * child per chunk. Chunks run one after another unless `concurrent` exceeds
 * a chunk; the first failed chunk stops the rest. Approvals reach stages
 * waiting in a chunk through `Approvals` (ARCHITECTURE.md, "Scale").
 *
 * Workflow code: deterministic, no I/O.
 */
import { ChildWorkflowCancellationType, executeChild } from '@temporalio/workflow';
import type { StageAttemptResult } from '../../activities/types.js';
import type { ErrorInfo, JobContext } from '../../engine/context.js';
import type { JobSpec } from '../../engine/spec.js';
import { StageErrorName } from '../../engine/stage-errors.js';
import { Status } from '../../engine/status.js';
import { ChildEndedBy, childEnding } from '../child-outcome.js';
import { JOB_WORKFLOW_TYPE, type JobRunInput } from '../definitions.js';
import { stoppingFailure } from '../stop-state.js';
import type { StageEnv, StageOf } from './stage-kind.js';

/** The items of a large foreach, as the inline foreach resolved them. */
export interface ChunkedItems {
  readonly items: readonly unknown[];
  readonly keys: readonly string[];
  /** Items running at once, across chunks. */
  readonly concurrent: number;
  readonly chunkSize: number;
  /** The stage's live outputs: `foreach` fills as chunks end. */
  readonly outputs: { items: readonly unknown[]; foreach: Record<string, unknown> };
}

/** Runs the chunks; see the module doc. */
export async function runForeachChunks(stage: StageOf<'foreach'>, env: StageEnv, chunked: ChunkedItems): Promise<StageAttemptResult> {
  const { items, keys, concurrent, chunkSize, outputs } = chunked;
  const perItem = outputs.foreach;
  const count = Math.ceil(items.length / chunkSize);
  const parallelChunks = Math.max(1, Math.ceil(concurrent / chunkSize));
  const perChunk = Math.min(concurrent, chunkSize);
  const job = chunkJob(env.input.job, stage);
  const errors: ErrorInfo[] = [];
  const { failedAt, stopped } = await env.pool(
    count,
    parallelChunks,
    async (c) => {
      const from = c * chunkSize;
      const to = Math.min(items.length, from + chunkSize);
      const { input, scope, approvals } = env;
      const chunkInput: JobRunInput = {
        ...input,
        job,
        foreachChunk: {
          outer: { ...scope.outer, ...scope.stages },
          extra: scope.extra,
          prefix: scope.prefix,
          items: items.slice(from, to),
          keys: keys.slice(from, to),
          loops: items.slice(from, to).map((_, i) => from + i + 1),
          concurrent: perChunk,
        },
      };
      delete (chunkInput as { fromStage?: unknown }).fromStage;
      const childId = `${input.runId}.${input.job.id}${input.matrixKey ? `.${input.matrixKey}` : ''}.${scope.prefix}${stage.id}.chunk-${c + 1}`;
      (chunkInput as { approvals?: unknown }).approvals = approvals.all();
      let state: JobContext | undefined;
      approvals.watch(childId);
      try {
        state = await executeChild<(input: JobRunInput) => Promise<JobContext>>(JOB_WORKFLOW_TYPE, {
          workflowId: childId,
          args: [chunkInput],
          ...(input.activity?.taskQueue ? { taskQueue: input.activity.taskQueue } : {}),
          cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
          staticSummary: `${input.workflowName} / ${input.job.id} / ${stage.id}: items ${from + 1}-${to} of ${items.length}`.slice(0, 200),
        });
      } catch (err) {
        const ending = childEnding<JobContext>(err);
        if (ending?.endedBy === ChildEndedBy.FAILURE) state = ending.context;
        if (!state) throw err;
      } finally {
        approvals.unwatch(childId);
      }
      const result = state.stages[stage.id];
      const chunkItems = (result?.outputs as { foreach?: Record<string, unknown> } | undefined)?.foreach ?? {};
      Object.assign(perItem, chunkItems);
      if (result?.error) errors.push(result.error);
      return result?.status === Status.SUCCESS ? Status.SUCCESS : Status.FAILED;
    },
    true,
  );
  if (stopped) throw stoppingFailure();
  markNotStarted(keys, perItem);
  if (failedAt === undefined) return { ok: true, outputs };
  return { ok: false, outputs, error: { name: StageErrorName.ItemFailed, message: errors[0]?.message ?? `chunk ${failedAt + 1} failed`, ...env.where } };
}

/** Marks the items that never started (an earlier item failed, or the run stopped). */
export function markNotStarted(keys: readonly string[], perItem: Record<string, unknown>): void {
  for (const key of keys) if (!(key in perItem)) perItem[key] = { status: Status.CANCEL, reason: 'not started: an earlier item failed' };
}

/** The job of a chunk child: reduced to the foreach stage, run once, failing as the stage would. */
function chunkJob(job: JobSpec, stage: StageOf<'foreach'>): JobSpec {
  const reduced = {
    ...job,
    stages: [{ ...stage, retry: { ...stage.retry, maximumRetries: 0 }, continueOnError: false }],
    retry: { ...job.retry, maximumRetries: 0 },
    continueOnError: false,
  };
  delete (reduced as { if?: string }).if;
  delete (reduced.stages[0] as { if?: string }).if;
  delete (reduced as { outputs?: unknown }).outputs;
  delete (reduced as { timeoutSeconds?: unknown }).timeoutSeconds;
  delete (reduced as { strategy?: unknown }).strategy;
  return reduced;
}
