/**
 * The public `Workflow` API (docs/api.md): load a workflow from the conf tree,
 * validate its params, and execute it on Temporal.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError as TemporalNotFound, type WorkflowHandle } from '@temporalio/client';
import { defaultConfPath, listWorkflowNames, loadConfTree, loadWorkflowSpec, validateWorkflow } from '../config/loader.js';
import { findTriggerCycle, staticTriggerTargets } from '../engine/triggers.js';
import { WorkflowError } from '../errors.js';
import { parameterize } from '../config/params.js';
import type { JobSpec, ParamSpec, WorkflowSpec } from '../engine/spec.js';
import { RUN_WORKFLOW_TYPE, type RunInput, type ScaleLimits } from '../workflows/definitions.js';
import type { Result } from './result.js';
import { RunHandle, type RunConnection } from './run-handle.js';
import { defaultMaxJobParallel, defaultTimeoutSeconds, newRunId } from './run-defaults.js';
import { withSharedRuntime, type RuntimeOptions, type TempoflowRuntime } from './runtime.js';
import type { OutputLine } from './run-output.js';
import { rerunRun, startRelease, validateReleaseTime, type ReleaseOptions, type ReleaseResult, type RerunOptions, type RerunSource } from './release.js';
import { runSearchAttributeValues, toTypedPairs } from './search-attributes.js';

export type { JobSpec, ParamSpec, StageSpec, WorkflowSpec } from '../engine/spec.js';

/** Per-call config overrides (docs/api.md "extras"); other keys are readable as `${{ extras.<key> }}`. */
export interface WorkflowExtras {
  readonly confPath?: string;
  readonly maxJobParallel?: number;
  /** Seconds. */
  readonly timeout?: number;
  readonly taskQueue?: string;
  readonly [key: string]: unknown;
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

/** A workflow loaded from the conf tree. */
export class Workflow {
  readonly name: string;
  readonly desc?: string;
  /** Declared params by name. */
  readonly params: Readonly<Record<string, ParamSpec>>;
  /** Jobs by id, in YAML order. */
  readonly jobs: Readonly<Record<string, JobSpec>>;
  readonly tags: readonly string[];
  readonly extras: WorkflowExtras;
  /** Times of the defining file. */
  readonly createdAt: Date;
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
    this.jobs = Object.fromEntries(spec.jobs.map((j) => [j.id, j]));
    this.extras = extras;
    this.createdAt = times.createdAt;
    this.updatedAt = times.updatedAt;
  }

  /**
   * Loads and validates a workflow by name from the conf tree
   * (`path`, else `extras.confPath`, else `WORKFLOW_CORE_CONF_PATH`, else `./conf`).
   * Throws `WorkflowNotFoundError` (code `ENOENT`) or `ConfigError`.
   */
  static async fromConf(name: string, options: { path?: string; extras?: WorkflowExtras } = {}): Promise<Workflow> {
    const extras = options.extras ?? {};
    const path = options.path ?? extras.confPath ?? defaultConfPath();
    const { spec } = loadWorkflowSpec(name, { path });
    let times = { createdAt: new Date(), updatedAt: new Date() };
    try {
      const st = statSync(resolve(spec.file));
      times = { createdAt: st.birthtime, updatedAt: st.mtime };
    } catch {
      /* keep now */
    }
    return new Workflow(spec, extras, times, resolve(path));
  }

  /** Names of the workflows under a conf path (the seed's `list_available_workflows()`). */
  static async list(options: { path?: string } = {}): Promise<string[]> {
    return listWorkflowNames(loadConfTree(options.path ?? defaultConfPath()));
  }

