/**
 * The interpreter: walks a workflow's job DAG deterministically and runs its
 * stages — `echo` in workflow code, subprocess stages as activities.
 *
 * Invariants:
 * - Deterministic: no I/O, no clocks or randomness but the SDK's.
 * - Any error thrown while interpreting (a bad expression, an engine bug)
 *   becomes a FAILED stage or job, never a workflow task that retries forever.
 * - A stage's own failures are retried here, on durable timers; Temporal
 *   retries only infrastructure failures of its activity.
 */
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { StageAttemptResult } from '../activities/types.js';
import { NON_RETRYABLE_ACTIVITY_ERRORS } from '../activities/types.js';
import {
  mergeStageOutputs,
  summarizeContext,
  type ErrorInfo,
  type JobContext,
  type RunContext,
  type RunOutcome,
  type StageContext,
} from '../engine/context.js';
import { buildNeedsContext, decideJob, type NeedSummary } from '../engine/decision.js';
import type { JobSpec, StageSpec } from '../engine/spec.js';
import { Status } from '../engine/status.js';
import { conditionUsesStatusFunction, evaluateCondition, renderTemplate, type ExpressionContext } from '../expressions/index.js';
import { cancelSignal, RunFailureType, statusQuery, type RunInput } from './definitions.js';

const activities = proxyActivities<Activities>({ startToCloseTimeout: '1 hour' });
const requestCancellation = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '5s', maximumAttempts: 10 },
});

/** Why the run is stopping early, if it is. */
type StopCause = 'cancel' | 'timeout';

/** One run of the interpreter. */
export class Interpreter {
  private readonly context: RunContext;
  private readonly deadlineMs: number;
  private stopCause: StopCause | undefined;
  private readonly workScope = new CancellationScope();
  private readonly rootScope = CancellationScope.current();

  constructor(private readonly input: RunInput) {
    const now = Date.now();
    this.deadlineMs = now + input.timeoutSeconds * 1000;
    this.context = {
      params: input.params,
      jobs: {},
      status: Status.WAIT,
      start: new Date(now).toISOString(),
      errors: [],
    };
  }

  /** Runs to the end; returns for SUCCESS/SKIP, throws the Temporal failure otherwise. */
  async execute(): Promise<RunOutcome> {
    setHandler(statusQuery, () => this.context);
    setHandler(cancelSignal, (reason?: string) => this.cancelFromSignal(reason));

    const timeoutScope = new CancellationScope();
    const timer = timeoutScope
      .run(() => sleep(Math.max(1, this.deadlineMs - Date.now())))
      .then(
        () => {
          if (!this.stopCause) this.stopCause = 'timeout';
          this.workScope.cancel();
        },
        () => undefined,
      );

    try {
      await this.workScope.run(() => this.walk());
    } catch (err) {
      // walk() handles its own errors; this is a last line of defence.
      if (!isCancellation(err)) this.context.errors.push(toErrorInfo(err, {}));
    }
    timeoutScope.cancel();
    await timer;

    if (this.stopCause === 'cancel' && !this.rootScope.consideredCancelled) {
      // Cancelled by signal: wait for our own cancel request to land, so the
      // execution ends Cancelled (not Failed).
      await Promise.race([this.rootScope.cancelRequested, sleep(10_000)]).catch(() => undefined);
    }
    return this.finish();
  }

  private cancelFromSignal(reason?: string): void {
    if (this.stopCause) return;
    this.stopCause = 'cancel';
    log.info('cancel signal received', { reason });
    this.workScope.cancel();
    // Ask Temporal to cancel this execution too, so it ends Cancelled just
    // like a `temporal workflow cancel` (a workflow may not cancel itself, so
    // a short activity asks through the client API).
    const info = workflowInfo();
    void CancellationScope.nonCancellable(() =>
      requestCancellation.requestRunCancellation({ workflowId: info.workflowId, runId: info.runId, ...(reason ? { reason } : {}) }),
    ).catch((err: unknown) => log.warn('self-cancel request failed', { error: String(err) }));
  }

