/**
 * The error names tempoflow gives a failed stage (`error.name` in its
 * context), which users list in `retry: { non-retryable-errors: [...] }`.
 * Workflow code and activities both name their failures from here, so the
 * names in docs/semantics.md ("Stage error names"), in contexts and in YAML
 * stay one list. A `run` stage's Python exception and a `uses` task's error
 * keep their own names (`ValueError`, an `ApplicationFailure` type).
 *
 * Pure module: safe to import from workflow code.
 */

/** Names of stage failures tempoflow itself reports. */
export const StageErrorName = {
  /** A `raise:` stage ran (retried per `retry:`). */
  RaiseError: 'RaiseError',
  /** A stage attempt ran past its `timeout:` (retried), or a job attempt past the job's (the job's `retry:` applies). */
  TimeoutError: 'TimeoutError',
  /** A `bash` script exited non-zero or was killed (retried). */
  BashExitError: 'BashExitError',
  /** The Python interpreter of a `run` stage died or could not start (retried). */
  PythonProcessError: 'PythonProcessError',
  /** A `run` stage's code failed without an exception name (retried). */
  PythonError: 'PythonError',
  /** A `run` stage's `vars` are not valid Python names (never retried). */
  PythonInputError: 'PythonInputError',
  /** A `uses` stage names a task the worker does not have (never retried). */
  TaskNotFoundError: 'TaskNotFoundError',
  /** A `uses` stage's `with` fails the task's schema (never retried). */
  TaskInputError: 'TaskInputError',
  /** A `uses` task returned something other than an object of JSON outputs (retried). */
  TaskOutputError: 'TaskOutputError',
  /** A secret could not be rendered: missing, too short, dynamic, mixed or not referenced (never retried). */
  SecretError: 'SecretError',
  /** A `${{ }}` of the stage could not be rendered (the stage fails at once, no retry). */
  ExpressionError: 'ExpressionError',
  /** A `foreach` item failed (the whole stage is retried). */
  ItemFailed: 'ItemFailed',
  /** A `parallel` branch or the chosen `case` branch failed (retried). */
  BranchFailed: 'BranchFailed',
  /** A loop of an `until` stage failed (retried). */
  LoopFailed: 'LoopFailed',
  /** An `until` condition did not hold after `max-loop` loops (retried). */
  LoopLimitError: 'LoopLimitError',
  /** No `case` branch matched and there is no `else` (never retried). */
  CaseNotMatched: 'CaseNotMatched',
  /** An `approval` stage got no decision within its `timeout` (never retried). */
  ApprovalTimeout: 'ApprovalTimeout',
  /** An `approval` stage was rejected (never retried). */
  ApprovalRejected: 'ApprovalRejected',
  /** A `trigger` would start a workflow already in its chain (never retried). */
  TriggerCycleError: 'TriggerCycleError',
  /** A `trigger` target's YAML is invalid (never retried). */
  ConfigError: 'ConfigError',
  /** A `trigger` target is not in the conf tree (never retried). */
  WorkflowNotFoundError: 'WorkflowNotFoundError',
  /** A `trigger` stage's `params` do not fit the target's (never retried). */
  ParamError: 'ParamError',
  /** The run a `trigger` stage started ended FAILED or TIMEOUT (retried). */
  TriggeredRunFailed: 'TriggeredRunFailed',
  /** This worker does not know the stage's kind: a newer client wrote the spec (never retried). */
  UnsupportedStageError: 'UnsupportedStageError',
  /** An activity reported a failure without an error (retried). */
  StageError: 'StageError',
} as const;
export type StageErrorName = (typeof StageErrorName)[keyof typeof StageErrorName];

/** Every {@link StageErrorName}. */
export const STAGE_ERROR_NAMES: readonly StageErrorName[] = Object.values(StageErrorName);

/**
 * Failure types an activity *throws* (rather than returns as a stage failure)
 * that Temporal must not retry: the stage's input can never run, whatever the
 * worker (a `cwd` outside the workspace, an environment the OS refuses).
 */
export const ActivityFailureType = {
  INVALID_STAGE: 'TempoflowInvalidStage',
} as const;
export type ActivityFailureType = (typeof ActivityFailureType)[keyof typeof ActivityFailureType];

/** The `nonRetryableErrorTypes` of every stage activity's retry policy. */
export const NON_RETRYABLE_ACTIVITY_ERRORS: readonly ActivityFailureType[] = [ActivityFailureType.INVALID_STAGE];