  /** A job by id; throws `Error` naming the known jobs when absent. */
  job(id: string): JobSpec {
    const job = this.jobs[id];
    if (!job) throw new Error(`workflow '${this.name}' has no job '${id}' (jobs: ${Object.keys(this.jobs).join(', ')})`);
    return job;
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
   * matches no cron entry, bad params or an unknown excluded job.
   */
  async release(date: Date | string, params: Readonly<Record<string, unknown>> = {}, options: ReleaseOptions = {}): Promise<ReleaseResult> {
    return startRelease(this, date, params, options);
  }

  /**
   * Reruns a previous run of this workflow (docs/operations.md "Rerun"), from its run id
   * or its `Result`/context: failed jobs and their dependents run again, the
   * rest is reused. `fromStage: 'job.stage'` restarts that failed job there.
   */
  async rerun(runIdOrContext: RerunSource, options: Omit<RerunOptions, 'target'> = {}): Promise<Result> {
    return rerunRun(runIdOrContext, { ...options, target: this });
  }

  /**
   * Starts a run (or attaches to the run with `options.runId` when it exists)
   * and returns its handle at once; `handle.result()` waits for the end.
   * Throws only before the run starts: `ParamError` for bad params,
   * `WorkflowError` for an unknown job, a trigger cycle or an input too large
   * for Temporal, or a connection error.
   */
  async start(params: Readonly<Record<string, unknown>> = {}, options: StartOptions = {}): Promise<RunHandle> {
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
    const input = this.runInput(params, options);
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

  /** Checks params, jobs, trigger cycles and size, and builds the run's input; nothing is started. */
  private runInput(params: Readonly<Record<string, unknown>>, options: StartOptions): RunInput {
    const values = this.parameterize(params);
    this.checkTriggerCycles();
    for (const id of options.jobs ?? []) this.job(id);
    const input: RunInput = {
      spec: this.spec,
      params: values,
      runId: options.runId ?? newRunId(this.name),
      ...(options.parentRunId ? { parentRunId: options.parentRunId } : {}),
      timeoutSeconds: options.timeout ?? this.extras.timeout ?? this.spec.timeoutSeconds ?? defaultTimeoutSeconds(),
      maxJobParallel: options.maxJobParallel ?? this.extras.maxJobParallel ?? defaultMaxJobParallel(),
      extras: publicExtras(this.extras),
      ...(options.jobs ? { onlyJobs: options.jobs } : {}),
      ...(options.heartbeatTimeoutMs ? { activity: { heartbeatTimeoutMs: options.heartbeatTimeoutMs } } : {}),
      confPath: this.confPath,
      ...(options.limits ? { limits: options.limits } : {}),
    };
    checkInputSize(input);
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
    if (attachFirst) {
      // Attach to an existing run of that id, whatever its state.
      const existing = client.workflow.getHandle(input.runId);
      try {
        await existing.describe();
        handle = existing;
        attached = true;
      } catch (err) {
        if (!(err instanceof TemporalNotFound)) throw err;
      }
    }
    if (!handle) {
      try {
        handle = await client.workflow.start(RUN_WORKFLOW_TYPE, {
          workflowId: input.runId,
          taskQueue: this.extras.taskQueue ?? runtime.taskQueue,
          args: [input],
          workflowIdConflictPolicy: 'USE_EXISTING',
          staticSummary: `tempoflow: ${this.name}`,
          typedSearchAttributes: toTypedPairs(runSearchAttributeValues(runtime.searchAttributes.available, { workflow: this.name })),
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        handle = client.workflow.getHandle(input.runId);
        attached = true;
      }
    }
    const description = await handle.describe().catch(() => undefined);
    const uiUrl = runtime.uiLink(input.runId, description?.runId);
    const temporalRunId = description?.runId;
    const run = new RunHandle({ runId: input.runId, workflowName: this.name, attached, ...(temporalRunId ? { temporalRunId } : {}), ...(uiUrl ? { uiUrl } : {}), connection });
    return { runId: input.runId, ...(temporalRunId ? { temporalRunId } : {}), run, handle, ...(uiUrl ? { uiUrl } : {}), attached };
  }
}

/**
 * Largest run input accepted, in bytes of JSON: Temporal refuses payloads over
 * 2 MB, and retrying such a start only wastes time.
 */
export const MAX_RUN_INPUT_BYTES = 1.5 * 1024 * 1024;

/** Refuses a run whose input (YAML snapshot and params) would not fit a Temporal payload. */
function checkInputSize(input: RunInput): void {
  const total = Buffer.byteLength(JSON.stringify(input), 'utf8');
  if (total <= MAX_RUN_INPUT_BYTES) return;
  const biggest = Object.entries(input.params)
    .map(([name, value]) => ({ name, bytes: Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8') }))
    .sort((a, b) => b.bytes - a.bytes)[0];
  const hint = biggest && biggest.bytes > total / 2 ? `param '${biggest.name}' alone is ${biggest.bytes} bytes; ` : '';
  throw new WorkflowError(
    `the run's input is ${total} bytes, over the ${MAX_RUN_INPUT_BYTES} byte limit of a Temporal payload; ${hint}pass large data by reference (a file path or an object-storage URL) instead of as a param`,
  );
}

/** Extras minus the config overrides (those are not expression values). */
function publicExtras(extras: WorkflowExtras): Record<string, unknown> {
  const { confPath: _c, maxJobParallel: _m, timeout: _t, taskQueue: _q, registryCaller: _r, auditEnabled: _a, ...rest } = extras;
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}
