/**
 * The interpreter: walks a workflow's job DAG deterministically. Plain jobs
 * run inline (their stages as activities labelled `job / stage`); a small
 * matrix runs its combinations inline too, a larger one fans out into one
 * `tempoflowJob` child workflow per combination (`matrix-job.ts`).
 *
 * Invariants:
 * - Deterministic: no I/O, no clocks or randomness but the SDK's.
 * - Any error thrown while interpreting (a bad expression, an engine bug)
 *   becomes a FAILED stage or job, never a workflow task that retries forever.
 * - A stage's own failures are retried here, on durable timers; Temporal
 *   retries only infrastructure failures of its activity.
 */
import { allHandlersFinished, CancellationScope, CancelledFailure, condition, continueAsNew, isCancellation, log, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { mergeRunOutputs, type JobContext, type RunContext, type RunOutcome } from '../engine/context.js';
import { analyzeDag } from '../engine/dag.js';
import { decideJob } from '../engine/decision.js';
import { capContext, FAILURE_DETAILS_CAP_BYTES } from '../engine/caps.js';
import type { JobSpec } from '../engine/spec.js';
import { runEndStatus, Status } from '../engine/status.js';
import { endingFailure } from './child-outcome.js';
import type { ConcurrencySpec } from '../engine/spec.js';
import { DEFAULT_PROJECT, GroupSlots, renderGroupKey, type GroupSlot } from './concurrency.js';
import { approvalSignal, cancelSignal, RunFailureType, statusQuery, type ApprovalDecision, type JobRunInput, type RunInput } from './definitions.js';
import type { JobGroupEnv } from './job-group.js';
import { jobPath, promiseOf, whenJobEnds } from './fewer-hops.js';
import { failedJob, JobRunner } from './job-runner.js';
import { runMatrixJob } from './matrix-job.js';
import { failureMessage, toErrorInfo } from '../engine/render.js';
import { routeApproval } from './approvals.js';
import { RunValues } from './run-values.js';
import { StopCause, StopMoment, StopState } from './stop-state.js';
import { WaitingDetails } from './waiting-details.js';

const requestCancellation = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '5s', maximumAttempts: 10 },
});

/** Default history length at which a run continues as new at its next drain point. */
export const DEFAULT_MAX_HISTORY_EVENTS = 8000;

/** One run of the interpreter. */
export class Interpreter {
  private readonly context: RunContext;
  private readonly deadlineMs: number;
  private readonly workScope = new CancellationScope();
  private readonly rootScope = CancellationScope.current();
  /** Why the run stops early: its timeout, a cancel signal, or a cancellation of the execution. */
  private readonly stop = StopState.ofWorkflow(this.rootScope);
  /** What the run waits for, as its current details. */
  private readonly waiting = new WaitingDetails();
  /** Runners of inline jobs that are running or done, for approvals. */
  private readonly runners = new Map<string, JobRunner>();
  /** Approval decisions per job id, kept for jobs and combinations that start later. */
  private readonly approvals = new Map<string, ApprovalDecision[]>();
  /** `needs.*` and `jobs.*` of the jobs decided so far. */
  private readonly values: RunValues;
  /** Concurrency slots of the run and its inline jobs (only when the workflow uses `concurrency:`). */
  private readonly slots: GroupSlots | undefined;
  /** The group key the run holds, once it holds it. */
  private runGroup: string | undefined;
  /** The run's slot (it is carried across continue-as-new). */
  private runSlot: GroupSlot | undefined;
  /** Started jobs that wait for their concurrency group: they do not take one of the run's job slots. */
  private readonly waitingForGroup = new Set<string>();
  /** Whether a job slot of the run is free (set by the walk). */
  private jobSlotFree: () => boolean = () => true;

