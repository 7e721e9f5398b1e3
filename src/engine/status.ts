/**
 * Run, job and stage statuses and the GitHub-style words that
 * `needs.<job>.result` / `needs.<job>.outcome` use (docs/semantics.md "Jobs").
 *
 * Pure module: safe to import from workflow code.
 */

/** Status of a run, a job, a matrix combination or a stage. */
export const Status = {
  SUCCESS: 'SUCCESS',
  FAILED: 'FAILED',
  SKIP: 'SKIP',
  WAIT: 'WAIT',
  CANCEL: 'CANCEL',
  TIMEOUT: 'TIMEOUT',
} as const;
export type Status = (typeof Status)[keyof typeof Status];

/** The words GitHub Actions uses for `needs.<job>.result` and `.outcome`. */
export const NeedResult = {
  success: 'success',
  failure: 'failure',
  cancelled: 'cancelled',
  skipped: 'skipped',
} as const;
export type NeedResult = (typeof NeedResult)[keyof typeof NeedResult];

/** A status that fails a job or run: FAILED or TIMEOUT. */
export function isFailure(status: Status | undefined): boolean {
  return status === Status.FAILED || status === Status.TIMEOUT;
}

/**
 * The GitHub word for a terminal status, ignoring `continue-on-error`
 * (this is the `outcome`). A timed-out job is a `failure` (docs/semantics.md "Jobs").
 */
export function outcomeOf(status: Status): NeedResult {
  switch (status) {
    case Status.SUCCESS:
      return NeedResult.success;
    case Status.SKIP:
      return NeedResult.skipped;
    case Status.CANCEL:
      return NeedResult.cancelled;
    case Status.FAILED:
    case Status.TIMEOUT:
    case Status.WAIT:
      return NeedResult.failure;
  }
}

/**
 * The GitHub word seen by dependents (`needs.<job>.result`): a FAILED job
 * with `continue-on-error: true` counts as `success`.
 */
export function resultOf(status: Status, continueOnError: boolean): NeedResult {
  const outcome = outcomeOf(status);
  return continueOnError && outcome === NeedResult.failure ? NeedResult.success : outcome;
}

/**
 * How a run ends, from the jobs it answers for (docs/semantics.md, "End
 * states"): the stop's status when it was stopped (CANCEL, TIMEOUT); FAILED
 * when a job failed without `continue-on-error` (`blocking` names them), or
 * when it has run-level errors and no jobs; SKIP when every job was skipped;
 * else SUCCESS.
 */
export function runEndStatus(
  jobs: ReadonlyArray<readonly [string, { readonly status: Status; readonly continueOnError?: boolean }]>,
  hasRunErrors: boolean,
  stoppedAs?: Status,
): { status: Status; blocking: string[] } {
  const blocking = jobs.filter(([, j]) => isFailure(j.status) && !j.continueOnError).map(([id]) => id);
  let status: Status = Status.SUCCESS;
  if (stoppedAs) status = stoppedAs;
  else if (hasRunErrors && jobs.length === 0) status = Status.FAILED;
  else if (blocking.length > 0) status = Status.FAILED;
  else if (jobs.length > 0 && jobs.every(([, j]) => j.status === Status.SKIP)) status = Status.SKIP;
  return { status, blocking };
}
