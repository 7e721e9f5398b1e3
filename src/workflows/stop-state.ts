/**
 * Why and when work stops early, and the words a context records for it
 * (`reason` of a job or stage that was stopped). docs/semantics.md
 * ("Retries and timeouts", "Cancellation") describes the behaviour.
 *
 * One `StopState` per workflow execution knows the run's cause — its timeout
 * timer fired (`timeout`), a `cancel` signal arrived or the execution itself
 * was cancelled (`cancel`); a child workflow (a combination, a chunk, a
 * batch) knows only that it was cancelled. Each job attempt gets a child
 * `StopState` that adds the job's own timeout (`job-timeout`), which wins
 * over the run's cause in reasons.
 *
 * Workflow code: deterministic, no I/O.
 */
import { CancellationScope, CancelledFailure } from '@temporalio/workflow';
import { Status } from '../engine/status.js';

/** Why work stops early. */
export const StopCause = {
  /** The run was cancelled (signal, client, Web UI), or this child workflow was. */
  CANCEL: 'cancel',
  /** The run's timeout fired. */
  TIMEOUT: 'timeout',
  /** The job attempt's own `timeout:` fired. */
  JOB_TIMEOUT: 'job-timeout',
  /** A newcomer with `cancel-in-progress` took the job's concurrency group. */
  SUPERSEDED: 'superseded',
} as const;
export type StopCause = (typeof StopCause)[keyof typeof StopCause];

/** What a stop interrupted, as the end of a `reason`. */
export const StopMoment = {
  BEFORE_JOB: 'before this job started',
  DURING_JOB: 'while this job was running',
  BEFORE_STAGE: 'before this stage started',
  DURING_STAGE: 'while this stage was running',
} as const;
export type StopMoment = (typeof StopMoment)[keyof typeof StopMoment];

const CAUSE_WORDS: Readonly<Record<StopCause, string>> = {
  [StopCause.CANCEL]: 'the run was cancelled',
  [StopCause.TIMEOUT]: 'the run timed out',
  [StopCause.JOB_TIMEOUT]: 'the job timed out',
  [StopCause.SUPERSEDED]: 'the job was superseded in its concurrency group',
};

/** Reason of a job attempt stopped without a known cause (its own scope was cancelled). */
export const JOB_CANCELLED_REASON = 'the job was cancelled';

/** Reason (and error message) of a job attempt whose own timeout fired. */
export function jobTimeoutReason(seconds: number): string {
  return `${CAUSE_WORDS[StopCause.JOB_TIMEOUT]} after ${seconds} s`;
}

/** See the module doc. */
export class StopState {
  private own: StopCause | undefined;

  private constructor(
    private readonly parent: StopState | undefined,
    /** The execution's root scope: its cancellation is a `cancel`. */
    private readonly root: CancellationScope | undefined,
  ) {}

  /** The stop state of a workflow execution (call from the workflow function itself). */
  static ofWorkflow(root: CancellationScope = CancellationScope.current()): StopState {
    return new StopState(undefined, root);
  }

  /** A fresh child for one job attempt: the run's cause, plus the job's own timeout. */
  forJobAttempt(): StopState {
    return new StopState(this, undefined);
  }

  /**
   * The cause, if work is stopping: this state's own (the first recorded
   * wins), else the parent's, else `cancel` once the execution is cancelled.
   */
  get cause(): StopCause | undefined {
    if (this.own) return this.own;
    const inherited = this.parent?.cause;
    if (inherited) return inherited;
    if (this.root?.consideredCancelled) this.own = StopCause.CANCEL;
    return this.own;
  }

  /** Records a cause, unless one was recorded first. */
  stop(cause: StopCause): void {
    if (!this.own) this.own = cause;
  }

  /** True when nothing new should start: a cause, or the current cancellation scope is cancelled. */
  stopping(): boolean {
    return this.cause !== undefined || CancellationScope.current().consideredCancelled;
  }

  /** The status of work this stop ended: TIMEOUT for a timeout (run or job), else CANCEL. */
  status(): Status {
    const cause = this.cause;
    return cause === StopCause.TIMEOUT || cause === StopCause.JOB_TIMEOUT ? Status.TIMEOUT : Status.CANCEL;
  }

  /** `the run timed out while this stage was running`, and so on (`cancel` when there is no cause). */
  reason(moment: StopMoment): string {
    return `${CAUSE_WORDS[this.cause ?? StopCause.CANCEL]} ${moment}`;
  }
}

/** What nested work throws when it finds the run stopping (the stage records CANCEL). */
export function stoppingFailure(): CancelledFailure {
  return new CancelledFailure('the run is stopping');
}