  constructor(private readonly input: RunInput) {
    const now = Date.now();
    this.deadlineMs = input.deadlineMs ?? now + input.timeoutSeconds * 1000;
    this.context = input.carried
      ? { ...input.carried.context, status: Status.WAIT, errors: [] }
      : {
          params: input.params,
          jobs: {},
          status: Status.WAIT,
          start: new Date(now).toISOString(),
          errors: [],
        };
    for (const [job, decisions] of Object.entries(input.carried?.approvals ?? {})) this.approvals.set(job, [...decisions]);
    this.values = new RunValues(input, this.context);
    // Only a workflow with `concurrency:` handles the group's signals (others run exactly as before).
    this.slots = input.spec.concurrency || input.spec.jobs.some((j) => j.concurrency && !j.strategy) ? new GroupSlots(this.waiting) : undefined;
  }

  /** True when the history is long enough that the run should continue as new at its next drain point. */
  private historyIsLong(): boolean {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength >= (this.input.limits?.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS);
  }

  /** Runs to the end; returns for SUCCESS/SKIP, throws the Temporal failure otherwise. */
  async execute(): Promise<RunOutcome> {
    setHandler(statusQuery, () => capContext(this.context));
    setHandler(cancelSignal, (reason?: string) => this.cancelFromSignal(reason));
    setHandler(approvalSignal, (decision: ApprovalDecision) => routeApproval(decision, { jobs: this.input.spec.jobs, kept: this.approvals, runners: this.runners, contexts: this.context.jobs }));

    const timeoutScope = new CancellationScope();
    const timer = timeoutScope
      .run(() => sleep(Math.max(1, this.deadlineMs - Date.now()), { summary: 'run timeout' }))
      .then(
        () => {
          this.stop.stop(StopCause.TIMEOUT);
          this.workScope.cancel();
        },
        () => undefined,
      );

    let drained = false;
    try {
      drained = await this.workScope.run(() => (this.input.spec.concurrency ? this.walkInGroup(this.input.spec.concurrency) : this.walk()));
    } catch (err) {
      // walk() handles its own errors; this is a last line of defence.
      if (!isCancellation(err)) this.context.errors.push(toErrorInfo(err, {}));
    }
    timeoutScope.cancel();
    await timer;

    if (drained && !this.stop.cause) {
      // A drain point: nothing is running. Hand the rest to a fresh history,
      // with the absolute deadline and a compact state (ARCHITECTURE.md, "Scale").
      await condition(allHandlersFinished);
      const carried = {
        context: capContext(this.context),
        approvals: Object.fromEntries(this.approvals),
        continuedRuns: (this.input.carried?.continuedRuns ?? 0) + 1,
        ...(this.runSlot ? { concurrency: this.runSlot.context } : {}),
      };
      log.info(`run ${this.input.runId}: continuing as new after ${workflowInfo().historyLength} events (${Object.keys(this.context.jobs).length} jobs done)`);
      await continueAsNew<(input: RunInput) => Promise<RunOutcome>>({ ...this.input, deadlineMs: this.deadlineMs, carried });
    }

    if (this.stop.cause === StopCause.CANCEL && !this.rootScope.consideredCancelled) {
      // Cancelled by signal: wait for our own cancel request to land, so the
      // execution ends Cancelled (not Failed).
      await Promise.race([this.rootScope.cancelRequested, sleep(10_000)]).catch(() => undefined);
    }
    return this.finish();
  }

  private cancelFromSignal(reason?: string): void {
    if (this.stop.cause) return;
    this.stop.stop(StopCause.CANCEL);
    log.info('cancel signal received', { reason });
    this.workScope.cancel();
    // Ask Temporal to cancel this execution too, so it ends Cancelled just
    // like a `temporal workflow cancel` (a workflow may not cancel itself, so
    // a short activity asks through the client API).
    const info = workflowInfo();
    void CancellationScope.nonCancellable(() => requestCancellation.requestRunCancellation({ workflowId: info.workflowId, runId: info.runId, ...(reason ? { reason } : {}) })).catch((err: unknown) =>
      log.warn('self-cancel request failed', { error: String(err) }),
    );
  }

