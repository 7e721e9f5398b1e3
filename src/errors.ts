/**
 * The public error classes (docs/api.md "Errors"). Each sets `name`, accepts `{ cause }`,
 * and says in its TSDoc when it is thrown.
 */

/**
 * Base class of run errors. Thrown by `result.unwrap()` for a FAILED run, and
 * by `parameterize()` (as its subclass `ParamError`) for bad params.
 */
export class WorkflowError extends Error {
  override readonly name: string = 'WorkflowError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** One bad param of a {@link ParamError}. */
export interface ParamProblem {
  readonly paramName: string;
  /** What is wrong and how to fix it. */
  readonly validationError: string;
  /** `file:line:col` of the param's declaration, when it is declared. */
  readonly location?: string;
}

/**
 * Thrown before anything runs when params are missing, of the wrong type,
 * or undeclared. `problems` lists every bad param; `paramName` and
 * `validationError` are the first one's.
 */
export class ParamError extends WorkflowError {
  override readonly name: string = 'ParamError';
  readonly paramName: string;
  readonly validationError: string;
  /** Every bad param, in declaration order (undeclared ones first). */
  readonly problems: readonly ParamProblem[];
  constructor(paramName: string, validationError: string, options?: { cause?: unknown; problems?: readonly ParamProblem[] }) {
    const problems = options?.problems?.length ? options.problems : [{ paramName, validationError }];
    super(problems.map((p) => `param '${p.paramName}': ${p.validationError}`).join('; '), options);
    this.paramName = paramName;
    this.validationError = validationError;
    this.problems = problems;
  }
}

/** Thrown by `result.unwrap()` when the run's timeout fired (status TIMEOUT). */
export class WorkflowTimeoutError extends WorkflowError {
  override readonly name: string = 'WorkflowTimeoutError';
}

/** Thrown by `result.unwrap()` when the run was cancelled (status CANCEL). */
export class WorkflowCancelledError extends WorkflowError {
  override readonly name: string = 'WorkflowCancelledError';
}

/**
 * Thrown by `getRun()` when the server has no tempoflow run with that id (none
 * at all, or an execution of another kind such as a release workflow), and by
 * a run handle when its run has gone (deleted after Temporal's retention).
 */
export class RunNotFoundError extends WorkflowError {
  override readonly name: string = 'RunNotFoundError';
  readonly runId: string;
  constructor(runId: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.runId = runId;
  }
}

/**
 * Thrown by a run handle's `approve()`, `reject()` and `cancel()` when the run
 * has already ended: there is nothing left to decide or stop.
 */
export class RunEndedError extends WorkflowError {
  override readonly name: string = 'RunEndedError';
  readonly runId: string;
  /** Temporal's status of the closed execution (`COMPLETED`, `FAILED`, `CANCELLED`, ...). */
  readonly executionStatus: string;
  constructor(runId: string, executionStatus: string, options?: { cause?: unknown }) {
    super(`run ${runId} has already ended (${executionStatus}); \`tempoflow status ${runId}\` shows how it ended`, options);
    this.runId = runId;
    this.executionStatus = executionStatus;
  }
}

/**
 * Thrown by a run handle's `status()` (and what builds on it: `jobs()`,
 * `waitingApprovals()`, `logs()`) when the run is running but no worker
 * answered its `status` query in time: no worker serves its task queue.
 */
export class RunQueryTimeoutError extends WorkflowError {
  override readonly name: string = 'RunQueryTimeoutError';
  readonly runId: string;
  readonly taskQueue: string;
  constructor(runId: string, taskQueue: string, timeoutMs: number, options?: { cause?: unknown }) {
    super(
      `run ${runId} is running but no worker answered its status query within ${Math.round(timeoutMs / 100) / 10} s; start \`tempoflow dev\` or a \`tempoflow worker --task-queue ${taskQueue}\` on its server`,
      options,
    );
    this.runId = runId;
    this.taskQueue = taskQueue;
  }
}
