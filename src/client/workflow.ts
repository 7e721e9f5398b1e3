/**
 * The public `Workflow` API (docs/api.md): load a workflow from the conf tree,
 * validate its params, and execute it on Temporal.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError as TemporalNotFound, type WorkflowHandle } from '@temporalio/client';
import { defaultConfPath, listWorkflowNames, loadConfTree, loadWorkflowSpec, validateWorkflow } from '../config/loader.js';
import type { RunContext } from '../engine/context.js';
import { readContextInput, type JobsContext } from '../engine/context-input.js';
import { descendants } from '../engine/dag.js';
import { findTriggerCycle, staticTriggerTargets } from '../engine/triggers.js';
import { WorkflowError } from '../errors.js';
import { didYouMean } from '../expressions/suggest.js';
import { parameterize } from '../config/params.js';
import { checkOnlyJobs, checkRunInputSize, runSettings } from '../config/run-settings.js';
import type { CronTriggerSpec, JobSpec, ParamSpec, WorkflowSpec } from '../engine/spec.js';
import { ReleaseType, RUN_WORKFLOW_TYPE, type ReusePlan, type RunInput, type ScaleLimits } from '../workflows/definitions.js';
import type { Result } from './result.js';
import { RunHandle, type RunConnection } from './run-handle.js';
import { newRunId } from './run-defaults.js';
import { withSharedRuntime, type RuntimeOptions, type TempoflowRuntime } from './runtime.js';
import type { OutputLine } from './run-output.js';
import {
  beginRelease,
  projectName,
  startRerun,
  rerunRun,
  startRelease,
  validateReleaseTime,
  type ReleaseHandle,
  type ReleaseOptions,
  type ReleaseResult,
  type RerunOptions,
  type RerunSource,
  type RerunStart,
} from './release.js';
import { checkDeliveryId, webhookParams, webhookReleaseId, webhookRunId, type WebhookDelivery } from './webhooks.js';
import { runSearchAttributeValues, startOnceAttributesAreMapped, toTypedPairs } from './search-attributes.js';
import { refuseSeedOptions } from './seed-options.js';

export type { CronTriggerSpec, JobSpec, ParamSpec, StageSpec, WorkflowSpec } from '../engine/spec.js';
export type { JobsContext } from '../engine/context-input.js';

/**
 * Per-call config overrides (docs/api.md "extras"); every other key is
 * readable in expressions as `${{ extras.<key> }}`.
 */
export interface WorkflowExtras {
  /** Conf path to load from when `fromConf`'s `path` is not given. */
  readonly confPath?: string;
  /** Jobs running at once, for `execute()`, `start()`, `executeJob()`, `release()` and `rerun()` unless the call says. */
  readonly maxJobParallel?: number;
  /** Run timeout in seconds, unless the call says. */
  readonly timeout?: number;
  /** Task queue of the runs (and of the in-process worker of the embedded mode). */
  readonly taskQueue?: string;
  /** Default of `release()`'s `audit` option (else the worker's `WORKFLOW_CORE_AUDIT_ENABLED`). */
  readonly auditEnabled?: boolean;
  readonly [key: string]: unknown;
}

/**
 * The parsed `on:` of a workflow (the seed's `Workflow.on`): its cron
 * entries, whichever YAML form declared them, and whether manual releases
 * may use any minute.
 */
export interface WorkflowTriggers {
  /** Cron entries in YAML order (`tempoflow schedule sync` makes one Temporal Schedule of each). */
  readonly schedules: readonly CronTriggerSpec[];
  /** `- manual: true`: `release()` accepts any minute, not only the cron entries' fire times. */
  readonly manual: boolean;
}

/** How long `execute()` waits after the run's end for its last output lines, ms. */
const FINAL_OUTPUT_WAIT_MS = 5000;

/** Calls `onOutput` with each line of the run's output until it ends; a failure to read stops it quietly. */
async function forwardOutput(run: RunHandle, onOutput: (line: OutputLine) => void): Promise<void> {
  try {
    for await (const line of run.output()) onOutput(line);
  } catch {
    // Output is a convenience: the run and its result do not depend on it.
  }
}

