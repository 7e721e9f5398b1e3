/**
 * The activity contract: inputs and results that cross between the
 * interpreter workflow and the worker. Imported as types only by workflow
 * code (`import type`), so nothing here runs inside the sandbox.
 */
import type { ErrorInfo, StageContext } from '../engine/context.js';
import type { ActionStageJob, ActionStageSpec } from '../engine/stage-input.js';

/** Identifies a stage attempt, for workspaces, env vars, traces and errors. */
export interface StageAddress {
  readonly runId: string;
  readonly workflowName: string;
  readonly jobId: string;
  readonly stageId: string;
  /** Rendered display name. */
  readonly stageName: string;
  /** `file:line:col` of the stage in the YAML. */
  readonly location: string;
  /** 1-based attempt of the stage's own retry loop (`TF_ATTEMPT`). */
  readonly attempt: number;
  /**
   * Names of the secrets the stage's YAML references (its script/code, env,
   * vars, with). The worker renders no other secret, so a spliced value
   * cannot smuggle `${{ secrets.X }}` in. Absent: every secret (older clients).
   */
  readonly secretNames?: readonly string[];
}

/** Input of the `bash` stage activity. */
export interface BashStageInput extends StageAddress {
  /** The rendered script. */
  readonly script: string;
  /** Workflow, job and stage env, merged (stage wins), rendered. */
  readonly env: Readonly<Record<string, string>>;
  /** Relative to the job workspace. */
  readonly cwd?: string;
  /** Params, exported as `TF_PARAM_<NAME>`. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Matrix values, exported as `TF_MATRIX_<KEY>`. */
  readonly matrix?: Readonly<Record<string, unknown>>;
  /** Per-attempt timeout in seconds, enforced by the activity itself. */
  readonly timeoutSeconds?: number;
}

/** Input of the `run` (Python 3) stage activity. */
export interface PythonStageInput extends StageAddress {
  /** The code, as written in the YAML (templates already rendered). */
  readonly code: string;
  /** 1-based line of the code's first line in the YAML file, to position exceptions. */
  readonly codeLine: number;
  /** The YAML file, for error messages (`file:line`). */
  readonly file: string;
  /** Workflow, job and stage env, merged and rendered. */
  readonly env: Readonly<Record<string, string>>;
  /** Visible to the code as `params` and as `TF_PARAM_*`. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Visible as `matrix` and as `TF_MATRIX_*`. */
  readonly matrix?: Readonly<Record<string, unknown>>;
  /** Extra top-level variables (`vars:`), rendered. */
  readonly vars: Readonly<Record<string, unknown>>;
  /** Visible as `context`: at least `attempt`, `run_id`, `workflow`, `job`, `stage`, and the run's `jobs`/`stages` so far. */
  readonly context: Readonly<Record<string, unknown>>;
  readonly timeoutSeconds?: number;
}

/** Input of the `uses` stage activity (a registered TypeScript task). */
export interface UsesStageInput extends StageAddress {
  /** `tasks/<name>@<tag>`, rendered. */
  readonly uses: string;
  /** Arguments, rendered; validated against the task's zod schema. */
  readonly with: Readonly<Record<string, unknown>>;
  readonly env: Readonly<Record<string, string>>;
  readonly params: Readonly<Record<string, unknown>>;
  readonly matrix?: Readonly<Record<string, unknown>>;
  readonly timeoutSeconds?: number;
}

/**
 * The outcome of one attempt of a stage's own code. A failure of the stage's
 * code (non-zero exit, timeout) is *returned* (`ok: false`) and retried by the
 * workflow per `retry:`; only infrastructure failures are thrown and retried
 * by Temporal.
 */
export interface StageAttemptResult {
  readonly ok: boolean;
  readonly outputs: Record<string, unknown>;
  readonly error?: ErrorInfo;
  /** True when a retry cannot help (e.g. invalid input). */
  readonly nonRetryable?: boolean;
  /**
   * Output tails of stages whose outputs are not their output streams (`run`):
   * kept in the stage's context so `tempoflow logs` works from any machine.
   */
  readonly logs?: { readonly stdout: string; readonly stderr: string };
}

/**
 * Input of the `stageBatch` activity (`dispatch: batch`, docs/semantics.md
 * "Batch dispatch"): consecutive action stages of a job's own list, run in
 * order on one worker with the job runner's stage decisions.
 */
export interface StageBatchInput {
  readonly job: ActionStageJob;
  /** The values the job's stage expressions see, but `stages` (the batch adds them as they run). */
  readonly values: Readonly<Record<string, unknown>>;
  /** Contexts of the job's stages before the batch. */
  readonly stagesBefore: Readonly<Record<string, StageContext>>;
  readonly stages: readonly ActionStageSpec[];
  /** A stage before the batch failed the job (later stages run only with `always()` / `failure()`). */
  readonly earlierFailed: boolean;
  /** The batch returns once its stage contexts reach this many bytes of JSON; the workflow batches the rest. */
  readonly resultBytes: number;
}

/** One stage a batch finished (ran, skipped or failed), in order. */
export interface StageBatchEntry {
  readonly id: string;
  readonly context: StageContext;
}

/** What a stage batch's heartbeats carry: the stages it finished so far. */
export interface StageBatchProgress {
  readonly done: readonly StageBatchEntry[];
}

/** Result of the `stageBatch` activity. */
export interface StageBatchResult {
  /** The stages finished, in order: all of the batch, or the first ones when the byte budget or a cancellation ended it. */
  readonly done: readonly StageBatchEntry[];
  /** The stage a cancellation of the batch interrupted (the workflow records it CANCEL). */
  readonly interrupted?: { readonly id: string; readonly name: string; readonly start: string; readonly attempt: number };
}

/** A line workflow code adds to the run's trace file (an `echo` stage's message). */
export interface TraceLine {
  readonly runId: string;
  readonly workflowName: string;
  readonly jobId: string;
  readonly stageId: string;
  readonly message: string;
}

/**
 * The worker sinks workflow code calls (`proxySinks`; never during replay).
 * They do I/O on the worker and create no command, so they never change a
 * history. A type alias, not an interface: sinks are string-indexed.
 */
export type TempoflowSinks = {
  trace: {
    /** Writes an `echo` stage's message to the run's trace file, as a `bash` stage's output is. */
    echo(line: TraceLine): void;
  };
};
