/**
 * Runs one job (or one matrix combination, or one chunk of a large
 * `foreach`): the job loop — its `retry:` and `timeout:`, its concurrency
 * group, its declared outputs — around the job's stage loop
 * (`stage-list.ts`). Used inline by the interpreter for plain jobs and by
 * the `tempoflowJob` child workflow, so both behave the same
 * (docs/semantics.md, "Stages", "Retries and timeouts").
 *
 * Workflow code: deterministic, no I/O. Never throws: every error becomes a
 * positioned FAILED stage or job.
 */
import { CancellationScope, isCancellation, log, sleep } from '@temporalio/workflow';
import { mergeStageOutputs, type ErrorInfo, type JobContext } from '../engine/context.js';
import type { StageSpec } from '../engine/spec.js';
import { StageErrorName } from '../engine/stage-errors.js';
import { isFailure, Status } from '../engine/status.js';
import { evaluateCondition, renderTemplate, type ExpressionContext } from '../expressions/index.js';
import { Approvals } from './approvals.js';
import type { ApprovalDecision, JobRunInput } from './definitions.js';
import { holdJobGroup, type JobGroupEnv } from './job-group.js';
import { stageValues } from './run-values.js';
import { backoffSeconds, renderCount, renderSeconds, toErrorInfo, type ErrorWhere } from '../engine/render.js';
import type { StageScope } from './stages/index.js';
import { jobPath, type JobPath } from './fewer-hops.js';
import { StageList, stageWhere, type ListOutcome } from './stage-list.js';
import { JOB_CANCELLED_REASON, jobTimeoutReason, StopCause, StopMoment, type StopState } from './stop-state.js';
import type { WaitingDetails } from './waiting-details.js';

/** How an attempt's stage list settled. */
type ListEnd = { readonly outcome: ListOutcome } | { readonly error: unknown };

/** How one attempt of the job ended. */
interface AttemptOutcome {
  readonly status: Status;
  readonly reason?: string;
}

/** Runs a job; see the module doc. */
export class JobRunner {
  /** The live job context (answers `status` queries). */
  readonly state: JobContext;
  private readonly approvals: Approvals;
  /** The current attempt's stop state: the run's, plus the job's own timeout. */
  private stop: StopState;
  /** The current attempt's scope (a newcomer with `cancel-in-progress` cancels it). */
  private attemptScope: CancellationScope | undefined;
  /** The scope of the wait between attempts, for a job that holds a concurrency slot. */
  private backoffScope: CancellationScope | undefined;
  /** Why the job was superseded in its concurrency group, once it was. */
  private supersededReason: string | undefined;
  /** Set once the job holds its concurrency slot (or needs none): `run()` then runs the job loop. */
  private inGroup = false;
  /** The job path of this workflow execution (`fewer-hops.ts`). */
  private readonly path: JobPath;
  /** The job's stage loop. */
  private readonly stages: StageList;

  constructor(
    private readonly input: JobRunInput,
    /** The stop state of the workflow execution the job runs in. */
    private readonly runStop: StopState,
    /** What the workflow execution the job runs in waits for. */
    waiting: WaitingDetails,
    /** Set for a job with `concurrency:` (not in a foreach chunk child: the chunks run in their job's slot). */
    private readonly group?: JobGroupEnv,
  ) {
    this.approvals = new Approvals(input.approvals);
    this.path = jobPath();
    this.stop = runStop.forJobAttempt();
    this.state = {
      status: Status.WAIT,
      start: new Date().toISOString(),
      outputs: {},
      stages: {},
      errors: [],
      ...(input.matrix ? { matrix: input.matrix } : {}),
    };
    this.stages = new StageList({
      input,
      state: this.state,
      approvals: this.approvals,
      waiting,
      path: this.path,
      stop: () => this.stop,
      values: (extra, scope) => this.values(extra, scope),
    });
  }

  private get job() {
    return this.input.job;
  }

  private where(stage?: StageSpec): Required<Pick<ErrorWhere, 'job' | 'location'>> & ErrorWhere {
    return stage ? stageWhere(this.input, stage) : { job: this.job.id, location: this.job.loc };
  }

  /**
   * Records an approval decision for a stage path (relative to this job:
   * `<stage>` or `<parent>.<branch>.<stage>`); a waiting stage picks it up.
   */
  decide(decision: ApprovalDecision): void {
    this.approvals.decide(decision);
  }

  /** Values visible to expressions of this job's stages (in `scope`, with `extra` on top). */
  values(extra: Record<string, unknown> = {}, scope?: StageScope): Record<string, unknown> {
    return stageValues(this.input, this.state.stages, extra, scope);
  }

  private ctx(extra?: Record<string, unknown>): ExpressionContext {
    return { values: this.values(extra) };
  }

  // ——— The job loop ———