/** Options of `start()`. */
export interface StartOptions {
  /** Run id (= Temporal workflow id). An existing run with this id is attached to, not started again. */
  readonly runId?: string;
  readonly parentRunId?: string;
  /** Run timeout in seconds (default: the YAML's `timeout:`, else `WORKFLOW_CORE_TIMEOUT`, else 3600). */
  readonly timeout?: number;
  /** Jobs running at once (default `WORKFLOW_CORE_MAX_JOB_PARALLEL` or 2). */
  readonly maxJobParallel?: number;
  /** Run only these jobs (the seed's "test individual jobs"). */
  readonly jobs?: readonly string[];
  /**
   * Use this runtime instead of the process's shared one (tests, CLI). The
   * returned handle keeps using it; without one, each of the handle's calls
   * uses the shared runtime, which closes itself when idle.
   */
  readonly runtime?: TempoflowRuntime;
  /** Heartbeat timeout of subprocess stages, ms (tests shorten it). */
  readonly heartbeatTimeoutMs?: number;
  /** Scale limits (continue-as-new threshold, batch and chunk sizes); tests lower them. */
  readonly limits?: ScaleLimits;
  /**
   * Level of the Temporal SDK's logs of the process's worker (`trace`,
   * `debug`, `info`, `warn`, `error`), set when the shared runtime starts
   * one; default `TEMPOFLOW_LOG_LEVEL`, else `warn`.
   */
  readonly logLevel?: string;
}

/** What `execute()`'s `onStart` is told. */
export interface StartInfo {
  readonly runId: string;
  readonly temporalRunId?: string;
  /** The run's handle (`status()`, `approve()`, `cancel()`, ...). */
  readonly run: RunHandle;
  /** The SDK's handle of the run's execution. */
  readonly handle: WorkflowHandle;
  readonly uiUrl?: string;
  /** True when a run with `runId` existed and was attached to. */
  readonly attached: boolean;
}

/** Options of `execute()`. */
export interface ExecuteOptions extends StartOptions {
  /** Aborting cancels the run; `execute()` then resolves with a CANCEL result. */
  readonly signal?: AbortSignal;
  /** Called once the run has started (or been attached to), with its handles and UI link. */
  readonly onStart?: (info: StartInfo) => void;
  /**
   * Called with every line the run's stages print (`echo` messages,
   * `bash`/`run` output, `uses` tasks' `ctx.log`), masked, as they come
   * (`RunHandle.output()`); `execute()` resolves after the last one.
   */
  readonly onOutput?: (line: OutputLine) => void;
}

/** Options of `executeJob()`: those of `execute()` but `jobs`, plus the params and the upstream context. */
export interface ExecuteJobOptions extends Omit<ExecuteOptions, 'jobs'> {
  /** Params of the run; they win over `context.params`. */
  readonly params?: Readonly<Record<string, unknown>>;
  /**
   * The results of the jobs it needs (and of any other job it reads as
   * `jobs.*`), as the seed's `execute_job(job, run_id, context)` takes them.
   * Needs missing from it are not required to run, as with `execute({ jobs })`.
   */
  readonly context?: JobsContext | RunContext;
}

/** A workflow loaded from the conf tree. */
export class Workflow {
  readonly name: string;
  readonly desc?: string;
  /** Declared params by name. */
  readonly params: Readonly<Record<string, ParamSpec>>;
  /** The parsed `on:`: cron entries and `manual`. */
  readonly on: WorkflowTriggers;
  /** Jobs by id, in YAML order. */
  readonly jobs: Readonly<Record<string, JobSpec>>;
  readonly tags: readonly string[];
  readonly extras: WorkflowExtras;
  /** When the defining file was created (its birth time; its change time where the file system keeps none). */
  readonly createdAt: Date;
  /** When the defining file was last modified. */
  readonly updatedAt: Date;
  /** The validated, normalized definition (its snapshot travels with each run). */
  readonly spec: WorkflowSpec;
  /** The conf path it was loaded from (absolute). */
  readonly confPath: string;

