/**
 * How a child workflow ended, read from what its parent caught. tempoflow's
 * children end FAILED or TIMEOUT with a non-retryable `ApplicationFailure`
 * whose first detail is their context (a `RunContext` for runs, a
 * `JobContext` for combinations and chunks; {@link endingFailure}), and CANCEL with a
 * `CancelledFailure` (runs attach their context there too); Temporal may
 * also terminate or time out a child. Every parent — the release, `trigger`
 * stages, matrix combinations and batches, `foreach` chunks — decodes the
 * ending here.
 *
 * Workflow code: deterministic, no I/O.
 */
import { ApplicationFailure, CancelledFailure, ChildWorkflowFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/workflow';
import type { ErrorInfo } from '../engine/context.js';
import { isFailure, Status } from '../engine/status.js';
import { RunFailureType } from './definitions.js';

/** What ended a child. */
export const ChildEndedBy = {
  /** Its own code failed it: a tempoflow `ApplicationFailure` (FAILED or TIMEOUT, with its context). */
  FAILURE: 'failure',
  /** It was cancelled (CANCEL; a run carries its context). */
  CANCELLATION: 'cancellation',
  /** Temporal ended it: terminated (CANCEL), timed out (TIMEOUT), or anything else (FAILED). */
  TEMPORAL: 'temporal',
} as const;
export type ChildEndedBy = (typeof ChildEndedBy)[keyof typeof ChildEndedBy];

/** The end of a child workflow that did not return. */
export interface ChildEnding<C> {
  readonly status: Status;
  readonly endedBy: ChildEndedBy;
  /** The context the child's failure or cancellation carried. */
  readonly context?: C;
  /** What to record when there is no context: the cause's type (or name) and message. */
  readonly error: ErrorInfo;
}

/** A detail that is a tempoflow context (a run's or a job's): an object with a status. */
function contextOf<C>(details: readonly unknown[] | null | undefined): C | undefined {
  const detail = details?.[0];
  return typeof detail === 'object' && detail !== null && 'status' in detail ? (detail as C) : undefined;
}

/**
 * The failure a tempoflow workflow ends FAILED or TIMEOUT with: non-retryable,
 * its (capped) context as the first detail — what {@link childEnding} reads
 * back in the parent, and `client/result.ts` in the client. It carries no
 * stack trace.
 */
export function endingFailure(type: RunFailureType, message: string, context: unknown): ApplicationFailure {
  const failure = ApplicationFailure.create({ type, message, nonRetryable: true, details: [context] });
  // How a run ended, not a bug: a stack of workflow internals would only bury the message in `temporal workflow` output and the Web UI.
  failure.stack = '';
  return failure;
}

/** Decodes a `ChildWorkflowFailure`; anything else (e.g. this scope's own cancellation) gives `undefined`. */
export function childEnding<C extends { readonly status: Status }>(err: unknown): ChildEnding<C> | undefined {
  if (!(err instanceof ChildWorkflowFailure)) return undefined;
  const cause = err.cause;
  if (cause instanceof CancelledFailure) {
    const context = contextOf<C>(cause.details);
    return { status: Status.CANCEL, endedBy: ChildEndedBy.CANCELLATION, ...(context ? { context } : {}), error: { name: 'CancelledFailure', message: cause.message } };
  }
  if (cause instanceof ApplicationFailure) {
    const context = contextOf<C>(cause.details);
    const status = context && isFailure(context.status) ? context.status : cause.type === RunFailureType.TIMEOUT ? Status.TIMEOUT : Status.FAILED;
    return { status, endedBy: ChildEndedBy.FAILURE, ...(context ? { context } : {}), error: { name: cause.type ?? 'ApplicationFailure', message: cause.message } };
  }
  if (cause instanceof TerminatedFailure) {
    return { status: Status.CANCEL, endedBy: ChildEndedBy.TEMPORAL, error: { name: 'TerminatedFailure', message: `the run was terminated: ${cause.message}` } };
  }
  if (cause instanceof TimeoutFailure) return { status: Status.TIMEOUT, endedBy: ChildEndedBy.TEMPORAL, error: { name: 'TimeoutFailure', message: cause.message } };
  return { status: Status.FAILED, endedBy: ChildEndedBy.TEMPORAL, error: { name: cause?.name ?? 'ChildWorkflowFailure', message: cause?.message ?? err.message } };
}
