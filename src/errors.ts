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

/**
 * Thrown before anything runs when a param is missing, of the wrong type,
 * or undeclared. `paramName` names it; `validationError` says why.
 */
export class ParamError extends WorkflowError {
  override readonly name: string = 'ParamError';
  readonly paramName: string;
  readonly validationError: string;
  constructor(paramName: string, validationError: string, options?: { cause?: unknown }) {
    super(`param '${paramName}': ${validationError}`, options);
    this.paramName = paramName;
    this.validationError = validationError;
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