  private constructor(spec: WorkflowSpec, extras: WorkflowExtras, times: { createdAt: Date; updatedAt: Date }, confPath: string) {
    this.spec = spec;
    this.confPath = confPath;
    this.tags = spec.tags;
    this.name = spec.name;
    if (spec.desc !== undefined) this.desc = spec.desc;
    this.params = Object.fromEntries(spec.params.map((p) => [p.name, p]));
    this.on = { schedules: spec.schedules, manual: spec.manual };
    this.jobs = Object.fromEntries(spec.jobs.map((j) => [j.id, j]));
    this.extras = extras;
    this.createdAt = times.createdAt;
    this.updatedAt = times.updatedAt;
  }

  /**
   * Loads and validates a workflow by name from the conf tree
   * (`path`, else `extras.confPath`, else `WORKFLOW_CORE_CONF_PATH`, else `./conf`).
   * Throws `WorkflowNotFoundError` (code `ENOENT`) or `ConfigError`, and
   * `WorkflowError` for an `extras` key that is a worker setting.
   */
  static async fromConf(name: string, options: { path?: string; extras?: WorkflowExtras } = {}): Promise<Workflow> {
    const extras = options.extras ?? {};
    checkExtras(extras);
    const path = options.path ?? extras.confPath ?? defaultConfPath();
    const { spec } = loadWorkflowSpec(name, { path });
    return new Workflow(spec, extras, fileTimes(spec.file), resolve(path));
  }

  /** Names of the workflows under a conf path (the seed's `list_available_workflows()`). */
  static async list(options: { path?: string } = {}): Promise<string[]> {
    return listWorkflowNames(loadConfTree(options.path ?? defaultConfPath()));
  }

  /**
   * A job by id.
   * @throws {WorkflowError} when the workflow has no such job (the message names its jobs, and the closest one).
   */
  job(id: string): JobSpec {
    const job = this.jobs[id];
    if (job) return job;
    const known = Object.keys(this.jobs);
    const close = didYouMean(id, known);
    throw new WorkflowError(`workflow '${this.name}' has no job '${id}'${close ? ` (did you mean '${close}'?)` : ''}; its jobs: ${known.join(', ')}`);
  }

  /** Validates and completes params (defaults, types); throws `ParamError`. */
  parameterize(params: Readonly<Record<string, unknown>>): Record<string, unknown> {
    return parameterize(this.spec.params, params, { allowUndeclared: this.spec.allowUndeclaredParams });
  }

  /**
   * Checks a manual release time: it must be a minute one of the `on:` cron
   * entries fires at, in that entry's timezone (Temporal's cron semantics);
   * any time when there is no cron entry or `manual: true`. Returns the
   * time; throws `WorkflowError` naming the entries and their next fire times.
   */
  validateRelease(date: Date | string): Date {
    return validateReleaseTime(this.spec, date);
  }

  /**
   * Releases the workflow at `date` (docs/operations.md "Releases"): run id
   * `tf:<workflow>:<UTC yyyymmddHHMM>`, one audit record. Resolves with a
   * `ReleaseResult` in every case — SKIP (with the existing run's id) for a
   * NORMAL release already done. Throws before starting for a time that
   * matches no cron entry, bad params, an unknown excluded job, or an option
   * of ddeutil-workflow's (`result`, `release_type`, ...: the error names
   * what to pass instead).
   */
  async release(date: Date | string, params: Readonly<Record<string, unknown>> = {}, options: ReleaseOptions = {}): Promise<ReleaseResult> {
    refuseSeedOptions('release', options);
    return startRelease(this, date, params, options);
  }

  /**
   * Starts a release as `release()` does and returns at once with its handle
   * (`releaseWorkflowId`, the `runId` it starts, `result()`). With
   * `options.releaseId`, an existing release of that id is returned
   * (`duplicate: true`) and nothing starts.
   */
  async startRelease(date: Date | string, params: Readonly<Record<string, unknown>> = {}, options: ReleaseOptions = {}): Promise<ReleaseHandle> {
    return beginRelease(this, date, params, options);
  }

