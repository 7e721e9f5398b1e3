/**
 * The run context: what a run has done so far, per job and stage. It is the
 * `status` query's answer, the source of `${{ jobs.* }}` / `${{ needs.* }}`
 * values, and (summarised) the details of a failed run.
 *
 * Pure module: safe to import from workflow code.
 */
import type { ConcurrencyContext } from './concurrency.js';
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
  /** Temporal workflow id of the combination's child workflow (none for a small matrix run inline). */
  workflowId?: string;
  /**
   * A combination run inline (docs/semantics.md, "Small matrices run
   * inline"): its stages' results once it ended, as a child keeps them in its
   * own execution (their output tails are what `tempoflow run` and `logs` print).
   */
  stages?: Record<string, StageContext>;
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
  /** Its concurrency slot, when the job has `concurrency:` (docs/semantics.md, "Concurrency groups"). */
  concurrency?: ConcurrencyContext;
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
  /**
   * The run's outputs, set when it ends: the outputs of its SUCCESS jobs
   * merged in run order, a job's keys winning over those of the jobs it
   * needs (docs/semantics.md "Run outputs"; see {@link mergeRunOutputs}).
   */
  outputs?: Record<string, unknown>;
  /** The run's concurrency slot, when its workflow has `concurrency:`. */
  concurrency?: ConcurrencyContext;
}

/** The serialisable shape of a run's outcome (the client wraps it in `Result`). */
export interface RunOutcome {
  readonly status: Status;
  readonly runId: string;
  readonly parentRunId?: string;
  readonly context: RunContext;
  readonly errors: readonly ErrorInfo[];
}

/**
 * The outputs of the SUCCESS entries, merged in order (later keys win): a
 * job's outputs from its stages, a matrix job's from its combinations
 * (docs/semantics.md, "Job `outputs:`").
 */
export function mergeSuccessfulOutputs(entries: Iterable<{ readonly status: Status; readonly outputs: Record<string, unknown> }>): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const entry of entries) if (entry.status === 'SUCCESS') Object.assign(merged, entry.outputs);
  return merged;
}

/**
 * A run's outputs: the outputs of the SUCCESS jobs among `counted`, merged
 * in `order` (a topological order, so a job comes after the jobs it needs
 * and its keys win over theirs). Jobs that failed, were skipped or never ran
 * add nothing (docs/semantics.md "Run outputs").
 */
export function mergeRunOutputs(order: readonly string[], jobs: Readonly<Record<string, JobContext>>, counted: (jobId: string) => boolean = () => true): Record<string, unknown> {
  return mergeSuccessfulOutputs(order.filter(counted).flatMap((id) => (jobs[id] ? [jobs[id]] : [])));
}

/** Merged outputs of a job's stages, in stage order. */
export function mergeStageOutputs(stages: Record<string, StageContext>): Record<string, unknown> {
  return mergeSuccessfulOutputs(Object.values(stages));
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
