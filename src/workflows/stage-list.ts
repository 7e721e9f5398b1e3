/**
 * The stage loop of a job (docs/semantics.md, "Stages", "Retries and
 * timeouts"): for each stage of a list, decide whether it runs, render its
 * name and timeout, run its attempts with backoff, record its context.
 * Nested lists (parallel branches, foreach items, ...) run through the same
 * loop. What an attempt does is the stage kind's business (`stages/<kind>.ts`,
 * dispatched by `stages/index.ts`); the job loop around the list — the job's
 * `retry:`, `timeout:`, concurrency group and outputs — is `job-runner.ts`,
 * which runs its stages through one `StageList`.
 *
 * Workflow code: deterministic, no I/O. Never throws for a stage: every error
 * becomes a positioned FAILED stage.
 */
import { isCancellation, log, sleep } from '@temporalio/workflow';
import type { StageAttemptResult } from '../activities/types.js';
import type { ErrorInfo, JobContext, StageContext } from '../engine/context.js';
import { renderCount, renderSeconds, toErrorInfo, type ErrorWhere } from '../engine/render.js';
import type { StageSpec } from '../engine/spec.js';
import { recordAttempt, stageContinuesOnError, startStage } from '../engine/stage-decision.js';
import { isFailure, Status } from '../engine/status.js';
import type { ExpressionContext } from '../expressions/index.js';
import type { Approvals } from './approvals.js';
import type { JobRunInput } from './definitions.js';
import { promiseOf, type JobPath } from './fewer-hops.js';
import { runPool } from './pool.js';
import { batchAt, runBatchStages } from './stages/batch.js';
import { runStageAction, type NestedOutcome, type StageEnv, type StageScope } from './stages/index.js';
import { StopMoment, type StopState } from './stop-state.js';
import type { WaitingDetails } from './waiting-details.js';

/** Stage kinds that hold other stages (their outputs hold capped leaves, so they are not capped again). */
const NESTED_KINDS: ReadonlySet<string> = new Set(['parallel', 'foreach', 'until', 'case']);

/** How a list of stages ended. */
export interface ListOutcome {
  readonly failed: boolean;
  readonly stopped: boolean;
  /** The first error of a stage that failed the list. */
  readonly error?: ErrorInfo;
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

/** What the stage loop uses of the job it runs in (`JobRunner`). */
export interface StageListHost {
  readonly input: JobRunInput;
  /** The live job context: the loop records top-level stage errors in its `errors`. */
  readonly state: JobContext;
  readonly approvals: Approvals;
  readonly waiting: WaitingDetails;
  /** The job path of this workflow execution (`fewer-hops.ts`). */
  readonly path: JobPath;
  /** The current attempt's stop state (the job runner makes a new one each attempt). */
  stop(): StopState;
  /** Values visible to the job's stage expressions (in `scope`, with `extra` on top). */
  values(extra: Record<string, unknown>, scope?: StageScope): Record<string, unknown>;
}

/** Where a stage of the job is, for positioned errors. */
export function stageWhere(input: JobRunInput, stage: StageSpec): Required<Pick<ErrorWhere, 'job' | 'location'>> & ErrorWhere {
  return { job: input.job.id, stage: stage.id, location: stage.loc };
}

/** Runs lists of a job's stages; see the module doc. */
export class StageList {
  constructor(private readonly host: StageListHost) {}

  /**
   * Runs a list of stages in order. After a failure, only stages whose `if`
   * uses `always()`/`failure()` run. With `top`, stage errors are also the
   * job's errors.
   */
  async run(stages: readonly StageSpec[], scope: StageScope, top: boolean): Promise<ListOutcome> {
    let failed = false;
    let stopped = false;
    let firstError: ErrorInfo | undefined;
    // A rerun `--from-stage` keeps the job's stages before that stage.
    const from = top ? this.host.input.fromStage : undefined;
    let reusing = from !== undefined && stages.some((s) => s.id === from.stage);
    const record = (stage: StageSpec, result: StageContext): void => {
      scope.stages[stage.id] = result;
      if (result.status === Status.CANCEL) stopped = true;
      if (isFailure(result.status) && !stageContinuesOnError(stage.continueOnError, this.host.values({}, scope))) {
        failed = true;
        firstError ??= result.error;
        if (result.error && top) this.host.state.errors.push(result.error);
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
      if (this.host.stop().stopping()) {
        stopped = true;
        scope.stages[stage.id] = { status: Status.CANCEL, name: stage.name, outputs: {}, reason: this.host.stop().reason(StopMoment.BEFORE_STAGE) };
        continue;
      }
      const batch = top ? batchAt(this.host.input, stages, i, scope.stages) : [];
      if (batch.length > 0) {
        const results = await runBatchStages(this.host.input, batch, this.host.values({}, scope), scope.stages, failed, this.host.stop());
        results.forEach((result, k) => record(batch[k]!, result));
        i += results.length - 1;
        continue;
      }
      if (this.host.path !== 'direct-stages') {
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
    return promiseOf(() => {
      const run = this.beginStage(stage, jobFailed, scope);
      return 'pending' in run ? this.attempts(run, run.pending) : Promise.resolve(run);
    });
  }

  /**
   * Decides whether `stage` runs and starts its first attempt: its context
   * when it ends here (skipped, or its first input failed to render), else
   * the running stage with the attempt's promise. Synchronous, so that the
   * direct path awaits the attempt itself.
   */
  private beginStage(stage: StageSpec, jobFailed: boolean, scope: StageScope): StageContext | StageRun {
    const values = this.host.values({}, scope);
    const ctx: ExpressionContext = { values };
    const where = { ...stageWhere(this.host.input, stage), stage: scope.prefix + stage.id };
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
        log.info(`stage ${this.host.input.job.id}.${run.stage.id}: attempt ${run.state.attempt} failed; retrying in ${run.retryIn} s`, { error: run.state.error?.message });
        await sleep(run.retryIn * 1000, { summary: `${this.host.input.job.id} / ${run.name}: retry in ${run.retryIn} s` });
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
    if (isCancellation(err) || this.host.stop().stopping()) {
      state.status = Status.CANCEL;
      state.reason = this.host.stop().reason(StopMoment.DURING_STAGE);
    } else {
      state.status = Status.FAILED;
      state.error = toErrorInfo(err, run.where);
    }
    state.end = workflowNow();
    return state;
  }

  /** What a stage kind may use for one attempt (see `stages/stage-kind.ts`). */
  private stageEnv(stage: StageSpec, attempt: Pick<StageEnv, 'name' | 'attempt' | 'ctx' | 'timeoutSeconds' | 'scope' | 'live'>): StageEnv {
    const stop = this.host.stop();
    return {
      ...attempt,
      where: stageWhere(this.host.input, stage),
      input: this.host.input,
      jobStages: this.host.state.stages,
      values: (extra, scope) => this.host.values(extra, scope),
      runNested: (stages, scope, parent, key, extra, into) => this.runNested(stages, scope, parent, key, extra, into),
      pool: (count, limit, unit, stopOnFailure) => runPool({ count, limit, unit, stopOnFailure, stopping: () => stop.stopping() }),
      stop,
      approvals: this.host.approvals,
      waiting: this.host.waiting,
      fewerHops: this.host.path !== 'original',
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
    const outcome = await this.run(stages, scope, false);
    const status = outcome.stopped ? Status.CANCEL : outcome.failed ? Status.FAILED : Status.SUCCESS;
    entry.status = status;
    if (outcome.error) entry.error = outcome.error;
    return { status, ...(outcome.error ? { error: outcome.error } : {}) };
  }
}