  /**
   * Fires the workflow's `webhook:` entry for one delivery (docs/api.md
   * "Webhooks"): an EVENT release now, with params mapped from the delivery's
   * body. The release and its run take ids made from `delivery.deliveryId`, so
   * a retried delivery returns the first one's handle (`duplicate: true`) and
   * starts nothing. The caller authenticates the delivery. Throws
   * `WorkflowError` (no webhook entry, a bad delivery id), `ExpressionError`
   * or `ParamError` before starting anything.
   */
  async fireWebhook(delivery: WebhookDelivery, options: Pick<ReleaseOptions, 'runtime' | 'timeout' | 'maxJobParallel' | 'heartbeatTimeoutMs'> = {}): Promise<ReleaseHandle> {
    checkDeliveryId(delivery.deliveryId);
    const params = webhookParams(this.spec, delivery);
    return beginRelease(this, new Date(), params, {
      ...options,
      releaseType: ReleaseType.EVENT,
      releaseId: webhookReleaseId(this.name, delivery.deliveryId),
      runId: webhookRunId(this.name, delivery.deliveryId),
    });
  }

  /**
   * Starts a rerun of a previous run of this workflow (see `rerun()`) and
   * returns at once with the new run's handle and the jobs that run again.
   */
  async startRerun(runIdOrContext: RerunSource, options: Omit<RerunOptions, 'target' | 'signal'> = {}): Promise<RerunStart> {
    return startRerun(runIdOrContext, { ...options, target: this });
  }

  /**
   * Reruns a previous run of this workflow (docs/operations.md "Rerun"), from its run id
   * or its `Result`/context: failed jobs and their dependents run again, the
   * rest is reused. `fromStage: 'job.stage'` restarts that failed job there.
   */
  async rerun(runIdOrContext: RerunSource, options: Omit<RerunOptions, 'target'> = {}): Promise<Result> {
    refuseSeedOptions('rerun', options);
    return rerunRun(runIdOrContext, { ...options, target: this });
  }

  /**
   * Starts a run (or attaches to the run with `options.runId` when it exists)
   * and returns its handle at once; `handle.result()` waits for the end.
   * Throws only before the run starts: `ParamError` for bad params,
   * `WorkflowError` for an unknown job, a trigger cycle, an input too large
   * for Temporal or an option under ddeutil-workflow's name (`run_id`,
   * `max_job_parallel`, `event`: the error names tempoflow's), or a
   * connection error.
   */
  async start(params: Readonly<Record<string, unknown>> = {}, options: StartOptions = {}): Promise<RunHandle> {
    refuseSeedOptions('start', options);
    const input = this.runInput(params, options);
    const shared = this.sharedRuntimeOptions(options);
    const connection: RunConnection = options.runtime ? { runtime: options.runtime } : { shared };
    const start = async (runtime: TempoflowRuntime) => (await this.startOn(runtime, input, connection, options.runId !== undefined)).run;
    if (options.runtime) return start(options.runtime);
    return withSharedRuntime(start, shared);
  }

  /**
   * Runs the workflow on Temporal and resolves with its `Result` in every case
   * (SUCCESS, FAILED, TIMEOUT, CANCEL, SKIP): `start()` then `result()`.
   * Throws only before the run starts, as `start()` does.
   */
  async execute(params: Readonly<Record<string, unknown>> = {}, options: ExecuteOptions = {}): Promise<Result> {
    refuseSeedOptions('execute', options);
    return this.runToEnd(this.runInput(params, options), options);
  }

  /**
   * Runs one job (by id, or as `job(id)` returns it) as its own durable run
   * (the seed's `execute_job`), with the
   * results of the jobs it needs taken from `options.context`: they fill
   * `needs.*` and `jobs.*` and decide its `if:`/`trigger-rule:` as in a
   * whole run, and are kept in the result's context marked `reusedFrom`
   * (`options.parentRunId`, else `'context'`). Entries for the job itself
   * and for the jobs that depend on it are ignored. Resolves with the run's
   * `Result`, whose status is the job's (a `continue-on-error` failure
   * aside) and whose `context.jobs[jobId]` is the job's context; the run is
   * a tempoflow run like any other (`getRun(result.runId)`, the Web UI).
   * Throws before anything starts: `WorkflowError` for an unknown job or a
   * context that is not one (every problem, with its path), `ParamError`.
   */
  async executeJob(job: string | JobSpec, options: ExecuteJobOptions = {}): Promise<Result> {
    refuseSeedOptions('executeJob', options);
    const jobId = typeof job === 'string' ? job : job.id;
    this.job(jobId);
    const given = options.context === undefined ? { jobs: {} } : readContextInput(this.spec, options.context);
    const graph = Object.fromEntries(this.spec.jobs.map((j) => [j.id, { needs: j.needs }]));
    const later = descendants(graph, [jobId]);
    const upstream = Object.fromEntries(Object.entries(given.jobs).filter(([id]) => id !== jobId && !later.has(id)));
    const params = { ...given.params, ...options.params };
    const reuse: ReusePlan = { fromRunId: options.parentRunId ?? 'context', jobs: upstream, combinations: {} };
    return this.runToEnd(this.runInput(params, { ...options, jobs: [jobId] }, { reuse }), options);
  }