  /** Runs the job to its end; resolves with the final job context. */
  async run(): Promise<JobContext> {
    // A job with a concurrency group holds its slot around this same loop.
    // (A job without one takes exactly the path it always took: replayed
    // histories depend on the promise hops between its commands.)
    if (this.job.concurrency && this.group && !this.input.foreachChunk && !this.inGroup) return this.runInGroup(this.group);
    const state = this.state;
    let maxRetries = 0;
    let timeoutSeconds: number | undefined;
    try {
      maxRetries = renderCount(this.job.retry.maximumRetries, this.ctx(), 'retry');
      timeoutSeconds = this.job.timeoutSeconds === undefined ? undefined : renderSeconds(this.job.timeoutSeconds, this.ctx(), 'timeout');
    } catch (err) {
      return this.fail(toErrorInfo(err, this.where()), 'its retry or timeout is invalid');
    }

    let final: AttemptOutcome = { status: Status.FAILED };
    for (let attempt = 1; ; attempt++) {
      state.attempt = attempt;
      state.stages = {};
      state.errors = [];
      delete state.reason;
      // The job stays WAIT until its last attempt ends, so dependents never
      // see a failure that a retry may still turn around.
      if (this.path === 'direct-stages' && !this.needsOwnScopes(timeoutSeconds)) {
        // The direct path (`fewer-hops.ts`): the attempt's stage list, awaited here.
        const stop = this.beginAttempt();
        let end: ListEnd;
        try {
          end = { outcome: await this.stages.run(this.job.stages, this.rootScope(), true) };
        } catch (err) {
          end = { error: err };
        }
        final = this.attemptOutcome(stop, end, timeoutSeconds);
      } else {
        final = await this.runAttempt(timeoutSeconds);
      }
      if (final.reason) state.reason = final.reason;
      if (final.status === Status.SUCCESS || final.status === Status.CANCEL || this.runStop.cause) break;
      if (attempt > maxRetries) break;
      const delay = backoffSeconds(this.job.retry, attempt);
      log.info(`job ${this.job.id}: attempt ${attempt} ${final.status}; retrying in ${delay} s`);
      try {
        await this.backoff(delay, { summary: `${this.job.id}: retry the job in ${delay} s` });
      } catch (err) {
        if (!isCancellation(err)) throw err;
        if (!this.supersededReason) break;
      }
      if (this.supersededReason) {
        final = { status: Status.CANCEL, reason: this.supersededReason };
        state.reason = this.supersededReason;
        break;
      }
    }
    if (isFailure(final.status)) state.continueOnError = this.continueOnError();
    let status = final.status;
    if (status === Status.SUCCESS) {
      if (!this.renderOutputs()) status = Status.FAILED;
    } else {
      state.outputs = this.job.outputs ? {} : mergeStageOutputs(state.stages);
    }
    state.end = new Date().toISOString();
    state.status = status;
    log.info(`job ${this.job.id}${this.input.matrixKey ? ` [${this.input.matrixKey}]` : ''}: ${state.status}`);
    return state;
  }

  /** Holds the job's concurrency slot (docs/semantics.md, "Concurrency groups") while the job loop runs. */
  private async runInGroup(group: JobGroupEnv): Promise<JobContext> {
    const held = await holdJobGroup({
      job: { ...this.job, concurrency: this.job.concurrency! },
      input: this.input,
      group,
      ctx: this.ctx(),
      runStop: this.runStop,
      onSuperseded: (reason) => this.supersede(reason),
      onSlot: (slot) => (this.state.concurrency = slot.context),
    });
    if (!held.holds) {
      const ending = held.ending;
      if ('failed' in ending) this.fail(ending.failed, ending.reason);
      else this.endBeforeStart(ending.status, ending.reason);
      return this.state;
    }
    this.state.start = new Date().toISOString();
    this.inGroup = true;
    try {
      return await this.run();
    } finally {
      await held.slot?.release();
    }
  }

  /** Ends the job before its first stage. */
  private endBeforeStart(status: Status, reason: string): void {
    Object.assign(this.state, { status, reason, end: new Date().toISOString() });
    log.info(`job ${this.job.id}${this.input.matrixKey ? ` [${this.input.matrixKey}]` : ''}: ${status} (${reason})`);
  }

  /**
   * A newcomer with `cancel-in-progress` took the job's group: the running
   * attempt (or the wait before the next one) stops, and the job ends CANCEL.
   */
  private supersede(reason: string): void {
    if (this.supersededReason) return;
    this.supersededReason = reason;
    this.stop.stop(StopCause.SUPERSEDED);
    this.attemptScope?.cancel();
    this.backoffScope?.cancel();
  }

  /** The wait before the next attempt; cancellable by `supersede()` when the job holds a concurrency slot. */
  private backoff(seconds: number, options: { summary: string }): Promise<void> {
    if (!this.job.concurrency) return sleep(seconds * 1000, options);
    this.backoffScope = new CancellationScope();
    return this.backoffScope.run(() => sleep(seconds * 1000, options));
  }