  /**
   * A run-level group: hold a slot, walk, release (on every ending but
   * continue-as-new, which carries the slot). When the queue is full the run
   * skips or fails; when it is stopped while waiting, its jobs record that
   * they never started (docs/semantics.md, "Concurrency groups").
   */
  private async walkInGroup(spec: ConcurrencySpec): Promise<boolean> {
    const owner = {
      project: this.input.project ?? DEFAULT_PROJECT,
      runId: this.input.runId,
      workflowName: this.input.spec.name,
      ...(this.input.limits ? { limits: this.input.limits } : {}),
      onSuperseded: (reason: string) => this.cancelFromSignal(reason),
    };
    const held = this.input.carried?.concurrency;
    let slot: GroupSlot;
    if (held) slot = this.slots!.resume(spec, held, owner);
    else {
      let key: string;
      try {
        key = renderGroupKey(spec, {
          values: { params: this.input.params, extras: this.input.extras, workflow: this.workflowValues(), ...(this.input.release ? { release: this.input.release } : {}) },
        });
      } catch (err) {
        this.context.errors.push(toErrorInfo(err, { location: spec.loc }));
        return false;
      }
      slot = this.slots!.create(spec, key, owner);
      this.context.concurrency = slot.context;
      let outcome;
      try {
        outcome = await slot.acquire();
      } catch (err) {
        if (!isCancellation(err)) throw err;
        return this.walk(); // stopped while waiting: every job records that it never started
      }
      if (!outcome.held) {
        if ('superseded' in outcome) {
          this.cancelFromSignal(outcome.superseded);
          return this.walk();
        }
        if (!outcome.refused.skip) {
          this.context.errors.push(outcome.refused.error);
          return false;
        }
        for (const job of this.input.spec.jobs) {
          if (this.input.onlyJobs && !this.input.onlyJobs.includes(job.id)) continue;
          this.context.jobs[job.id] ??= { status: Status.SKIP, reason: outcome.refused.error.message, outputs: {}, stages: {}, errors: [] };
        }
        return false;
      }
    }
    this.runSlot = slot;
    this.context.concurrency = slot.context;
    this.runGroup = slot.context.group;
    let drained = false;
    try {
      drained = await this.walk();
      return drained;
    } finally {
      if (!drained) await slot.release();
    }
  }

  /** The `workflow.*` namespace. */
  private workflowValues(): Record<string, unknown> {
    return { name: this.input.spec.name, run_id: this.input.runId, file: this.input.spec.file };
  }