  private get stopping(): boolean {
    if (!this.stopCause && this.rootScope.consideredCancelled) this.stopCause = 'cancel';
    return this.stopCause !== undefined;
  }

  /** Decides and runs jobs as their needs finish, at most `maxJobParallel` at once. */
  private async walk(): Promise<void> {
    const only = this.input.onlyJobs ? new Set(this.input.onlyJobs) : undefined;
    const pending: JobSpec[] = this.input.spec.jobs.filter((j) => !only || only.has(j.id));
    const running = new Map<string, Promise<void>>();
    const maxParallel = Math.max(1, this.input.maxJobParallel);

    while (pending.length > 0 || running.size > 0) {
      for (let i = 0; i < pending.length; ) {
        const job = pending[i]!;
        if (this.stopping) {
          this.setJob(job.id, this.notStarted(job));
          pending.splice(i, 1);
          continue;
        }
        const needs = only ? job.needs.filter((n) => only.has(n)) : job.needs;
        const needStates = needs.map((n) => this.context.jobs[n]);
        if (needStates.some((s) => !s || s.status === Status.WAIT)) {
          i++;
          continue;
        }
        if (running.size >= maxParallel) break;
        pending.splice(i, 1);
        let decision: { run: boolean; reason: string };
        try {
          decision = decideJob({
            needs: Object.fromEntries(needs.map((n) => [n, this.needSummary(n)])),
            if: job.if,
            values: this.expressionValues(job, needs),
          });
        } catch (err) {
          this.setJob(job.id, this.failedJob(toErrorInfo(err, { job: job.id, location: job.loc }), 'its `if` could not be evaluated'));
          continue;
        }
        if (!decision.run) {
          this.setJob(job.id, { status: Status.SKIP, reason: decision.reason, outputs: {}, stages: {}, errors: [] });
          log.info(`job ${job.id}: SKIP (${decision.reason})`);
          continue;
        }
        const promise = this.runJob(job, needs).finally(() => running.delete(job.id));
        running.set(job.id, promise);
      }
      if (running.size === 0) {
        if (pending.length > 0) {
          // Unreachable for a validated DAG; never spin.
          for (const job of pending.splice(0)) {
            this.setJob(job.id, this.failedJob({ name: 'WorkflowError', message: `job '${job.id}' can never start: its needs cannot finish`, job: job.id, location: job.loc }, 'unreachable'));
          }
        }
        break;
      }
      await Promise.race(running.values());
    }
  }

  private notStarted(job: JobSpec): JobContext {
    const reason = this.stopCause === 'timeout' ? 'the run timed out before this job started' : 'the run was cancelled before this job started';
    return { status: Status.CANCEL, reason, outputs: {}, stages: {}, errors: [] };
  }

  private failedJob(error: ErrorInfo, reason: string): JobContext {
    const now = new Date().toISOString();
    return { status: Status.FAILED, reason, start: now, end: now, outputs: {}, stages: {}, errors: [error] };
  }

  private setJob(id: string, job: JobContext): void {
    this.context.jobs[id] = job;
  }

  private needSummary(id: string): NeedSummary {
    const state = this.context.jobs[id]!;
    return { status: state.status, continueOnError: false };
  }

  /** Values visible to expressions of a job (and, with `stages`, of its stages). */
  private expressionValues(job: JobSpec, needs: readonly string[], stages?: Record<string, StageContext>): Record<string, unknown> {
    const needStates: Record<string, NeedSummary> = {};
    const needOutputs: Record<string, Record<string, unknown>> = {};
    for (const n of needs) {
      const s = this.context.jobs[n];
      if (!s) continue;
      needStates[n] = { status: s.status, continueOnError: false };
      needOutputs[n] = s.outputs;
    }
    const env = { ...this.input.spec.env };
    return {
      params: this.input.params,
      env,
      extras: this.input.extras,
      needs: buildNeedsContext(needStates, needOutputs),
      jobs: this.context.jobs,
      stages: stages ?? {},
      workflow: { name: this.input.spec.name, run_id: this.input.runId },
      job: { id: job.id },
    };
  }