  private continueOnError(): boolean {
    const value = this.job.continueOnError;
    if (typeof value === 'boolean') return value;
    try {
      return evaluateCondition(value, this.ctx());
    } catch (err) {
      this.state.errors.push(toErrorInfo(err, this.where()));
      return false;
    }
  }

  /** Sets the job's outputs (declared, else merged); false when declared ones cannot be rendered. */
  private renderOutputs(): boolean {
    const state = this.state;
    if (!this.job.outputs) {
      state.outputs = mergeStageOutputs(state.stages);
      return true;
    }
    const out: Record<string, unknown> = {};
    try {
      for (const [key, template] of Object.entries(this.job.outputs)) out[key] = renderTemplate(template, this.ctx());
      state.outputs = out;
      return true;
    } catch (err) {
      state.reason = 'its outputs could not be rendered';
      state.errors.push(toErrorInfo(err, this.where()));
      return false;
    }
  }

  private fail(error: ErrorInfo, reason: string): JobContext {
    this.state.status = Status.FAILED;
    this.state.reason = reason;
    this.state.errors.push(error);
    this.state.end = new Date().toISOString();
    return this.state;
  }

  /** One attempt of the job: its stages in order, under its timeout. */
  private async runAttempt(timeoutSeconds: number | undefined): Promise<AttemptOutcome> {
    const stop = this.beginAttempt();
    const ownScopes = this.needsOwnScopes(timeoutSeconds);
    const scope = (this.attemptScope = ownScopes ? new CancellationScope() : undefined);
    const timerScope = ownScopes ? new CancellationScope() : undefined;
    const timer =
      timeoutSeconds !== undefined
        ? timerScope!
            .run(() => sleep(timeoutSeconds * 1000, { summary: `${this.job.id}: job timeout` }))
            .then(
              () => {
                stop.stop(StopCause.JOB_TIMEOUT);
                scope!.cancel();
              },
              () => undefined,
            )
        : ownScopes
          ? Promise.resolve()
          : undefined;

    let end: ListEnd;
    try {
      const stageList = () => this.stages.run(this.job.stages, this.rootScope(), true);
      end = { outcome: await (scope ? scope.run(stageList) : stageList()) };
    } catch (err) {
      end = { error: err };
    }
    if (timerScope) {
      timerScope.cancel();
      await timer;
    }
    return this.attemptOutcome(stop, end, timeoutSeconds);
  }

  /** Starts an attempt: its stop state (the run's, plus the job's own timeout). */
  private beginAttempt(): StopState {
    this.attemptScope = undefined;
    return (this.stop = this.runStop.forJobAttempt());
  }

  /**
   * Whether an attempt runs in cancellation scopes of its own: only a timeout
   * or a newcomer in the job's concurrency group cancels an attempt on its
   * own, and runs recorded before `fewer-hops.ts` always had them.
   */
  private needsOwnScopes(timeoutSeconds: number | undefined): boolean {
    return this.path === 'original' || timeoutSeconds !== undefined || Boolean(this.job.concurrency);
  }

  /** The scope of the job's top-level stages (a foreach chunk's carries its item's values). */
  private rootScope(): StageScope {
    const chunk = this.input.foreachChunk;
    return { stages: this.state.stages, outer: chunk ? { ...chunk.outer } : {}, extra: chunk ? { ...chunk.extra } : {}, prefix: chunk?.prefix ?? '' };
  }

  /** How an attempt ended, from how its stage list ended and why it stopped. */
  private attemptOutcome(stop: StopState, end: ListEnd, timeoutSeconds: number | undefined): AttemptOutcome {
    const state = this.state;
    let stopped: boolean;
    let failed = false;
    if ('outcome' in end) {
      failed = end.outcome.failed;
      stopped = end.outcome.stopped;
    } else {
      // Stages catch their own errors; a cancellation may still surface here.
      if (!isCancellation(end.error)) state.errors.push(toErrorInfo(end.error, this.where()));
      stopped = true;
    }
    if (stop.cause === StopCause.SUPERSEDED) return { status: Status.CANCEL, reason: this.supersededReason! };
    if (stop.cause === StopCause.JOB_TIMEOUT) {
      const reason = jobTimeoutReason(timeoutSeconds!);
      state.errors.push({ name: StageErrorName.TimeoutError, message: reason, ...this.where() });
      return { status: Status.TIMEOUT, reason };
    }
    if (stopped && this.runStop.cause) return { status: this.runStop.status(), reason: stop.reason(StopMoment.DURING_JOB) };
    if (stopped) return { status: Status.CANCEL, reason: JOB_CANCELLED_REASON };
    return { status: failed ? Status.FAILED : Status.SUCCESS };
  }
}

/** The context of a job that failed before or instead of running its stages. */
export function failedJob(error: ErrorInfo, reason: string): JobContext {
  const now = new Date().toISOString();
  return { status: Status.FAILED, reason, start: now, end: now, outputs: {}, stages: {}, errors: [error] };
}