  /**
   * Decides and runs jobs as their needs finish, at most `maxJobParallel` at
   * once. Returns true when it stopped at a drain point to continue as new
   * (jobs remain, nothing is running, the history is long).
   */
  private async walk(): Promise<boolean> {
    const only = this.input.onlyJobs ? new Set(this.input.onlyJobs) : undefined;
    const reuse = this.input.reuse;
    // A rerun keeps the jobs it does not need to run again, outputs and all.
    for (const [id, kept] of Object.entries(reuse?.jobs ?? {})) {
      if (!this.input.spec.jobs.some((j) => j.id === id)) continue;
      this.context.jobs[id] = { ...kept, reusedFrom: reuse!.fromRunId };
    }
    const pending: JobSpec[] = this.input.spec.jobs.filter((j) => (!only || only.has(j.id)) && !this.context.jobs[j.id]);
    const running = new Map<string, Promise<void>>();
    const path = jobPath();
    const fewerHops = path !== 'original';
    /** Resumes the walk's current wait; every job that ends calls it (a call after the first does nothing). */
    let wakeWalk: (() => void) | undefined;
    const maxParallel = Math.max(1, this.input.maxJobParallel);
    // Jobs waiting for their concurrency group do not count (docs/semantics.md, "Concurrency groups").
    this.jobSlotFree = () => running.size - this.waitingForGroup.size < maxParallel;

    let draining = false;
    while (pending.length > 0 || running.size > 0) {
      if (!draining && pending.length > 0 && this.historyIsLong()) {
        draining = true;
        log.info(`run ${this.input.runId}: history is long; draining to continue as new`);
      }
      if (draining && running.size === 0) return true;
      for (let i = 0; i < pending.length && !draining;) {
        const job = pending[i]!;
        if (this.stop.cause) {
          this.context.jobs[job.id] = this.notStarted();
          pending.splice(i, 1);
          continue;
        }
        // With onlyJobs, a need outside them is waited for only when its result was handed over
        // (kept by `reuse`: executeJob()'s upstream context); the others are not required to run.
        const needs = only ? job.needs.filter((n) => only.has(n) || reuse?.jobs[n] !== undefined) : job.needs;
        if (needs.some((n) => !this.context.jobs[n] || this.context.jobs[n]!.status === Status.WAIT)) {
          i++;
          continue;
        }
        if (running.size - this.waitingForGroup.size >= maxParallel) break;
        pending.splice(i, 1);
        let decision: { run: boolean; reason: string };
        try {
          decision = decideJob({
            needs: Object.fromEntries(needs.map((n) => [n, this.values.needSummary(n)])),
            ...(job.if !== undefined ? { if: job.if } : {}),
            ...(job.triggerRule !== undefined ? { triggerRule: job.triggerRule } : {}),
            values: this.values.jobValues(job, needs),
          });
        } catch (err) {
          this.context.jobs[job.id] = failedJob(toErrorInfo(err, { job: job.id, location: job.loc }), 'its `if` could not be evaluated');
          continue;
        }
        if (!decision.run) {
          this.context.jobs[job.id] = { status: Status.SKIP, reason: decision.reason, outputs: {}, stages: {}, errors: [] };
          log.info(`job ${job.id}: SKIP (${decision.reason})`);
          continue;
        }
        if (job.concurrency && !job.strategy) this.waitingForGroup.add(job.id);
        const engineFailed = (err: unknown) => void (this.context.jobs[job.id] = failedJob(toErrorInfo(err, { job: job.id, location: job.loc }), 'the engine failed while running it'));
        const ended = () => {
          running.delete(job.id);
          this.waitingForGroup.delete(job.id);
          wakeWalk?.();
        };
        // The direct path (`fewer-hops.ts`) keeps a plain job's runner promise, not `runJob`'s.
        const run = path === 'direct-stages' && !job.strategy ? promiseOf(() => this.startJobRunner(job, needs).run()) : this.runJob(job, needs);
        running.set(job.id, whenJobEnds(run, engineFailed, ended, fewerHops));
      }
      if (running.size === 0 && !draining) {
        for (const job of pending.splice(0)) {
          // Unreachable for a validated DAG; never spin.
          this.context.jobs[job.id] = failedJob({ name: 'WorkflowError', message: `job '${job.id}' can never start: its needs cannot finish`, job: job.id, location: job.loc }, 'unreachable');
        }
        break;
      }
      if (running.size === 0) continue;
      // One promise a wait, however many jobs run (a race chains one to each; fewer-hops.ts).
      await (fewerHops ? new Promise<void>((resolve) => (wakeWalk = resolve)) : Promise.race(running.values()));
    }
    return false;
  }

  private notStarted(): JobContext {
    return { status: Status.CANCEL, reason: this.stop.reason(StopMoment.BEFORE_JOB), outputs: {}, stages: {}, errors: [] };
  }

  private jobInput(job: JobSpec, needs: readonly string[]): JobRunInput {
    const taskQueue = job.runsOn.type === 'self-hosted' ? job.runsOn.taskQueue : this.input.activity?.taskQueue;
    return {
      runId: this.input.runId,
      workflowName: this.input.spec.name,
      file: this.input.spec.file,
      job,
      workflowEnv: this.input.spec.env,
      params: this.input.params,
      extras: this.input.extras,
      needs: this.values.needsValues(needs),
      jobs: this.values.jobsValues(),
      deadlineMs: this.deadlineMs,
      activity: { ...this.input.activity, ...(taskQueue ? { taskQueue } : {}) },
      triggerChain: this.input.triggerChain ?? [],
      ...(this.input.confPath ? { confPath: this.input.confPath } : {}),
      ...(this.approvals.has(job.id) ? { approvals: this.approvals.get(job.id)! } : {}),
      ...(this.input.release ? { release: this.input.release } : {}),
      ...(this.input.limits ? { limits: this.input.limits } : {}),
      ...(this.input.reuse?.fromStage?.job === job.id ? { fromStage: { stage: this.input.reuse.fromStage.stage, stages: this.input.reuse.fromStage.stages } } : {}),
      ...(this.input.project ? { project: this.input.project } : {}),
      ...(this.runGroup !== undefined ? { runGroup: this.runGroup } : {}),
    };
  }