  /** Starts (or attaches to) the run of `input` and waits for its `Result`; `options.signal` cancels it. */
  private async runToEnd(input: RunInput, options: ExecuteOptions): Promise<Result> {
    const shared = this.sharedRuntimeOptions(options);
    const connection: RunConnection = options.runtime ? { runtime: options.runtime } : { shared };
    const run = async (runtime: TempoflowRuntime): Promise<Result> => {
      const started = await this.startOn(runtime, input, connection, options.runId !== undefined);
      options.onStart?.(started);
      const onAbort = () => void started.run.cancel().catch(() => undefined);
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener('abort', onAbort, { once: true });
      const onOutput = options.onOutput;
      const following = onOutput ? forwardOutput(started.run, onOutput) : undefined;
      try {
        const result = await started.run.result();
        // The follower's last look delivers the lines of the stages that ended last.
        if (following) await Promise.race([following, new Promise((r) => setTimeout(r, FINAL_OUTPUT_WAIT_MS).unref())]);
        return result;
      } finally {
        options.signal?.removeEventListener('abort', onAbort);
      }
    };
    if (options.runtime) return run(options.runtime);
    return withSharedRuntime(run, shared);
  }

  private sharedRuntimeOptions(options: StartOptions): RuntimeOptions {
    return { ...(this.extras.taskQueue !== undefined ? { taskQueue: this.extras.taskQueue } : {}), ...(options.logLevel !== undefined ? { logLevel: options.logLevel } : {}) };
  }

  /** Checks params, jobs, trigger cycles and size, and builds the run's input (with `extra` fields); nothing is started. */
  private runInput(params: Readonly<Record<string, unknown>>, options: StartOptions, extra: Pick<RunInput, 'reuse'> = {}): RunInput {
    const values = this.parameterize(params);
    this.checkTriggerCycles();
    checkOnlyJobs(this.spec, options.jobs ?? []);
    const input: RunInput = {
      spec: this.spec,
      params: values,
      runId: options.runId ?? newRunId(this.name),
      ...(options.parentRunId ? { parentRunId: options.parentRunId } : {}),
      ...runSettings(this.spec, { timeout: options.timeout ?? this.extras.timeout, maxJobParallel: options.maxJobParallel ?? this.extras.maxJobParallel }),
      extras: publicExtras(this.extras),
      ...(options.jobs ? { onlyJobs: options.jobs } : {}),
      ...(options.heartbeatTimeoutMs ? { activity: { heartbeatTimeoutMs: options.heartbeatTimeoutMs } } : {}),
      confPath: this.confPath,
      ...(options.limits ? { limits: options.limits } : {}),
      ...extra,
      project: projectName(),
    };
    checkRunInputSize(input);
    return input;
  }

  /** Refuses to start when `trigger:` stages lead back to this workflow (A → B → A). */
  private checkTriggerCycles(): void {
    if (staticTriggerTargets(this.spec).length === 0) return;
    const tree = loadConfTree(this.confPath);
    const cycle = findTriggerCycle(this.spec, (name) => {
      try {
        return tree.objects.get(name)?.type === 'Workflow' ? validateWorkflow(tree, name).spec : undefined;
      } catch {
        return undefined;
      }
    });
    if (cycle) throw new WorkflowError(`trigger cycle: ${cycle.join(' → ')}; a workflow may not trigger itself, directly or through others`);
  }

