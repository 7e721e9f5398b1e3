/**
 * The interpreter workflow's public contract: its type name, input, queries
 * and signals. Shared by workflow code and clients.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { RunContext } from '../engine/context.js';
import type { WorkflowSpec } from '../engine/spec.js';

/** Temporal workflow type of the interpreter. */
export const RUN_WORKFLOW_TYPE = 'tempoflowRun';

/** Input of one interpreter run. Everything the run needs; workflow code reads nothing else. */
export interface RunInput {
  /** The validated workflow, normalized (its YAML snapshot). */
  readonly spec: WorkflowSpec;
  /** Params after `parameterize()`. */
  readonly params: Record<string, unknown>;
  /** tempoflow run id (equals the Temporal workflow id). */
  readonly runId: string;
  readonly parentRunId?: string;
  /** Run timeout in seconds (SPEC default 3600, `WORKFLOW_CORE_TIMEOUT`). */
  readonly timeoutSeconds: number;
  /** Jobs running at once (default 2, `WORKFLOW_CORE_MAX_JOB_PARALLEL`). */
  readonly maxJobParallel: number;
  /** Per-call values readable as `${{ extras.* }}`. */
  readonly extras: Record<string, unknown>;
  /** Run only these jobs (the CLI's `--job`); their needs are not required to run. */
  readonly onlyJobs?: readonly string[];
  /** Activity tuning; tests shorten these. */
  readonly activity?: {
    /** Heartbeat timeout of subprocess stages, ms (default 10 s). */
    readonly heartbeatTimeoutMs?: number;
    /** Task queue of stage activities (default: the workflow's). */
    readonly taskQueue?: string;
  };
}

/** `status` query: the live run context. */
export const statusQuery = defineQuery<RunContext>('status');

/** `cancel` signal, for clients that can only signal; same effect as a Temporal cancel. */
export const cancelSignal = defineSignal<[reason?: string]>('cancel');

/** Failure types the interpreter ends a Temporal execution with. */
export const RunFailureType = {
  FAILED: 'TempoflowRunFailed',
  TIMEOUT: 'TempoflowRunTimeout',
} as const;
export type RunFailureType = (typeof RunFailureType)[keyof typeof RunFailureType];
