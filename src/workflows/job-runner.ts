/**
 * Runs one job (or one matrix combination, or one chunk of a large
 * `foreach`): the job loop — its `retry:` and `timeout:`, its declared
 * outputs — and the stage loop — for each stage, decide whether it runs,
 * render its name and timeout, run its attempts with backoff, record its
 * context. What an attempt does is the stage kind's business
 * (`stages/<kind>.ts`, dispatched by `stages/index.ts`). Used inline by the
 * interpreter for plain jobs and by the `tempoflowJob` child workflow, so
 * both behave the same (docs/semantics.md, "Stages", "Retries and
 * timeouts").
 *
 * Workflow code: deterministic, no I/O. Never throws: every error becomes a
 * positioned FAILED stage or job.
 */
import { CancellationScope, isCancellation, log, sleep } from '@temporalio/workflow';
import { mergeStageOutputs, type ErrorInfo, type JobContext, type StageContext } from '../engine/context.js';
import type { StageSpec } from '../engine/spec.js';
import { StageErrorName } from '../engine/stage-errors.js';
import { isFailure, Status } from '../engine/status.js';
import { recordAttempt, stageContinuesOnError, startStage } from '../engine/stage-decision.js';
import { evaluateCondition, renderTemplate, type ExpressionContext } from '../expressions/index.js';
import { Approvals } from './approvals.js';
import type { ApprovalDecision, JobRunInput } from './definitions.js';
import { holdJobGroup, type JobGroupEnv } from './job-group.js';
import { runPool } from './pool.js';
import { stageValues } from './run-values.js';
import { backoffSeconds, renderCount, renderSeconds, toErrorInfo, type ErrorWhere } from '../engine/render.js';
import { runStageAction, type NestedOutcome, type StageEnv, type StageScope } from './stages/index.js';
import { batchAt, runBatchStages } from './stages/batch.js';
import { jobPath } from './fewer-hops.js';
import { JOB_CANCELLED_REASON, jobTimeoutReason, StopCause, StopMoment, type StopState } from './stop-state.js';
import type { WaitingDetails } from './waiting-details.js';
import type { StageAttemptResult } from '../activities/types.js';

/** Stage kinds that hold other stages (their outputs hold capped leaves, so they are not capped again). */
const NESTED_KINDS: ReadonlySet<string> = new Set(['parallel', 'foreach', 'until', 'case']);

/** How a list of stages ended. */
interface ListOutcome {
  readonly failed: boolean;
  readonly stopped: boolean;
  /** The first error of a stage that failed the list. */
  readonly error?: ErrorInfo;
}

/** How an attempt's stage list settled. */
type ListEnd = { readonly outcome: ListOutcome } | { readonly error: unknown };

/** How one attempt of the job ended. */
interface AttemptOutcome {
  readonly status: Status;
  readonly reason?: string;
}

/** A stage whose attempts are running: what each attempt and its end need. */
interface StageAttempts {
  readonly stage: StageSpec;
  /** Its rendered name. */
  readonly name: string;
  readonly scope: StageScope;
  readonly ctx: ExpressionContext;
  readonly where: ErrorWhere & { stage: string };
  /** Its live context, recorded in `scope.stages`. */
  readonly state: StageContext;
  maxRetries: number;
  /** Seconds before the next attempt, once an attempt asked for a retry. */
  retryIn: number;
}

/** A stage whose first attempt started. */
interface StageRun extends StageAttempts {
  readonly pending: Promise<StageAttemptResult>;
}

/** How an attempt's promise settled. */
type AttemptEnd = { readonly result: StageAttemptResult } | { readonly error: unknown };

