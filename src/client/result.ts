/**
 * `Result`: what `execute()` returns in every case, rebuilt from the
 * Temporal execution's end (completion value, failure details, or the
 * `status` query).
 */
import { ApplicationFailure, CancelledFailure, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { ErrorInfo, RunContext, RunOutcome } from '../engine/context.js';
import { Status } from '../engine/status.js';
import { WorkflowCancelledError, WorkflowError, WorkflowTimeoutError } from '../errors.js';
import { RunFailureType, statusQuery } from '../workflows/definitions.js';

// The vocabulary of results, for callers that use the client alone (the CLI).
export { Status } from '../engine/status.js';
export type { ErrorInfo, JobContext, RunContext, StageContext, StrategyContext } from '../engine/context.js';
export type { ConcurrencyContext } from '../engine/concurrency.js';
export { stageResults, type StageResultVisit } from '../engine/stage-results.js';

/** The outcome of a run (docs/api.md "Result"). */
export class Result implements RunOutcome {
  readonly status: Status;
  readonly runId: string;
  readonly parentRunId?: string;
  readonly context: RunContext;
  readonly errors: ErrorInfo[];
  /** Temporal's run id of the execution, when known. */
  readonly temporalRunId?: string;

  constructor(outcome: RunOutcome & { temporalRunId?: string }) {
    this.status = outcome.status;
    this.runId = outcome.runId;
    if (outcome.parentRunId) this.parentRunId = outcome.parentRunId;
    this.context = outcome.context;
    this.errors = [...outcome.errors];
    if (outcome.temporalRunId) this.temporalRunId = outcome.temporalRunId;
  }

  /**
   * Returns this result when the run succeeded (or skipped); otherwise throws
   * `WorkflowTimeoutError` (TIMEOUT), `WorkflowCancelledError` (CANCEL) or
   * `WorkflowError` (FAILED), with the errors in the message.
   */
  unwrap(): this {
    const detail = this.errors.map((e) => `${e.job ? `${e.job}${e.stage ? `.${e.stage}` : ''}: ` : ''}${e.message}`).join('; ');
    const message = `run ${this.runId} ended ${this.status}${detail ? `: ${detail}` : ''}`;
    switch (this.status) {
      case Status.SUCCESS:
      case Status.SKIP:
        return this;
      case Status.TIMEOUT:
        throw new WorkflowTimeoutError(message);
      case Status.CANCEL:
        throw new WorkflowCancelledError(message);
      default:
        throw new WorkflowError(message);
    }
  }

  /** Plain JSON form (for `--json`). */
  toJSON(): RunOutcome {
    return { status: this.status, runId: this.runId, ...(this.parentRunId ? { parentRunId: this.parentRunId } : {}), context: this.context, errors: this.errors };
  }
}

function isRunContext(value: unknown): value is RunContext {
  return typeof value === 'object' && value !== null && 'jobs' in value && 'status' in value;
}

/** Waits for a run to end and turns any ending into a `Result`. */
export async function awaitResult(handle: WorkflowHandle, runId: string): Promise<Result> {
  try {
    const outcome = (await handle.result()) as RunOutcome;
    return new Result({ ...outcome });
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = err.cause;
    let context: RunContext | undefined;
    let status: Status = Status.FAILED;
    if (cause instanceof ApplicationFailure) {
      const detail = cause.details?.[0];
      if (isRunContext(detail)) context = detail;
      if (cause.type === RunFailureType.TIMEOUT) status = Status.TIMEOUT;
    } else if (cause instanceof CancelledFailure) {
      const detail = cause.details?.[0];
      if (isRunContext(detail)) context = detail;
      status = Status.CANCEL;
    }
    // The execution that ended is the last of the run's continue-as-new chain, which the
    // workflow id names; the handle may name the first one.
    if (!context) context = await queryContext(handle.client.getHandle(handle.workflowId));
    if (!context) {
      const now = new Date().toISOString();
      context = { params: {}, jobs: {}, status, start: now, end: now, errors: [{ name: cause?.name ?? 'WorkflowError', message: cause?.message ?? err.message }] };
    }
    if (status === Status.FAILED && cause instanceof ApplicationFailure && cause.type !== RunFailureType.FAILED && context.errors.length === 0) {
      context.errors.push({ name: cause.type ?? cause.name, message: cause.message });
    }
    context.status = status;
    return new Result({ status, runId, context, errors: context.errors });
  }
}

async function queryContext(handle: WorkflowHandle): Promise<RunContext | undefined> {
  try {
    return await handle.query(statusQuery);
  } catch {
    return undefined;
  }
}