  /** Starts the run on `runtime`; with `attachFirst` (the caller named the run id), attaches to an existing run of that id instead. */
  private async startOn(runtime: TempoflowRuntime, input: RunInput, connection: RunConnection, attachFirst: boolean): Promise<StartInfo> {
    const client = runtime.client;
    let handle: WorkflowHandle | undefined;
    let attached = false;
    // The Temporal run id of the execution started or attached to (for the Web UI link).
    let temporalRunId: string | undefined;
    if (attachFirst) {
      // Attach to an existing run of that id, whatever its state.
      const existing = client.workflow.getHandle(input.runId);
      try {
        temporalRunId = (await existing.describe()).runId;
        handle = existing;
        attached = true;
      } catch (err) {
        if (!(err instanceof TemporalNotFound)) throw err;
      }
    }
    if (!handle) {
      try {
        const started = await startOnceAttributesAreMapped(() =>
          client.workflow.start(RUN_WORKFLOW_TYPE, {
            workflowId: input.runId,
            taskQueue: this.extras.taskQueue ?? runtime.taskQueue,
            args: [input],
            workflowIdConflictPolicy: 'USE_EXISTING',
            staticSummary: `tempoflow: ${this.name}${input.onlyJobs ? ` (${input.onlyJobs.length === 1 ? 'job' : 'jobs'} ${input.onlyJobs.join(', ')})` : ''}`.slice(0, 200),
            typedSearchAttributes: toTypedPairs(runSearchAttributeValues(runtime.searchAttributes.available, { workflow: this.name })),
          }),
        );
        // The start's reply names the execution (a new one, or the running one USE_EXISTING joined): no describe needed.
        handle = started;
        temporalRunId = started.firstExecutionRunId;
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        handle = client.workflow.getHandle(input.runId);
        attached = true;
        temporalRunId = (await handle.describe().catch(() => undefined))?.runId;
      }
    }
    const uiUrl = runtime.uiLink(input.runId, temporalRunId);
    const run = new RunHandle({ runId: input.runId, workflowName: this.name, attached, ...(temporalRunId ? { temporalRunId } : {}), ...(uiUrl ? { uiUrl } : {}), connection });
    return { runId: input.runId, ...(temporalRunId ? { temporalRunId } : {}), run, handle, ...(uiUrl ? { uiUrl } : {}), attached };
  }
}

/** Extras minus the config overrides (those are not expression values). */
function publicExtras(extras: WorkflowExtras): Record<string, unknown> {
  const { confPath: _c, maxJobParallel: _m, timeout: _t, taskQueue: _q, auditEnabled: _a, ...rest } = extras;
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}

/**
 * Extras that name worker settings are refused rather than ignored: a run
 * cannot choose the task modules of the worker that serves it
 * (docs/api.md "extras").
 * @throws {WorkflowError} for `registryCaller` (and its seed spelling), or an `auditEnabled` that is not a boolean.
 */
function checkExtras(extras: WorkflowExtras): void {
  for (const key of ['registryCaller', 'registry_caller']) {
    if (key in extras) {
      throw new WorkflowError(
        `extras.${key}: tasks are registered on the worker, not per call; set WORKFLOW_CORE_REGISTRY_CALLER where the worker runs (for the embedded worker: in this process's environment, before its first run), or pass taskModules to createWorker()`,
      );
    }
  }
  if (extras.auditEnabled !== undefined && typeof extras.auditEnabled !== 'boolean') {
    throw new WorkflowError(`extras.auditEnabled must be true or false, got ${JSON.stringify(extras.auditEnabled)}`);
  }
}

/**
 * The defining file's times: its birth time (its change time on file
 * systems that keep none) and its modification time; now when it cannot
 * be read.
 */
function fileTimes(file: string): { createdAt: Date; updatedAt: Date } {
  try {
    const st = statSync(resolve(file));
    return { createdAt: st.birthtimeMs > 0 ? st.birthtime : st.ctime, updatedAt: st.mtime };
  } catch {
    const now = new Date();
    return { createdAt: now, updatedAt: now };
  }
}
