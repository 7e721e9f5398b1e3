/**
 * The run context: what a run has done so far, per job and stage. It is the
 * `status` query's answer, the source of `${{ jobs.* }}` / `${{ needs.* }}`
 * values, and (summarised) the details of a failed run.
 *
 * Pure module: safe to import from workflow code.
 */
import type { Status } from './status.js';

/** A problem, with where it happened. */
export interface ErrorInfo {
  /** Error class or kind, e.g. `BashExitError`, `ExpressionError`, `TimeoutError`. */
  readonly name: string;
  readonly message: string;
  readonly job?: string;
  readonly stage?: string;
  /** `file:line:col` in the YAML, when known. */
  readonly location?: string;
}

/** What one stage did. */
export interface StageContext {
  status: Status;
  /** The rendered display name. */
  name: string;
  /** ISO-8601 times. */
  start?: string;
  end?: string;
  /** 1-based attempt number of the latest attempt. */
  attempt?: number;
  outputs: Record<string, unknown>;
  /** Why it was skipped, when SKIP. */
  reason?: string;
  error?: ErrorInfo;
  /** Kept from a previous run by a rerun `--from-stage`, not run again. */
  reused?: boolean;
  /** Output tails of a `run` stage (a `bash` stage has them as its outputs). */
  logs?: { stdout: string; stderr: string };
}

/** One combination of a matrix job (`needs.<job>.strategies`). */
export interface StrategyContext {
  /** Stable key hashed from the combination. */
  key: string;
  matrix: Record<string, unknown>;
  status: Status;
  outputs: Record<string, unknown>;
  /** Temporal workflow id of the combination's child workflow. */
  workflowId?: string;
  errors?: ErrorInfo[];
  /** Kept from a previous run by a rerun, not run again. */
  reused?: boolean;
}

/** What one job (or one matrix combination) did. */
export interface JobContext {
  status: Status;
  start?: string;
  end?: string;
  /** 1-based attempt of the job's own retry loop. */
  attempt?: number;
  /** For a combination run: its matrix values. */
  matrix?: Record<string, unknown>;
  /** For a matrix job: every combination, in combination order. */
  strategies?: StrategyContext[];
  /** `continue-on-error` was in effect: a FAILED job counts as success for dependents. */
  continueOnError?: boolean;
  /** Kept from a previous run by a rerun (with this run id), not run again. */
  reusedFrom?: string;
  /** Why it was skipped or failed, in a sentence. */
  reason?: string;
  outputs: Record<string, unknown>;
  /** Stages in run order, by id. */
  stages: Record<string, StageContext>;
  errors: ErrorInfo[];
}

/** The whole run's context. */
export interface RunContext {
  params: Record<string, unknown>;
  /** Jobs by id; a job appears once it has been decided. */
  jobs: Record<string, JobContext>;
  status: Status;
  start: string;
  end?: string;
  errors: ErrorInfo[];
}

/** The serialisable shape of a run's outcome (the client wraps it in `Result`). */
export interface RunOutcome {
  readonly status: Status;
  readonly runId: string;
  readonly parentRunId?: string;
  readonly context: RunContext;
  readonly errors: readonly ErrorInfo[];
}

/** Merged outputs of a job's stages, in stage order (SPEC §4 "Job outputs"). */
export function mergeStageOutputs(stages: Record<string, StageContext>): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const stage of Object.values(stages)) {
    if (stage.status !== 'SUCCESS') continue;
    for (const [k, v] of Object.entries(stage.outputs)) merged[k] = v;
  }
  return merged;
}

/** Largest summary of a context put into a failure's details (SPEC §5). */
export const MAX_FAILURE_SUMMARY_BYTES = 256 * 1024;

/**
 * A copy of the context that fits `maxBytes` of JSON: stage outputs are
 * dropped first (marked `__truncated`), then stage detail, keeping statuses
 * and errors.
 */
export function summarizeContext(context: RunContext, maxBytes = MAX_FAILURE_SUMMARY_BYTES): RunContext {
  const size = (v: unknown) => utf8Length(JSON.stringify(v));
  if (size(context) <= maxBytes) return context;
  const slim: RunContext = { ...context, jobs: {} };
  for (const [id, job] of Object.entries(context.jobs)) {
    const stages: Record<string, StageContext> = {};
    for (const [sid, st] of Object.entries(job.stages)) {
      stages[sid] = { ...st, outputs: { __truncated: true } };
    }
    slim.jobs[id] = { ...job, outputs: { __truncated: true }, stages };
  }
  if (size(slim) <= maxBytes) return slim;
  const bare: RunContext = { ...context, params: { __truncated: true }, jobs: {} };
  for (const [id, job] of Object.entries(context.jobs)) {
    bare.jobs[id] = { status: job.status, outputs: { __truncated: true }, stages: {}, errors: job.errors.slice(0, 3), reason: job.reason };
  }
  return bare;
}

/** UTF-8 byte length without Node's Buffer (usable in workflow code). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