  /** Runs a job's stages in order. Never throws. */
  private async runJob(job: JobSpec, needs: readonly string[]): Promise<void> {
    const state: JobContext = { status: Status.WAIT, start: new Date().toISOString(), outputs: {}, stages: {}, errors: [] };
    this.setJob(job.id, state);
    log.info(`job ${job.id}: start`);
    let failed = false;
    let cancelled = false;
    for (const stage of job.stages) {
      if (this.stopping) {
        cancelled = true;
        state.stages[stage.id] = { status: Status.CANCEL, name: stage.name, outputs: {}, reason: 'run stopped before this stage started' };
        continue;
      }
      const result = await this.runStage(job, needs, stage, state, failed);
      state.stages[stage.id] = result;
      if (result.error) state.errors.push(result.error);
      if (result.status === Status.CANCEL) cancelled = true;
      if (result.status === Status.FAILED || result.status === Status.TIMEOUT) {
        if (!(await this.stageContinuesOnError(job, needs, stage, state))) failed = true;
      }
    }
    state.outputs = mergeStageOutputs(state.stages);
    state.end = new Date().toISOString();
    if (cancelled) {
      state.status = this.stopCause === 'timeout' ? Status.TIMEOUT : Status.CANCEL;
      state.reason = this.stopCause === 'timeout' ? 'the run timed out while this job was running' : 'the run was cancelled while this job was running';
    } else {
      state.status = failed ? Status.FAILED : Status.SUCCESS;
    }
    log.info(`job ${job.id}: ${state.status}`);
  }

  private async stageContinuesOnError(job: JobSpec, needs: readonly string[], stage: StageSpec, state: JobContext): Promise<boolean> {
    if (typeof stage.continueOnError === 'boolean') return stage.continueOnError;
    try {
      return evaluateCondition(stage.continueOnError, { values: this.expressionValues(job, needs, state.stages) });
    } catch {
      return false;
    }
  }

  /** Decides, renders and runs one stage, with its own retry loop. Never throws. */
  private async runStage(job: JobSpec, needs: readonly string[], stage: StageSpec, state: JobContext, jobFailed: boolean): Promise<StageContext> {
    const values = this.expressionValues(job, needs, state.stages);
    const ctx: ExpressionContext = { values };
    let name = stage.name;
    const where = { job: job.id, stage: stage.id, location: stage.loc };
    try {
      name = String(renderTemplate(stage.name, ctx) ?? stage.name);
      // Decide: after a failure only `always()`/`failure()` stages run.
      const usesStatus = stage.if !== undefined && conditionUsesStatusFunction(stage.if);
      let run: boolean;
      if (stage.if === undefined) run = !jobFailed;
      else {
        const cond = evaluateCondition(stage.if, { values, status: { success: !jobFailed, failure: jobFailed, cancelled: false } });
        run = usesStatus ? cond : cond && !jobFailed;
      }
      if (!run) {
        return { status: Status.SKIP, name, outputs: {}, reason: jobFailed ? 'an earlier stage failed' : 'its `if` is false' };
      }
    } catch (err) {
      const error = toErrorInfo(err, where);
      return { status: Status.FAILED, name, outputs: {}, error, start: new Date().toISOString(), end: new Date().toISOString() };
    }

    const stageState: StageContext = { status: Status.WAIT, name, outputs: {}, start: new Date().toISOString(), attempt: 1 };
    state.stages[stage.id] = stageState;
    try {
      const maxRetries = toCount(renderTemplate(String(stage.retry.maximumRetries), ctx), 'retry');
      for (let attempt = 1; ; attempt++) {
        stageState.attempt = attempt;
        const result = await this.attempt(job, stage, name, attempt, ctx);
        stageState.outputs = result.outputs;
        if (result.ok) {
          stageState.status = Status.SUCCESS;
          delete stageState.error;
          break;
        }
        stageState.error = result.error;
        const retryable = !result.nonRetryable && !stage.retry.nonRetryableErrors.includes(result.error?.name ?? '');
        if (attempt > maxRetries || !retryable) {
          stageState.status = Status.FAILED;
          break;
        }
        const delay = Math.min(
          stage.retry.initialIntervalSeconds * stage.retry.backoffCoefficient ** (attempt - 1),
          stage.retry.maximumIntervalSeconds,
        );
        log.info(`stage ${job.id}.${stage.id}: attempt ${attempt} failed; retrying in ${delay} s`, { error: result.error?.message });
        await sleep(delay * 1000);
      }
    } catch (err) {
      if (isCancellation(err) || this.stopping) {
        stageState.status = Status.CANCEL;
        stageState.reason = this.stopCause === 'timeout' ? 'the run timed out' : 'the run was cancelled';
      } else {
        stageState.status = Status.FAILED;
        stageState.error = toErrorInfo(err, where);
      }
    }
    stageState.end = new Date().toISOString();
    return stageState;
  }