  /** What an inline job with `concurrency:` needs: the run's slots and a job slot of the run once it holds its group. */
  private jobGroupEnv(job: JobSpec): JobGroupEnv | undefined {
    if (!job.concurrency || !this.slots) return undefined;
    return {
      slots: this.slots,
      takeJobSlot: async () => {
        await condition(this.jobSlotFree);
        this.waitingForGroup.delete(job.id);
      },
    };
  }

  private async runJob(job: JobSpec, needs: readonly string[]): Promise<void> {
    if (job.strategy) {
      const state: JobContext = { status: Status.WAIT, start: new Date().toISOString(), outputs: {}, stages: {}, errors: [], strategies: [] };
      this.context.jobs[job.id] = state;
      return runMatrixJob(job, state, {
        values: this.values.jobValues(job, needs),
        base: () => this.jobInput(job, needs),
        runId: this.input.runId,
        workflowName: this.input.spec.name,
        ...(this.input.reuse ? { reuse: this.input.reuse } : {}),
        ...(this.input.limits?.matrixBatchSize !== undefined ? { batchSize: this.input.limits.matrixBatchSize } : {}),
        ...(this.input.limits?.inlineMatrixStageRuns !== undefined ? { inlineStageRuns: this.input.limits.inlineMatrixStageRuns } : {}),
        stop: this.stop,
      });
    }
    await this.startJobRunner(job, needs).run();
  }

  /** The runner of a plain job, its context live in the run's. */
  private startJobRunner(job: JobSpec, needs: readonly string[]): JobRunner {
    log.info(`job ${job.id}: start`);
    const runner = new JobRunner(this.jobInput(job, needs), this.stop, this.waiting, this.jobGroupEnv(job));
    this.runners.set(job.id, runner);
    this.context.jobs[job.id] = runner.state;
    return runner;
  }

  /** Computes the run's status and ends the Temporal execution to match (docs/semantics.md, "End states in Temporal"). */
  private finish(): RunOutcome {
    const ctx = this.context;
    ctx.end = new Date().toISOString();
    // With onlyJobs, the run answers for those jobs alone: jobs kept from a handed-over context only inform them.
    const only = this.input.onlyJobs ? new Set(this.input.onlyJobs) : undefined;
    const counted = (id: string): boolean => !only || only.has(id);
    const jobs = Object.entries(ctx.jobs).filter(([id]) => counted(id));
    for (const [id, job] of jobs) {
      for (const e of job.errors) ctx.errors.push({ ...e, job: e.job ?? id });
    }
    const { status, blocking } = runEndStatus(jobs, ctx.errors.length > 0, this.stop.cause ? this.stop.status() : undefined);
    ctx.status = status;
    log.info(`run ${this.input.runId}: ${ctx.status}`);
    // A value computed from the context: no command changes (ARCHITECTURE.md "Changing workflow code safely").
    const order = analyzeDag(Object.fromEntries(this.input.spec.jobs.map((j) => [j.id, { needs: j.needs }]))).order;
    ctx.outputs = mergeRunOutputs(order, ctx.jobs, counted);

    const capped = capContext(ctx);
    const outcome: RunOutcome = {
      status: ctx.status,
      runId: this.input.runId,
      ...(this.input.parentRunId ? { parentRunId: this.input.parentRunId } : {}),
      context: capped,
      errors: capped.errors,
    };
    switch (ctx.status) {
      case Status.SUCCESS:
      case Status.SKIP:
        return outcome;
      case Status.CANCEL:
        throw new CancelledFailure(`run ${this.input.runId} cancelled`, [capContext(capped, FAILURE_DETAILS_CAP_BYTES)]);
      case Status.TIMEOUT:
        throw endingFailure(RunFailureType.TIMEOUT, `run timed out after ${Math.round((this.deadlineMs - Date.parse(ctx.start)) / 1000)} s`, capContext(capped, FAILURE_DETAILS_CAP_BYTES));
      default:
        throw endingFailure(RunFailureType.FAILED, failureMessage(ctx, blocking), capContext(capped, FAILURE_DETAILS_CAP_BYTES));
    }
  }
}