/** Workflow time as an ISO string (the SDK's `Date` reads workflow time). */
const workflowNow = (): string => new Date().toISOString();

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
  /** Whether this execution takes a job path with fewer promises (`fewer-hops.ts`). */
  private readonly fewerHops: boolean;
  /** Whether the stage loop awaits each stage's first attempt itself (`fewer-hops.ts`). */
  private readonly directStages: boolean;

  constructor(
    private readonly input: JobRunInput,
    /** The stop state of the workflow execution the job runs in. */
    private readonly runStop: StopState,
    /** What the workflow execution the job runs in waits for. */
    private readonly waiting: WaitingDetails,
    /** Set for a job with `concurrency:` (not in a foreach chunk child: the chunks run in their job's slot). */
    private readonly group?: JobGroupEnv,
  ) {
    this.approvals = new Approvals(input.approvals);
    const path = jobPath();
    this.fewerHops = path !== 'original';
    this.directStages = path === 'direct-stages';
    this.stop = runStop.forJobAttempt();
    this.state = {
      status: Status.WAIT,
      start: new Date().toISOString(),
      outputs: {},
      stages: {},
      errors: [],
      ...(input.matrix ? { matrix: input.matrix } : {}),
    };
  }

  private get job() {
    return this.input.job;
  }

  private where(stage?: StageSpec): Required<Pick<ErrorWhere, 'job' | 'location'>> & ErrorWhere {
    return stage ? { job: this.job.id, stage: stage.id, location: stage.loc } : { job: this.job.id, location: this.job.loc };
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
      if (this.directStages && !this.needsOwnScopes(timeoutSeconds)) {
        // The direct path (`fewer-hops.ts`): the attempt's stage list, awaited here.
        const stop = this.beginAttempt();
        let end: ListEnd;
        try {
          end = { outcome: await this.runStageList(this.job.stages, this.rootScope(), true) };
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
      const stageList = () => this.runStageList(this.job.stages, this.rootScope(), true);
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
    return !this.fewerHops || timeoutSeconds !== undefined || Boolean(this.job.concurrency);
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

  // ——— The stage loop ———

  /**
   * Runs a list of stages in order. After a failure, only stages whose `if`
   * uses `always()`/`failure()` run. With `top`, stage errors are also the
   * job's errors.
   */
  private async runStageList(stages: readonly StageSpec[], scope: StageScope, top: boolean): Promise<ListOutcome> {
    let failed = false;
    let stopped = false;
    let firstError: ErrorInfo | undefined;
    // A rerun `--from-stage` keeps the job's stages before that stage.
    const from = top ? this.input.fromStage : undefined;
    let reusing = from !== undefined && stages.some((s) => s.id === from.stage);
    const record = (stage: StageSpec, result: StageContext): void => {
      scope.stages[stage.id] = result;
      if (result.status === Status.CANCEL) stopped = true;
      if (isFailure(result.status) && !stageContinuesOnError(stage.continueOnError, this.values({}, scope))) {
        failed = true;
        firstError ??= result.error;
        if (result.error && top) this.state.errors.push(result.error);
      }
    };
    for (let i = 0; i < stages.length; i++) {
      const stage = stages[i]!;
      if (reusing && stage.id === from!.stage) reusing = false;
      if (reusing) {
        const kept = from!.stages[stage.id];
        scope.stages[stage.id] = kept ? { ...kept, reused: true } : { status: Status.SKIP, name: stage.name, outputs: {}, reason: 'before the rerun stage', reused: true };
        continue;
      }
      if (this.stop.stopping()) {
        stopped = true;
        scope.stages[stage.id] = { status: Status.CANCEL, name: stage.name, outputs: {}, reason: this.stop.reason(StopMoment.BEFORE_STAGE) };
        continue;
      }
      const batch = top ? batchAt(this.input, stages, i, scope.stages) : [];
      if (batch.length > 0) {
        const results = await runBatchStages(this.input, batch, this.values({}, scope), scope.stages, failed, this.stop);
        results.forEach((result, k) => record(batch[k]!, result));
        i += results.length - 1;
        continue;
      }
      if (!this.directStages) {
        record(stage, await this.runStage(stage, failed, scope));
        continue;
      }
      // The direct path (`fewer-hops.ts`): the loop awaits the first attempt itself.
      const run = this.beginStage(stage, failed, scope);
      if (!('pending' in run)) {
        record(stage, run);
        continue;
      }
      let end: AttemptEnd;
      try {
        end = { result: await run.pending };
      } catch (err) {
        end = { error: err };
      }
      record(stage, this.endAttempt(run, end) ?? (await this.attempts(run, undefined)));
    }
    return { failed, stopped, ...(firstError ? { error: firstError } : {}) };
  }

  /** Decides, renders and runs one stage, with its own retry loop. Never throws. */
  private runStage(stage: StageSpec, jobFailed: boolean, scope: StageScope): Promise<StageContext> {
    let run: StageContext | StageRun;
    try {
      run = this.beginStage(stage, jobFailed, scope);
    } catch (err) {
      return Promise.reject(err);
    }
    return 'pending' in run ? this.attempts(run, run.pending) : Promise.resolve(run);
  }

  /**
   * Decides whether `stage` runs and starts its first attempt: its context
   * when it ends here (skipped, or its first input failed to render), else
   * the running stage with the attempt's promise. Synchronous, so that the
   * direct path awaits the attempt itself.
   */
  private beginStage(stage: StageSpec, jobFailed: boolean, scope: StageScope): StageContext | StageRun {
    const values = this.values({}, scope);
    const ctx: ExpressionContext = { values };
    const where = { ...this.where(stage), stage: scope.prefix + stage.id };
    const start = startStage(stage, values, jobFailed, where, workflowNow);
    if ('context' in start) return start.context;
    const state: StageContext = { status: Status.WAIT, name: start.name, outputs: {}, start: workflowNow(), attempt: 1 };
    scope.stages[stage.id] = state;
    const run = { stage, name: start.name, scope, ctx, where, state, maxRetries: 0, retryIn: 0 };
    try {
      run.maxRetries = renderCount(stage.retry.maximumRetries, ctx, 'retry');
      return { ...run, pending: this.startAttempt(run, 1) };
    } catch (err) {
      return this.stageThrew(run, err);
    }
  }

  /**
   * A running stage's attempts, from awaiting `pending` (or, without it, from
   * the backoff before the next attempt) to the stage's final context. One
   * async frame around each attempt and backoff, as stages ran before the
   * direct path: runs recorded then replay with these promise hops.
   */
  private async attempts(run: StageAttempts, pending: Promise<StageAttemptResult> | undefined): Promise<StageContext> {
    for (;;) {
      if (pending) {
        let end: AttemptEnd;
        try {
          end = { result: await pending };
        } catch (err) {
          end = { error: err };
        }
        const done = this.endAttempt(run, end);
        if (done) return done;
      }
      try {
        log.info(`stage ${this.job.id}.${run.stage.id}: attempt ${run.state.attempt} failed; retrying in ${run.retryIn} s`, { error: run.state.error?.message });
        await sleep(run.retryIn * 1000, { summary: `${this.job.id} / ${run.name}: retry in ${run.retryIn} s` });
        pending = this.startAttempt(run, (run.state.attempt ?? 1) + 1);
      } catch (err) {
        return this.stageThrew(run, err);
      }
    }
  }

  /** Starts attempt number `attempt` of a running stage; throws when its timeout or input cannot be rendered. */
  private startAttempt(run: StageAttempts, attempt: number): Promise<StageAttemptResult> {
    const { stage, ctx, scope, state, name } = run;
    state.attempt = attempt;
    const timeoutSeconds = stage.timeoutSeconds === undefined ? undefined : renderSeconds(stage.timeoutSeconds, ctx, 'timeout');
    return runStageAction(stage, this.stageEnv(stage, { name, attempt, ctx, timeoutSeconds, scope, live: state }));
  }

  /** Records how an attempt ended: the stage's final context, or `undefined` when it is retried in `run.retryIn` seconds. */
  private endAttempt(run: StageAttempts, end: AttemptEnd): StageContext | undefined {
    if ('error' in end) return this.stageThrew(run, end.error);
    const { stage, state, where, maxRetries } = run;
    try {
      const delay = recordAttempt(state, stage, end.result, { attempt: state.attempt ?? 1, maxRetries, stagePath: where.stage, capOutputs: !NESTED_KINDS.has(stage.kind) });
      if (delay !== undefined) {
        run.retryIn = delay;
        return undefined;
      }
    } catch (err) {
      return this.stageThrew(run, err);
    }
    state.end = workflowNow();
    return state;
  }

  /** A stage whose attempt threw: CANCEL when the run or job is stopping, else FAILED with the positioned error. */
  private stageThrew(run: StageAttempts, err: unknown): StageContext {
    const { state } = run;
    if (isCancellation(err) || this.stop.stopping()) {
      state.status = Status.CANCEL;
      state.reason = this.stop.reason(StopMoment.DURING_STAGE);
    } else {
      state.status = Status.FAILED;
      state.error = toErrorInfo(err, run.where);
    }
    state.end = workflowNow();
    return state;
  }

  /** What a stage kind may use for one attempt (see `stages/stage-kind.ts`). */
  private stageEnv(stage: StageSpec, attempt: Pick<StageEnv, 'name' | 'attempt' | 'ctx' | 'timeoutSeconds' | 'scope' | 'live'>): StageEnv {
    const stop = this.stop;
    return {
      ...attempt,
      where: this.where(stage),
      input: this.input,
      jobStages: this.state.stages,
      values: (extra, scope) => this.values(extra, scope),
      runNested: (stages, scope, parent, key, extra, into) => this.runNested(stages, scope, parent, key, extra, into),
      pool: (count, limit, unit, stopOnFailure) => runPool({ count, limit, unit, stopOnFailure, stopping: () => stop.stopping() }),
      stop,
      approvals: this.approvals,
      waiting: this.waiting,
      fewerHops: this.fewerHops,
    };
  }

  /** Runs a nested list of stages as one unit; its contexts go live into `into[key]`. */
  private async runNested(
    stages: readonly StageSpec[],
    parent: StageScope,
    parentStage: StageSpec,
    key: string,
    extra: Record<string, unknown>,
    into: Record<string, unknown>,
  ): Promise<NestedOutcome> {
    const scope: StageScope = {
      stages: {},
      outer: { ...parent.outer, ...parent.stages },
      extra: { ...parent.extra, ...extra },
      prefix: `${parent.prefix}${parentStage.id}.${key}.`,
    };
    const entry: Record<string, unknown> = { ...extra, status: Status.WAIT, stages: scope.stages };
    into[key] = entry;
    const outcome = await this.runStageList(stages, scope, false);
    const status = outcome.stopped ? Status.CANCEL : outcome.failed ? Status.FAILED : Status.SUCCESS;
    entry.status = status;
    if (outcome.error) entry.error = outcome.error;
    return { status, ...(outcome.error ? { error: outcome.error } : {}) };
  }
}

/** The context of a job that failed before or instead of running its stages. */
export function failedJob(error: ErrorInfo, reason: string): JobContext {
  const now = new Date().toISOString();
  return { status: Status.FAILED, reason, start: now, end: now, outputs: {}, stages: {}, errors: [error] };
}