  /** One attempt of a stage's action. Returns the stage's own failures; throws cancellation. */
  private async attempt(job: JobSpec, stage: StageSpec, name: string, attempt: number, ctx: ExpressionContext): Promise<StageAttemptResult> {
    switch (stage.kind) {
      case 'echo': {
        const message = renderTemplate(stage.echo, ctx);
        log.info(`[${this.input.spec.name}] [${job.id}] [${stage.id}] ${typeof message === 'string' ? message : JSON.stringify(message)}`);
        if (stage.sleepSeconds !== undefined) {
          const seconds = toSeconds(renderTemplate(String(stage.sleepSeconds), ctx), 'sleep');
          if (seconds > 0) await sleep(seconds * 1000);
        }
        return { ok: true, outputs: {} };
      }
      case 'bash': {
        const timeoutSeconds = stage.timeoutSeconds === undefined ? undefined : toSeconds(renderTemplate(String(stage.timeoutSeconds), ctx), 'timeout');
        const env = renderEnv({ ...this.input.spec.env, ...stage.env }, ctx);
        const script = renderTemplate(stage.bash, ctx);
        return activities.bashStage.executeWithOptions(this.activityOptions(job, name, timeoutSeconds), [
          {
            runId: this.input.runId,
            workflowName: this.input.spec.name,
            jobId: job.id,
            stageId: stage.id,
            stageName: name,
            location: stage.loc,
            attempt,
            script: typeof script === 'string' ? script : JSON.stringify(script),
            env,
            cwd: stage.cwd,
            params: this.input.params,
            timeoutSeconds,
          },
        ]);
      }
      default:
        throw new Error(`stage kind '${stage.kind}' is not supported by this worker version`);
    }
  }

  private activityOptions(job: JobSpec, stageName: string, timeoutSeconds: number | undefined): ActivityOptions {
    const remainingMs = Math.max(1000, this.deadlineMs - Date.now());
    // The stage's own timeout is enforced inside the activity (so it is a
    // stage failure, retried per `retry:`); start-to-close is only a backstop.
    const startToCloseMs = timeoutSeconds !== undefined ? Math.min(timeoutSeconds * 1000 + 60_000, remainingMs + 60_000) : remainingMs + 60_000;
    return {
      startToCloseTimeout: startToCloseMs,
      heartbeatTimeout: this.input.activity?.heartbeatTimeoutMs ?? 10_000,
      taskQueue: this.input.activity?.taskQueue,
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      summary: `${job.id} / ${stageName}`.slice(0, 200),
      retry: {
        // Infrastructure failures only (worker lost, heartbeat timeout): retried
        // whatever the stage's `retry:` says, until the run's deadline.
        initialInterval: '1s',
        backoffCoefficient: 2,
        maximumInterval: '30s',
        nonRetryableErrorTypes: [...NON_RETRYABLE_ACTIVITY_ERRORS],
      },
    };
  }

