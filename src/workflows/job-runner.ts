/**
 * Runs one job (or one matrix combination of it): its stages in order, the
 * job's own retry loop and timeout, and its declared outputs. Used inline by
 * the interpreter for plain jobs and by the `tempoflowJob` child workflow for
 * matrix combinations, so both behave the same.
 *
 * Workflow code: deterministic, no I/O. Never throws: every error becomes a
 * positioned FAILED stage or job.
 */
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  ChildWorkflowCancellationType,
  ChildWorkflowFailure,
  condition,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  sleep,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { StageAttemptResult } from '../activities/types.js';
import { mergeStageOutputs, type ErrorInfo, type JobContext, type RunContext, type RunOutcome, type StageContext } from '../engine/context.js';
import { capStageOutputs } from '../engine/caps.js';
import type { RetrySpec, StageSpec } from '../engine/spec.js';
import { NON_RETRYABLE_ACTIVITY_ERRORS, StageErrorName } from '../engine/stage-errors.js';
import { isFailure, Status } from '../engine/status.js';
import { conditionUsesStatusFunction, DEFER_SECRETS, evaluateCondition, looseEquals, maskSecretTemplates, renderDeep, renderTemplate, secretNamesIn, type ExpressionContext } from '../expressions/index.js';
import { approvalSignal, JOB_WORKFLOW_TYPE, RUN_WORKFLOW_TYPE, RunFailureType, type ApprovalDecision, type JobRunInput, type RunInput } from './definitions.js';

const activities = proxyActivities<Activities>({ startToCloseTimeout: '1 hour' });

/** Why the enclosing run stops early. */
export type StopCause = 'cancel' | 'timeout';

/** What the job runner needs from whoever runs it. */
export interface JobRunnerHost {
  /** The enclosing run's stop cause, if it is stopping. */
  stopCause(): StopCause | undefined;
}

/** Stage kinds that hold other stages. */
const NESTED_KINDS: ReadonlySet<string> = new Set(['parallel', 'foreach', 'until', 'case']);

/** Default number of `foreach` items above which they run in chunk children. */
export const DEFAULT_FOREACH_CHUNK_SIZE = 200;

/** Default cap on `until` loops. */
export const DEFAULT_MAX_LOOP = 100;

/**
 * Where a list of stages runs: the job's own list, or one nested inside a
 * `parallel` branch, a `foreach` item, an `until` loop or a `case`.
 */
interface StageScope {
  /** Contexts of this list's stages, filled as they run. */
  readonly stages: Record<string, StageContext>;
  /** Stage contexts of the enclosing lists, also visible as `stages.*`. */
  readonly outer: Record<string, StageContext>;
  /** `item`, `loop`, `branch`, `case` of the enclosing nested stages. */
  readonly extra: Record<string, unknown>;
  /** Dotted path prefix of this list's stage ids (`''` at job level, `fan.a.` in branch `a` of `fan`). */
  readonly prefix: string;
}

/** How a list of stages ended. */
interface ListOutcome {
  readonly failed: boolean;
  readonly stopped: boolean;
  /** The first error of a stage that failed the list. */
  readonly error?: ErrorInfo;
}

/** Runs a job; see the module doc. */
export class JobRunner {
  /** The live job context (answers `status` queries). */
  readonly state: JobContext;
  private jobTimedOut = false;
  /** Approval decisions by stage path, kept until the stage asks. */
  private readonly decisions = new Map<string, ApprovalDecision>();
  /** Running chunk children of large foreach stages (approvals are forwarded to them). */
  private readonly chunkChildren = new Set<string>();

  constructor(
    private readonly input: JobRunInput,
    private readonly host: JobRunnerHost,
  ) {
    for (const d of input.approvals ?? []) this.decide(d);
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

  private where(stage?: StageSpec): { job: string; stage?: string; location: string } {
    return stage ? { job: this.job.id, stage: stage.id, location: stage.loc } : { job: this.job.id, location: this.job.loc };
  }

  /**
   * Records an approval decision for a stage path (relative to this job:
   * `<stage>` or `<parent>.<branch>.<stage>`); a waiting stage picks it up.
   */
  decide(decision: ApprovalDecision): void {
    this.decisions.set(decision.stage, decision);
    // Stages of a large foreach wait in chunk children: pass it on.
    for (const workflowId of this.chunkChildren) {
      void getExternalWorkflowHandle(workflowId)
        .signal(approvalSignal, decision)
        .catch((err: unknown) => log.warn(`could not forward approval to ${workflowId}`, { error: String(err) }));
    }
  }

  /** Values visible to expressions of this job's stages. */
  values(extra: Record<string, unknown> = {}, scope?: StageScope): Record<string, unknown> {
    return {
      params: this.input.params,
      env: { ...this.input.workflowEnv, ...this.job.env },
      extras: this.input.extras,
      needs: this.input.needs,
      jobs: this.input.jobs,
      matrix: this.input.matrix ?? {},
      stages: scope ? { ...scope.outer, ...scope.stages } : this.state.stages,
      workflow: { name: this.input.workflowName, run_id: this.input.runId, file: this.input.file },
      job: { id: this.job.id, ...(this.input.matrixKey ? { matrix_key: this.input.matrixKey } : {}) },
      ...(this.input.release ? { release: this.input.release } : {}),
      ...scope?.extra,
      ...extra,
    };
  }

  private ctx(extra?: Record<string, unknown>): ExpressionContext {
    return { values: this.values(extra) };
  }

  /** Runs the job to its end; resolves with the final job context. */
  async run(): Promise<JobContext> {
    const state = this.state;
    let maxRetries = 0;
    let timeoutSeconds: number | undefined;
    try {
      maxRetries = toCount(renderTemplate(String(this.job.retry.maximumRetries), this.ctx()), 'retry');
      timeoutSeconds = this.job.timeoutSeconds === undefined ? undefined : toSeconds(renderTemplate(String(this.job.timeoutSeconds), this.ctx()), 'timeout');
    } catch (err) {
      return this.fail(toErrorInfo(err, this.where()), 'its retry or timeout is invalid');
    }

    let final: { status: Status; reason?: string } = { status: Status.FAILED };
    for (let attempt = 1; ; attempt++) {
      state.attempt = attempt;
      state.stages = {};
      state.errors = [];
      delete state.reason;
      // The job stays WAIT until its last attempt ends, so dependents never
      // see a failure that a retry may still turn around.
      final = await this.runAttempt(timeoutSeconds);
      if (final.reason) state.reason = final.reason;
      if (final.status === Status.SUCCESS || final.status === Status.CANCEL || this.host.stopCause()) break;
      if (attempt > maxRetries) break;
      const delay = backoffSeconds(this.job.retry, attempt);
      log.info(`job ${this.job.id}: attempt ${attempt} ${final.status}; retrying in ${delay} s`);
      try {
        await sleep(delay * 1000, { summary: `${this.job.id}: retry the job in ${delay} s` });
      } catch (err) {
        if (isCancellation(err)) break;
        throw err;
      }
    }
    if (isFailure(final.status)) {
      state.continueOnError = this.continueOnError();
    }
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
  private async runAttempt(timeoutSeconds: number | undefined): Promise<{ status: Status; reason?: string }> {
    const state = this.state;
    this.jobTimedOut = false;
    const scope = new CancellationScope();
    const timerScope = new CancellationScope();
    const timer =
      timeoutSeconds !== undefined
        ? timerScope
            .run(() => sleep(timeoutSeconds * 1000, { summary: `${this.job.id}: job timeout` }))
            .then(
              () => {
                this.jobTimedOut = true;
                scope.cancel();
              },
              () => undefined,
            )
        : Promise.resolve();

    let failed = false;
    let stopped = false;
    try {
      const chunk = this.input.foreachChunk;
      const root: StageScope = { stages: state.stages, outer: chunk ? { ...chunk.outer } : {}, extra: chunk ? { ...chunk.extra } : {}, prefix: chunk?.prefix ?? '' };
      const outcome = await scope.run(() => this.runStageList(this.job.stages, root, true));
      failed = outcome.failed;
      stopped = outcome.stopped;
    } catch (err) {
      // Stages catch their own errors; a cancellation may still surface here.
      if (!isCancellation(err)) state.errors.push(toErrorInfo(err, this.where()));
      stopped = true;
    }
    timerScope.cancel();
    await timer;

    if (this.jobTimedOut) {
      const reason = `the job timed out after ${timeoutSeconds} s`;
      state.errors.push({ name: StageErrorName.TimeoutError, message: reason, ...this.where() });
      return { status: Status.TIMEOUT, reason };
    }
    if (stopped && this.host.stopCause()) {
      return { status: this.host.stopCause() === 'timeout' ? Status.TIMEOUT : Status.CANCEL, reason: this.stopReason('while this job was running') };
    }
    if (stopped) return { status: Status.CANCEL, reason: 'the job was cancelled' };
    return { status: failed ? Status.FAILED : Status.SUCCESS };
  }

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
    for (const stage of stages) {
      if (reusing && stage.id === from!.stage) reusing = false;
      if (reusing) {
        const kept = from!.stages[stage.id];
        scope.stages[stage.id] = kept ? { ...kept, reused: true } : { status: Status.SKIP, name: stage.name, outputs: {}, reason: 'before the rerun stage', reused: true };
        continue;
      }
      if (this.stopping()) {
        stopped = true;
        scope.stages[stage.id] = { status: Status.CANCEL, name: stage.name, outputs: {}, reason: this.stopReason('before this stage started') };
        continue;
      }
      const result = await this.runStage(stage, failed, scope);
      scope.stages[stage.id] = result;
      if (result.status === Status.CANCEL) stopped = true;
      if (isFailure(result.status)) {
        if (!this.stageContinuesOnError(stage, scope)) {
          failed = true;
          firstError ??= result.error;
          if (result.error && top) this.state.errors.push(result.error);
        }
      }
    }
    return { failed, stopped, ...(firstError ? { error: firstError } : {}) };
  }

  private stopping(): boolean {
    return this.jobTimedOut || this.host.stopCause() !== undefined || CancellationScope.current().consideredCancelled;
  }

  private stopReason(when: string): string {
    if (this.jobTimedOut) return `the job timed out ${when}`;
    return this.host.stopCause() === 'timeout' ? `the run timed out ${when}` : `the run was cancelled ${when}`;
  }

  private stageContinuesOnError(stage: StageSpec, scope: StageScope): boolean {
    if (typeof stage.continueOnError === 'boolean') return stage.continueOnError;
    try {
      return evaluateCondition(stage.continueOnError, { values: this.values({}, scope) });
    } catch {
      return false;
    }
  }

  /** Decides, renders and runs one stage, with its own retry loop. Never throws. */
  private async runStage(stage: StageSpec, jobFailed: boolean, scope: StageScope): Promise<StageContext> {
    const values = this.values({}, scope);
    const ctx: ExpressionContext = { values };
    let name = stage.name;
    const where = { ...this.where(stage), stage: scope.prefix + stage.id };
    const now = () => new Date().toISOString();
    try {
      name = masked(renderTemplate(stage.name, ctx, DEFER_SECRETS));
      // After a failure only `always()`/`failure()` stages run.
      let run: boolean;
      if (stage.if === undefined) run = !jobFailed;
      else {
        const usesStatus = conditionUsesStatusFunction(stage.if);
        const cond = evaluateCondition(stage.if, { values, status: { success: !jobFailed, failure: jobFailed, cancelled: false } });
        run = usesStatus ? cond : cond && !jobFailed;
      }
      if (!run) return { status: Status.SKIP, name, outputs: {}, reason: jobFailed ? 'an earlier stage failed' : 'its `if` is false' };
    } catch (err) {
      return { status: Status.FAILED, name, outputs: {}, error: toErrorInfo(err, where), start: now(), end: now() };
    }

    const stageState: StageContext = { status: Status.WAIT, name, outputs: {}, start: now(), attempt: 1 };
    scope.stages[stage.id] = stageState;
    try {
      const maxRetries = toCount(renderTemplate(String(stage.retry.maximumRetries), ctx), 'retry');
      for (let attempt = 1; ; attempt++) {
        stageState.attempt = attempt;
        const result = await this.attempt(stage, name, attempt, ctx, scope, stageState);
        // Leaf stages are capped at 64 KB; nested stages hold capped leaves.
        stageState.outputs = NESTED_KINDS.has(stage.kind) ? result.outputs : capStageOutputs(result.outputs);
        if (result.logs) stageState.logs = result.logs;
        if (result.ok) {
          stageState.status = Status.SUCCESS;
          delete stageState.error;
          break;
        }
        stageState.error = { ...(result.error ?? { name: StageErrorName.StageError, message: 'the stage failed' }), stage: where.stage };
        const retryable = !result.nonRetryable && !stage.retry.nonRetryableErrors.includes(stageState.error.name);
        if (attempt > maxRetries || !retryable) {
          stageState.status = Status.FAILED;
          break;
        }
        const delay = backoffSeconds(stage.retry, attempt);
        log.info(`stage ${this.job.id}.${stage.id}: attempt ${attempt} failed; retrying in ${delay} s`, { error: stageState.error.message });
        await sleep(delay * 1000, { summary: `${this.job.id} / ${name}: retry in ${delay} s` });
      }
    } catch (err) {
      if (isCancellation(err) || this.stopping()) {
        stageState.status = Status.CANCEL;
        stageState.reason = this.stopReason('while this stage was running');
      } else {
        stageState.status = Status.FAILED;
        stageState.error = toErrorInfo(err, where);
      }
    }
    stageState.end = now();
    return stageState;
  }

  /** One attempt of a stage's action. Returns the stage's own failures; throws cancellation. */
  private async attempt(stage: StageSpec, name: string, attempt: number, ctx: ExpressionContext, scope: StageScope, live: StageContext): Promise<StageAttemptResult> {
    const address = {
      runId: this.input.runId,
      workflowName: this.input.workflowName,
      jobId: this.job.id,
      stageId: scope.prefix + stage.id,
      stageName: name,
      location: stage.loc,
      attempt,
      secretNames: this.authoredSecrets(stage),
    };
    const timeoutSeconds = stage.timeoutSeconds === undefined ? undefined : toSeconds(renderTemplate(String(stage.timeoutSeconds), ctx), 'timeout');
    const env = (): Record<string, string> => renderEnv({ ...this.input.workflowEnv, ...this.job.env, ...stage.env }, ctx);
    const matrix = this.input.matrix ? { matrix: this.input.matrix } : {};
    switch (stage.kind) {
      case 'echo': {
        const message = masked(renderTemplate(stage.echo, ctx, DEFER_SECRETS));
        log.info(`[${this.input.workflowName}] [${this.job.id}] [${stage.id}] ${message}`);
        if (stage.sleepSeconds !== undefined) {
          const seconds = toSeconds(renderTemplate(String(stage.sleepSeconds), ctx), 'sleep');
          if (seconds > 0) await sleep(seconds * 1000, { summary: `${this.job.id} / ${name}: sleep ${seconds} s` });
        }
        return { ok: true, outputs: {} };
      }
      case 'raise': {
        const message = masked(renderTemplate(stage.raise, ctx, DEFER_SECRETS));
        return { ok: false, outputs: {}, error: { name: StageErrorName.RaiseError, message, ...this.where(stage) } };
      }
      case 'bash':
        return activities.bashStage.executeWithOptions(this.activityOptions(name, timeoutSeconds), [
          {
            ...address,
            script: display(renderTemplate(stage.bash, ctx, DEFER_SECRETS)),
            env: env(),
            ...(stage.cwd ? { cwd: stage.cwd } : {}),
            params: this.input.params,
            ...matrix,
            ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
          },
        ]);
      case 'run':
        return activities.pythonStage.executeWithOptions(this.activityOptions(name, timeoutSeconds), [
          {
            ...address,
            code: display(renderTemplate(stage.run, ctx, DEFER_SECRETS)),
            codeLine: stage.codeLine,
            file: this.input.file,
            env: env(),
            params: this.input.params,
            ...matrix,
            vars: renderDeep(stage.vars, ctx, DEFER_SECRETS) as Record<string, unknown>,
            context: {
              attempt,
              run_id: this.input.runId,
              workflow: this.input.workflowName,
              job: this.job.id,
              stage: stage.id,
              stages: this.state.stages,
              needs: this.input.needs,
            },
            ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
          },
        ]);
      case 'uses':
        return activities.usesStage.executeWithOptions(this.activityOptions(name, timeoutSeconds), [
          {
            ...address,
            uses: display(renderTemplate(stage.uses, ctx)),
            with: renderDeep(stage.with, ctx, DEFER_SECRETS) as Record<string, unknown>,
            env: env(),
            params: this.input.params,
            ...matrix,
            ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
          },
        ]);
      case 'trigger':
        return this.trigger(stage, name, ctx, scope);
      case 'parallel':
        return this.runParallel(stage, ctx, scope, live);
      case 'foreach':
        return this.runForeach(stage, ctx, scope, live);
      case 'until':
        return this.runUntil(stage, ctx, scope, live);
      case 'case':
        return this.runCase(stage, ctx, scope, live);
      case 'approval':
        return this.runApproval(stage, ctx, scope, live, timeoutSeconds);
      default: {
        // A spec written by a newer client than this worker.
        const unknown = stage as { kind: string; id: string; loc: string };
        return {
          ok: false,
          nonRetryable: true,
          outputs: {},
          error: { name: StageErrorName.UnsupportedStageError, message: `'${unknown.kind}' stages are not supported by this worker version; upgrade the workers`, job: this.job.id, stage: unknown.id, location: unknown.loc },
        };
      }
    }
  }

  /** Names of the secrets a stage's YAML itself references (script/code, vars, with, env). */
  private authoredSecrets(stage: StageSpec): string[] {
    const texts: string[] = [...Object.values(this.input.workflowEnv), ...Object.values(this.job.env), ...Object.values(stage.env)];
    const collect = (value: unknown): void => {
      if (typeof value === 'string') texts.push(value);
      else if (Array.isArray(value)) value.forEach(collect);
      else if (value && typeof value === 'object') Object.values(value).forEach(collect);
    };
    if (stage.kind === 'bash') texts.push(stage.bash);
    if (stage.kind === 'run') {
      texts.push(stage.run);
      collect(stage.vars);
    }
    if (stage.kind === 'uses') collect(stage.with);
    return [...new Set(texts.flatMap(secretNamesIn))];
  }

  /** `trigger:` starts another conf workflow as a child run; its status becomes the stage's. */
  private async trigger(stage: Extract<StageSpec, { kind: 'trigger' }>, name: string, ctx: ExpressionContext, scope: StageScope): Promise<StageAttemptResult> {
    const target = display(renderTemplate(stage.trigger, ctx));
    const chain = [...this.input.triggerChain, this.input.workflowName];
    if (chain.includes(target)) {
      return {
        ok: false,
        nonRetryable: true,
        outputs: {},
        error: { name: StageErrorName.TriggerCycleError, message: `trigger cycle refused: ${[...chain, target].join(' → ')}`, ...this.where(stage) },
      };
    }
    const params = renderDeep(stage.params, ctx) as Record<string, unknown>;
    const prepared = await activities.prepareTriggeredRun.executeWithOptions(
      { startToCloseTimeout: '1 minute', summary: `${this.job.id} / ${name}: load ${target}`.slice(0, 200), taskQueue: this.input.activity?.taskQueue, retry: { maximumAttempts: 5 } },
      [{ name: target, params, ...(this.input.confPath ? { confPath: this.input.confPath } : {}) }],
    );
    if (!prepared.ok) {
      return { ok: false, nonRetryable: true, outputs: {}, error: { ...prepared.error, ...this.where(stage) } };
    }
    const childId = `${this.input.runId}.${this.job.id}${this.input.matrixKey ? `.${this.input.matrixKey}` : ''}.${scope.prefix}${stage.id}`;
    const childInput: RunInput = {
      spec: prepared.spec,
      params: prepared.params,
      runId: childId,
      parentRunId: this.input.runId,
      timeoutSeconds: Math.max(1, Math.floor((this.input.deadlineMs - Date.now()) / 1000)),
      deadlineMs: prepared.spec.timeoutSeconds !== undefined ? Math.min(this.input.deadlineMs, Date.now() + prepared.spec.timeoutSeconds * 1000) : this.input.deadlineMs,
      maxJobParallel: 2,
      extras: this.input.extras,
      ...(this.input.activity ? { activity: this.input.activity } : {}),
      triggerChain: chain,
      ...(this.input.confPath ? { confPath: this.input.confPath } : {}),
    };
    try {
      const outcome = await executeChild<(input: RunInput) => Promise<RunOutcome>>(RUN_WORKFLOW_TYPE, {
        workflowId: childId,
        args: [childInput],
        ...(this.input.activity?.taskQueue ? { taskQueue: this.input.activity.taskQueue } : {}),
        staticSummary: `tempoflow: ${target} (triggered by ${this.input.workflowName} / ${this.job.id} / ${name})`.slice(0, 200),
      });
      return { ok: outcome.status === Status.SUCCESS || outcome.status === Status.SKIP, outputs: triggerOutputs(outcome.status, childId, outcome.context) };
    } catch (err) {
      if (err instanceof ChildWorkflowFailure && !isCancellation(err.cause)) {
        const cause = err.cause;
        const context = cause instanceof ApplicationFailure ? (cause.details?.[0] as RunContext | undefined) : undefined;
        const status = cause instanceof ApplicationFailure && cause.type === RunFailureType.TIMEOUT ? Status.TIMEOUT : Status.FAILED;
        return {
          ok: false,
          nonRetryable: false,
          outputs: triggerOutputs(status, childId, context),
          error: { name: StageErrorName.TriggeredRunFailed, message: `triggered run ${childId} of '${target}' ended ${status}: ${cause?.message ?? err.message}`, ...this.where(stage) },
        };
      }
      throw err;
    }
  }

  /** Runs a nested list of stages as one unit; its contexts go live into `into`. */
  private async runNested(stages: readonly StageSpec[], parent: StageScope, parentStage: StageSpec, key: string, extra: Record<string, unknown>, into: Record<string, unknown>): Promise<{ status: Status; error?: ErrorInfo }> {
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

  /**
   * Runs `count` nested units with at most `limit` at once, each in its own
   * cancellation scope. With `stopOnFailure`, the first failure cancels the
   * running units and starts no more.
   */
  private async pool(count: number, limit: number, unit: (i: number) => Promise<Status>, stopOnFailure: boolean): Promise<{ failedAt?: number }> {
    const running = new Map<number, Promise<void>>();
    const scopes = new Map<number, CancellationScope>();
    let next = 0;
    let failedAt: number | undefined;
    while (next < count || running.size > 0) {
      while ((failedAt === undefined || !stopOnFailure) && !this.stopping() && running.size < limit && next < count) {
        const i = next++;
        const scope = new CancellationScope();
        scopes.set(i, scope);
        running.set(
          i,
          scope
            .run(() => unit(i))
            .then((status) => {
              if (isFailure(status) && failedAt === undefined) {
                failedAt = i;
                if (stopOnFailure) for (const [j, s] of scopes) if (j !== i) s.cancel();
              }
            })
            .finally(() => {
              running.delete(i);
              scopes.delete(i);
            }),
        );
      }
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
    if (this.stopping()) throw new CancelledFailure('the run is stopping');
    return failedAt === undefined ? {} : { failedAt };
  }

  /** `parallel:` runs every branch (at most `max-workers` at once); a failed branch fails the stage. */
  private async runParallel(stage: Extract<StageSpec, { kind: 'parallel' }>, ctx: ExpressionContext, scope: StageScope, live: StageContext): Promise<StageAttemptResult> {
    const branches: Record<string, unknown> = {};
    const outputs = { parallel: branches };
    live.outputs = outputs;
    const limit = stage.maxWorkers === undefined ? stage.branches.length : Math.max(1, toCount(renderTemplate(String(stage.maxWorkers), ctx), 'max-workers'));
    const results: { status: Status; error?: ErrorInfo }[] = [];
    await this.pool(
      stage.branches.length,
      limit,
      async (i) => {
        const branch = stage.branches[i]!;
        const r = await this.runNested(branch.stages, scope, stage, branch.name, { branch: branch.name }, branches);
        results[i] = r;
        return r.status;
      },
      false,
    );
    const failed = stage.branches.map((b, i) => ({ b, r: results[i] })).filter(({ r }) => r && isFailure(r.status));
    if (failed.length === 0) return { ok: true, outputs };
    const first = failed[0]!;
    return { ok: false, outputs, error: { name: StageErrorName.BranchFailed, message: `branch${failed.length > 1 ? 'es' : ''} ${failed.map(({ b }) => b.name).join(', ')} failed: ${first.r?.error?.message ?? 'a stage failed'}`, ...this.where(stage) } };
  }

  /** `foreach:` runs the nested stages once per item (`concurrent` at once); the first failure stops the rest. */
  private async runForeach(stage: Extract<StageSpec, { kind: 'foreach' }>, ctx: ExpressionContext, scope: StageScope, live: StageContext): Promise<StageAttemptResult> {
    const chunk = this.input.foreachChunk && scope.prefix === this.input.foreachChunk.prefix && scope.stages === this.state.stages ? this.input.foreachChunk : undefined;
    let items: readonly unknown[];
    let keys: readonly string[];
    let loops: readonly number[];
    let limit: number;
    if (chunk) {
      ({ items, keys, loops } = chunk);
      limit = chunk.concurrent;
    } else {
      const raw = typeof stage.foreach === 'string' ? renderTemplate(stage.foreach, ctx) : renderDeep(stage.foreach, ctx);
      const list = typeof raw === 'string' && raw.trim().startsWith('[') ? (JSON.parse(raw) as unknown) : raw;
      if (!Array.isArray(list)) {
        throw new TypeError(`'foreach' must be a list (or a \${{ }} that yields one), got ${JSON.stringify(raw)?.slice(0, 200)}`);
      }
      items = list;
      keys = itemKeys(list);
      loops = list.map((_, i) => i + 1);
      limit = stage.concurrent === undefined ? 1 : Math.max(1, toCount(renderTemplate(String(stage.concurrent), ctx), 'concurrent'));
    }
    const perItem: Record<string, unknown> = {};
    const outputs = { items, foreach: perItem };
    live.outputs = outputs;
    const chunkSize = Math.max(1, this.input.limits?.foreachChunkSize ?? DEFAULT_FOREACH_CHUNK_SIZE);
    if (!chunk && items.length > chunkSize) return this.runForeachChunks(stage, scope, items, keys, limit, chunkSize, outputs);
    const { failedAt } = await this.pool(
      items.length,
      limit,
      async (i) => (await this.runNested(stage.stages, scope, stage, keys[i]!, { item: items[i], loop: loops[i]! }, perItem)).status,
      true,
    );
    for (const key of keys) if (!(key in perItem)) perItem[key] = { status: Status.CANCEL, reason: 'not started: an earlier item failed' };
    if (failedAt === undefined) return { ok: true, outputs };
    const failed = perItem[keys[failedAt]!] as { error?: ErrorInfo };
    return { ok: false, outputs, error: { name: StageErrorName.ItemFailed, message: `item ${keys[failedAt]} failed: ${failed.error?.message ?? 'a stage failed'}`, ...this.where(stage) } };
  }

  /**
   * A large `foreach`: chunks of items run as `tempoflowJob` children (the
   * job reduced to this stage), so this history holds one child per chunk.
   * Chunks run one after another unless `concurrent` exceeds a chunk; the
   * first failed chunk stops the rest.
   */
  private async runForeachChunks(
    stage: Extract<StageSpec, { kind: 'foreach' }>,
    scope: StageScope,
    items: readonly unknown[],
    keys: readonly string[],
    concurrent: number,
    chunkSize: number,
    outputs: { items: readonly unknown[]; foreach: Record<string, unknown> },
  ): Promise<StageAttemptResult> {
    const perItem = outputs.foreach;
    const count = Math.ceil(items.length / chunkSize);
    const parallelChunks = Math.max(1, Math.ceil(concurrent / chunkSize));
    const perChunk = Math.min(concurrent, chunkSize);
    const job = {
      ...this.job,
      stages: [{ ...stage, retry: { ...stage.retry, maximumRetries: 0 }, continueOnError: false }],
      retry: { ...this.job.retry, maximumRetries: 0 },
      continueOnError: false,
    };
    delete (job as { if?: string }).if;
    delete (job.stages[0] as { if?: string }).if;
    delete (job as { outputs?: unknown }).outputs;
    delete (job as { timeoutSeconds?: unknown }).timeoutSeconds;
    delete (job as { strategy?: unknown }).strategy;
    const errors: ErrorInfo[] = [];
    const { failedAt } = await this.pool(
      count,
      parallelChunks,
      async (c) => {
        const from = c * chunkSize;
        const to = Math.min(items.length, from + chunkSize);
        const chunkInput: JobRunInput = {
          ...this.input,
          job,
          foreachChunk: {
            outer: { ...scope.outer, ...scope.stages },
            extra: scope.extra,
            prefix: scope.prefix,
            items: items.slice(from, to),
            keys: keys.slice(from, to),
            loops: items.slice(from, to).map((_, i) => from + i + 1),
            concurrent: perChunk,
          },
        };
        delete (chunkInput as { fromStage?: unknown }).fromStage;
        const childId = `${this.input.runId}.${this.job.id}${this.input.matrixKey ? `.${this.input.matrixKey}` : ''}.${scope.prefix}${stage.id}.chunk-${c + 1}`;
        (chunkInput as { approvals?: ApprovalDecision[] }).approvals = [...this.decisions.values()];
        let state: JobContext | undefined;
        this.chunkChildren.add(childId);
        try {
          state = await executeChild<(input: JobRunInput) => Promise<JobContext>>(JOB_WORKFLOW_TYPE, {
            workflowId: childId,
            args: [chunkInput],
            ...(this.input.activity?.taskQueue ? { taskQueue: this.input.activity.taskQueue } : {}),
            cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
            staticSummary: `${this.input.workflowName} / ${this.job.id} / ${stage.id}: items ${from + 1}-${to} of ${items.length}`.slice(0, 200),
          });
        } catch (err) {
          if (err instanceof ChildWorkflowFailure && err.cause instanceof ApplicationFailure) state = err.cause.details?.[0] as JobContext | undefined;
          if (!state) throw err;
        } finally {
          this.chunkChildren.delete(childId);
        }
        const result = state.stages[stage.id];
        const chunkItems = (result?.outputs as { foreach?: Record<string, unknown> } | undefined)?.foreach ?? {};
        Object.assign(perItem, chunkItems);
        if (result?.error) errors.push(result.error);
        return result?.status === Status.SUCCESS ? Status.SUCCESS : Status.FAILED;
      },
      true,
    );
    for (const key of keys) if (!(key in perItem)) perItem[key] = { status: Status.CANCEL, reason: 'not started: an earlier item failed' };
    if (failedAt === undefined) return { ok: true, outputs };
    return { ok: false, outputs, error: { name: StageErrorName.ItemFailed, message: errors[0]?.message ?? `chunk ${failedAt + 1} failed`, ...this.where(stage) } };
  }

  /**
   * `until:` runs the nested stages, then evaluates the condition with the
   * new `item` and `loop`, until it holds or `max-loop` is reached. A stage
   * output named `item` becomes the next item; without one a numeric item
   * counts up by one.
   */
  private async runUntil(stage: Extract<StageSpec, { kind: 'until' }>, ctx: ExpressionContext, scope: StageScope, live: StageContext): Promise<StageAttemptResult> {
    const maxLoop = stage.maxLoop === undefined ? DEFAULT_MAX_LOOP : Math.max(1, toCount(renderTemplate(String(stage.maxLoop), ctx), 'max-loop'));
    let item: unknown = stage.item === undefined ? 0 : renderDeep(stage.item, ctx);
    const loops: Record<string, unknown> = {};
    const outputs: Record<string, unknown> = { until: loops, loop: 0, item };
    live.outputs = outputs;
    for (let loop = 1; loop <= maxLoop; loop++) {
      const r = await this.runNested(stage.stages, scope, stage, String(loop), { item, loop }, loops);
      outputs.loop = loop;
      if (r.status === Status.CANCEL) throw new CancelledFailure('the run is stopping');
      if (r.status !== Status.SUCCESS) {
        return { ok: false, outputs, error: { name: StageErrorName.LoopFailed, message: `loop ${loop} failed: ${r.error?.message ?? 'a stage failed'}`, ...this.where(stage) } };
      }
      const stages = (loops[String(loop)] as { stages: Record<string, StageContext> }).stages;
      let produced = false;
      for (const st of Object.values(stages)) {
        if (st.status === Status.SUCCESS && Object.prototype.hasOwnProperty.call(st.outputs, 'item')) {
          item = st.outputs['item'];
          produced = true;
        }
      }
      if (!produced && typeof item === 'number') item = item + 1;
      outputs.item = item;
      const done = evaluateCondition(stage.until, { values: this.values({ item, loop, stages }, scope) });
      if (done) return { ok: true, outputs };
    }
    return { ok: false, outputs, error: { name: StageErrorName.LoopLimitError, message: `'until' did not hold after ${maxLoop} loops (max-loop); raise max-loop or fix the condition`, ...this.where(stage) } };
  }

  /** `case:` runs the first branch whose `case` equals the value, else the `else` branch. */
  private async runCase(stage: Extract<StageSpec, { kind: 'case' }>, ctx: ExpressionContext, scope: StageScope, live: StageContext): Promise<StageAttemptResult> {
    const value = renderTemplate(stage.case, ctx);
    let chosen: (typeof stage.match)[number] | undefined;
    for (const m of stage.match) {
      if (m.else) continue;
      const candidate = typeof m.case === 'string' ? renderTemplate(m.case, ctx) : m.case;
      if (candidate === value || looseEquals(candidate, value) || display(candidate) === display(value)) {
        chosen = m;
        break;
      }
    }
    chosen ??= stage.match.find((m) => m.else);
    const branches: Record<string, unknown> = {};
    const outputs: Record<string, unknown> = { case: value, matched: chosen ? (chosen.else ? 'else' : display(chosen.case)) : null, branches };
    live.outputs = outputs;
    if (!chosen) {
      if (stage.skipNotMatch) return { ok: true, outputs: { ...outputs, skipped: true } };
      return { ok: false, nonRetryable: true, outputs, error: { name: StageErrorName.CaseNotMatched, message: `no branch matches ${JSON.stringify(value)} and there is no else; add one, or set skip-not-match: true`, ...this.where(stage) } };
    }
    const key = chosen.else ? 'else' : display(chosen.case);
    const r = await this.runNested(chosen.stages, scope, stage, key, { case: value }, branches);
    if (r.status === Status.CANCEL) throw new CancelledFailure('the run is stopping');
    if (r.status === Status.SUCCESS) return { ok: true, outputs };
    return { ok: false, outputs, error: { name: StageErrorName.BranchFailed, message: `case ${key} failed: ${r.error?.message ?? 'a stage failed'}`, ...this.where(stage) } };
  }

  /** `approval:` waits for an approve/reject decision (or the stage timeout). */
  private async runApproval(stage: Extract<StageSpec, { kind: 'approval' }>, ctx: ExpressionContext, scope: StageScope, live: StageContext, timeoutSeconds: number | undefined): Promise<StageAttemptResult> {
    const path = scope.prefix + stage.id;
    const message = masked(renderTemplate(stage.approval, ctx, DEFER_SECRETS));
    const since = new Date().toISOString();
    live.outputs = { approval: { message, approvers: stage.approvers, waiting: true, since, ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}) } };
    log.info(`[${this.input.workflowName}] [${this.job.id}] [${path}] waiting for approval: ${message}`);
    const asked = () => this.decisions.has(path);
    // `condition(fn, undefined)` would not wait: call the one-argument form without a timeout.
    const decided = timeoutSeconds !== undefined ? await condition(asked, timeoutSeconds * 1000) : (await condition(asked), true);
    if (!decided) {
      return {
        ok: false,
        nonRetryable: true,
        outputs: { approval: { message, approvers: stage.approvers, waiting: false, since } },
        error: { name: StageErrorName.ApprovalTimeout, message: `no decision within ${timeoutSeconds} s`, ...this.where(stage) },
      };
    }
    const decision = this.decisions.get(path)!;
    this.decisions.delete(path);
    const record = { message, approvers: stage.approvers, waiting: false, since, decidedAt: new Date().toISOString(), approved: decision.approved, ...(decision.by ? { by: decision.by } : {}), ...(decision.reason ? { reason: decision.reason } : {}) };
    if (decision.approved) return { ok: true, outputs: { approval: record } };
    return {
      ok: false,
      nonRetryable: true,
      outputs: { approval: record },
      error: { name: StageErrorName.ApprovalRejected, message: `rejected${decision.by ? ` by ${decision.by}` : ''}${decision.reason ? `: ${decision.reason}` : ''}`, ...this.where(stage) },
    };
  }

  private activityOptions(stageName: string, timeoutSeconds: number | undefined): ActivityOptions {
    const remainingMs = Math.max(1000, this.input.deadlineMs - Date.now());
    // The stage's own timeout is enforced inside the activity (so it is a
    // stage failure, retried per `retry:`); start-to-close is only a backstop.
    const startToCloseMs = timeoutSeconds !== undefined ? Math.min(timeoutSeconds * 1000 + 60_000, remainingMs + 60_000) : remainingMs + 60_000;
    const label = `${this.job.id}${this.input.matrixKey ? ` [${this.input.matrixKey}]` : ''} / ${stageName}`;
    return {
      startToCloseTimeout: startToCloseMs,
      heartbeatTimeout: this.input.activity?.heartbeatTimeoutMs ?? 10_000,
      ...(this.input.activity?.taskQueue ? { taskQueue: this.input.activity.taskQueue } : {}),
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      summary: label.slice(0, 200),
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
}

/** Keys of `foreach` items: the item itself for unique scalars, else its 0-based index. */
function itemKeys(items: readonly unknown[]): string[] {
  const scalar = items.map((i) => (i === null || ['string', 'number', 'boolean'].includes(typeof i) ? String(i) : undefined));
  const unique = scalar.every((k) => k !== undefined && /^[^.\s]{1,100}$/.test(k)) && new Set(scalar).size === scalar.length;
  return unique ? (scalar as string[]) : items.map((_, i) => String(i));
}

/** The outputs of a `trigger` stage: the child run's id, status and per-job outputs. */
function triggerOutputs(status: Status, runId: string, context: RunContext | undefined): Record<string, unknown> {
  const jobs: Record<string, unknown> = {};
  for (const [id, job] of Object.entries(context?.jobs ?? {})) jobs[id] = { status: job.status, outputs: job.outputs };
  return { run_id: runId, status, jobs };
}

/** Seconds before retry number `attempt` (1-based): exponential, capped. */
export function backoffSeconds(retry: RetrySpec, attempt: number): number {
  return Math.min(retry.initialIntervalSeconds * retry.backoffCoefficient ** (attempt - 1), retry.maximumIntervalSeconds);
}

/**
 * Display text of a field that workflow code renders itself (names, `echo`,
 * `raise`, `approval`): secrets are never rendered here, so their templates
 * show as `***` instead of as template text.
 */
function masked(value: unknown): string {
  return maskSecretTemplates(display(value));
}

/** A rendered value as display text. */
export function display(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Any thrown value as an `ErrorInfo`. */
export function toErrorInfo(err: unknown, where: { job?: string; stage?: string; location?: string }): ErrorInfo {
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
  for (const [k, v] of Object.entries(env)) out[k] = display(renderTemplate(v, ctx, DEFER_SECRETS));
  return out;
}

/** A rendered whole number from 0 to 1000, or a thrown TypeError naming the field. */
export function toCount(value: unknown, field: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 1000) {
    throw new TypeError(`'${field}' must be a whole number from 0 to 1000, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** A rendered non-negative number of seconds, or a thrown TypeError naming the field. */
export function toSeconds(value: unknown, field: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
    throw new TypeError(`'${field}' must be a number of seconds, got ${JSON.stringify(value)}`);
  }
  return n;
}