  /** Computes the run's status and ends the Temporal execution to match (SPEC §5). */
  private finish(): RunOutcome {
    const ctx = this.context;
    ctx.end = new Date().toISOString();
    const jobs = Object.values(ctx.jobs);
    for (const [id, job] of Object.entries(ctx.jobs)) {
      for (const e of job.errors) if (!ctx.errors.includes(e)) ctx.errors.push({ ...e, job: e.job ?? id });
    }
    if (this.stopping) ctx.status = this.stopCause === 'timeout' ? Status.TIMEOUT : Status.CANCEL;
    else if (ctx.errors.length > 0 && jobs.length === 0) ctx.status = Status.FAILED;
    else if (jobs.some((j) => j.status === Status.FAILED || j.status === Status.TIMEOUT)) ctx.status = Status.FAILED;
    else if (jobs.length > 0 && jobs.every((j) => j.status === Status.SKIP)) ctx.status = Status.SKIP;
    else ctx.status = Status.SUCCESS;
    log.info(`run ${this.input.runId}: ${ctx.status}`);

    const outcome: RunOutcome = {
      status: ctx.status,
      runId: this.input.runId,
      ...(this.input.parentRunId ? { parentRunId: this.input.parentRunId } : {}),
      context: ctx,
      errors: ctx.errors,
    };
    switch (ctx.status) {
      case Status.SUCCESS:
      case Status.SKIP:
        return outcome;
      case Status.CANCEL:
        throw new CancelledFailure(`run ${this.input.runId} cancelled`, [summarizeContext(ctx)]);
      case Status.TIMEOUT:
        throw ApplicationFailure.create({
          type: RunFailureType.TIMEOUT,
          message: `run timed out after ${this.input.timeoutSeconds} s`,
          nonRetryable: true,
          details: [summarizeContext(ctx)],
        });
      default:
        throw ApplicationFailure.create({
          type: RunFailureType.FAILED,
          message: failureMessage(ctx),
          nonRetryable: true,
          details: [summarizeContext(ctx)],
        });
    }
  }
}

function failureMessage(ctx: RunContext): string {
  const first = ctx.errors[0];
  const failedJobs = Object.entries(ctx.jobs)
    .filter(([, j]) => j.status === Status.FAILED)
    .map(([id]) => id);
  const head = failedJobs.length ? `job${failedJobs.length > 1 ? 's' : ''} ${failedJobs.join(', ')} failed` : 'run failed';
  return first ? `${head}: ${first.stage ? `${first.job}.${first.stage}` : (first.job ?? '')}: ${first.message}`.slice(0, 2000) : head;
}

/** Any thrown value as an `ErrorInfo`. */
function toErrorInfo(err: unknown, where: { job?: string; stage?: string; location?: string }): ErrorInfo {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const name = err instanceof ApplicationFailure && err.type ? err.type : err.name;
    const message = err.message + (cause instanceof Error && !err.message.includes(cause.message) ? `: ${cause.message}` : '');
    return { name, message, ...where };
  }
  return { name: 'Error', message: String(err), ...where };
}

function renderEnv(env: Record<string, string>, ctx: ExpressionContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    const r = renderTemplate(v, ctx);
    out[k] = typeof r === 'string' ? r : r === null || r === undefined ? '' : typeof r === 'object' ? JSON.stringify(r) : String(r);
  }
  return out;
}

function toCount(value: unknown, field: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 1000) {
    throw new TypeError(`'${field}' must be a whole number from 0 to 1000, got ${JSON.stringify(value)}`);
  }
  return n;
}

function toSeconds(value: unknown, field: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
    throw new TypeError(`'${field}' must be a number of seconds, got ${JSON.stringify(value)}`);
  }
  return n;
}
