/**
 * Releases and reruns from the client (`release()`, `rerun()`,
 * `validateRelease()`; docs/operations.md "Releases", "Rerun").
 *
 * - `startRelease` starts the release workflow `tempoflowRelease` (the same
 *   one schedules start) and turns its outcome into a `ReleaseResult`.
 * - `rerunRun` reruns a finished run: it fetches the run's YAML snapshot and
 *   params (the first event of its history, or the audit record after
 *   Temporal's retention) and its final context, plans what to keep with
 *   `planRerun`, and starts a new `tempoflowRun` with `reuse`.
 */
import { randomBytes } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowNotFoundError as TemporalNotFound, type WorkflowHandle } from '@temporalio/client';
import { releaseKey, type AuditStore } from '../audit/index.js';
import type { ErrorInfo, RunContext } from '../engine/context.js';
import { readContextInput, type JobsContext } from '../engine/context-input.js';
import { cronMatches, nextFireTimes } from '../engine/cron.js';
import { planRerun } from '../engine/rerun.js';
import type { WorkflowSpec } from '../engine/spec.js';
import { Status } from '../engine/status.js';
import { WorkflowError } from '../errors.js';
import { renderDeep } from '../expressions/index.js';
import { ReleaseType, RELEASE_WORKFLOW_TYPE, releaseRunId, RUN_WORKFLOW_TYPE, type ReleaseInfo, type ReusePlan, type RunInput } from '../workflows/definitions.js';
import type { PlannedJob, ReleaseInput, ReleaseOutcome } from '../workflows/definitions.js';
import { clientAuditStore } from './audit.js';
import { awaitResult, Result } from './result.js';
import { defaultMaxJobParallel, defaultTimeoutSeconds, newRunId } from './run-defaults.js';
import { readResolvedRunInput, RunHandle, type RunConnection } from './run-handle.js';
import { withSharedRuntime, type TempoflowRuntime } from './runtime.js';
import { runSearchAttributeValues, startOnceAttributesAreMapped, toTypedPairs } from './search-attributes.js';

export { RELEASE_WORKFLOW_TYPE };
export { ReleaseType } from '../workflows/definitions.js';
export { RerunPlanError } from '../engine/rerun.js';

/** `WORKFLOW_CORE_PROJECT` (default `default`): keeps two conf trees' schedules apart on one namespace. */
export function projectName(env: NodeJS.ProcessEnv = process.env): string {
  const name = (env.WORKFLOW_CORE_PROJECT ?? '').trim() || 'default';
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new WorkflowError(`WORKFLOW_CORE_PROJECT='${name}' may hold only letters, digits, '_', '.' and '-' (it becomes part of schedule ids)`);
  }
  return name;
}

/** What `release()`/`rerun()` need of a `Workflow` (kept structural to avoid an import cycle). */
export interface ReleaseTarget {
  readonly name: string;
  readonly spec: WorkflowSpec;
  /** Absolute conf path the workflow was loaded from. */
  readonly confPath: string;
  readonly extras: { readonly taskQueue?: string; readonly maxJobParallel?: number; readonly timeout?: number; readonly auditEnabled?: boolean; readonly [key: string]: unknown };
  parameterize(params: Readonly<Record<string, unknown>>): Record<string, unknown>;
}

/** Options of `release()` (docs/api.md). */
export interface ReleaseOptions {
  /** Default NORMAL. */
  readonly releaseType?: ReleaseType;
  /** Run id of the release's run (default `tf:<workflow>:<UTC yyyymmddHHMM>`, suffixed for FORCE/RERUN). */
  readonly runId?: string;
  /** For RERUN: the run to rerun (default: the latest audited run of that release, else its NORMAL run). Otherwise recorded as the parent. */
  readonly parentRunId?: string;
  /** Write the audit record (default `extras.auditEnabled`, else `WORKFLOW_CORE_AUDIT_ENABLED` of the worker). */
  readonly audit?: boolean;
  /** Name recorded in the audit record. */
  readonly overrideLogName?: string;
  /** Run timeout in seconds (default: the YAML's `timeout:`, else 600). */
  readonly timeout?: number;
  /** Jobs not to run in this release. */
  readonly excluded?: readonly string[];
  readonly maxJobParallel?: number;
  /** Use this runtime instead of the process's shared one. */
  readonly runtime?: TempoflowRuntime;
  /** Heartbeat timeout of subprocess stages and of the audit write, ms (tests shorten it). */
  readonly heartbeatTimeoutMs?: number;
  /** Called once the release workflow has started. */
  readonly onStart?: (info: { releaseWorkflowId: string; runId?: string; uiUrl?: string }) => void;
  /**
   * Workflow id of the release workflow (default: a new one). A release whose
   * id exists on the server, running or closed (within the namespace's
   * retention), is not started again: `startRelease()` returns that one with
   * `duplicate: true`. Webhook deliveries use it for idempotency.
   */
  readonly releaseId?: string;
}

/** A release that was started (or found), before it ends. */
export interface ReleaseHandle {
  /** Temporal workflow id of the release workflow. */
  readonly releaseWorkflowId: string;
  /** The run the release starts (for a release already done, a run of that id exists already and it ends SKIP). */
  readonly runId: string;
  readonly releaseType: ReleaseType;
  /** The nominal time, ISO 8601 UTC. */
  readonly logicalDate: string;
  /** True when a release with `releaseId` existed: nothing was started. */
  readonly duplicate: boolean;
  /** The release workflow's Web UI page, when the UI is known. */
  readonly uiUrl?: string;
  /** Waits for the release to end (a `ReleaseResult` in every case). */
  result(): Promise<ReleaseResult>;
}

/** A release's outcome: a `Result` plus what the release did. */
export class ReleaseResult extends Result {
  readonly releaseType: ReleaseType;
  /** The nominal time, ISO 8601 UTC. */
  readonly logicalDate: string;
  /** True when the release did not run because its run already exists (status SKIP). */
  readonly skipped: boolean;
  readonly reason?: string;
  /** DRYRUN: rendered params and jobs in run order. */
  readonly plan?: { readonly params: Record<string, unknown>; readonly jobs: readonly PlannedJob[] };
  readonly audit?: { readonly written: boolean; readonly where: string };
  /** Temporal workflow id of the release workflow. */
  readonly releaseWorkflowId: string;

  constructor(outcome: ReleaseOutcome, releaseWorkflowId: string) {
    const context: RunContext = outcome.context ?? { params: outcome.plan?.params ?? {}, jobs: {}, status: outcome.status, start: outcome.logicalDate, errors: [...outcome.errors] };
    super({ status: outcome.status, runId: outcome.runId, ...(outcome.parentRunId ? { parentRunId: outcome.parentRunId } : {}), context, errors: outcome.errors });
    this.releaseType = outcome.releaseType;
    this.logicalDate = outcome.logicalDate;
    this.skipped = outcome.skipped ?? false;
    if (outcome.reason) this.reason = outcome.reason;
    if (outcome.plan) this.plan = outcome.plan;
    if (outcome.audit) this.audit = outcome.audit;
    this.releaseWorkflowId = releaseWorkflowId;
  }

  override toJSON(): ReturnType<Result['toJSON']> & Record<string, unknown> {
    return {
      ...super.toJSON(),
      releaseType: this.releaseType,
      logicalDate: this.logicalDate,
      skipped: this.skipped,
      ...(this.reason ? { reason: this.reason } : {}),
      ...(this.plan ? { plan: this.plan } : {}),
      ...(this.audit ? { audit: this.audit } : {}),
      releaseWorkflowId: this.releaseWorkflowId,
    };
  }
}

function toDate(date: Date | string): Date {
  const d = typeof date === 'string' ? new Date(date) : date;
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) {
    throw new WorkflowError(`release time '${String(date)}' is not a date; pass a Date or an ISO 8601 string such as '2024-01-01T09:00:00Z'`);
  }
  return d;
}

/**
 * Checks a manual release time (docs/operations.md "Releases"): it must be a minute at which one
 * of the workflow's cron entries fires, in that entry's timezone, with
 * Temporal's cron semantics (day-of-month AND day-of-week). A workflow
 * without cron entries, or with `manual: true`, accepts any time. Returns
 * the time; throws `WorkflowError` naming the entries and the nearest fire
 * times otherwise.
 */
export function validateReleaseTime(spec: WorkflowSpec, date: Date | string): Date {
  const d = toDate(date);
  if (spec.manual || spec.schedules.length === 0) return d;
  if (matchingEntry(spec, d)) return d;
  const hints = spec.schedules.map((entry) => {
    const next = nextFireTimes(entry.cron, entry.timezone, d, 1)[0];
    return `'${entry.cron}' in ${entry.timezone} (${entry.loc})${next ? `, next at ${next.toISOString()}` : ''}`;
  });
  const seconds = d.getTime() % 60_000 !== 0 ? ' (release times are whole minutes)' : '';
  throw new WorkflowError(
    `release time ${d.toISOString()} of '${spec.name}' matches no cron entry of its on:${seconds}: ${hints.join('; ')}; pass a time an entry fires at, or add \`- manual: true\` to on: to allow any time`,
  );
}

/** The first cron entry that fires at `date` (its `params:` apply to a manual release then). */
export function matchingEntry(spec: WorkflowSpec, date: Date): { cron: string; timezone: string } | undefined {
  if (date.getTime() % 60_000 !== 0) return undefined;
  const entry = spec.schedules.find((e) => cronMatches(e.cron, e.timezone, date));
  return entry ? { cron: entry.cron, timezone: entry.timezone } : undefined;
}

function stamp(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 12);
}

/** The previous run of a release, for RERUN: the option, else the latest audited run, else the NORMAL run id. */
function previousReleaseRun(target: ReleaseTarget, date: Date, options: ReleaseOptions, store: () => AuditStore | undefined): string {
  if (options.parentRunId) return options.parentRunId;
  const records = store()?.forRelease(target.name, releaseKey(date)) ?? [];
  const latest = records.filter((r) => r.type !== ReleaseType.DRYRUN).pop();
  return latest?.runId ?? `tf:${target.name}:${stamp(date)}`;
}

/**
 * Releases `target` at `date` (docs/operations.md "Releases"): validates the time
 * and params, starts the release workflow and waits for it. Resolves with a
 * `ReleaseResult` in every case (SKIP for a release already done, with that
 * run's id); throws before starting for a bad time, bad params, an unknown
 * excluded job, or a RERUN with nothing to rerun.
 */
export async function startRelease(target: ReleaseTarget, date: Date | string, params: Readonly<Record<string, unknown>> = {}, options: ReleaseOptions = {}): Promise<ReleaseResult> {
  const run = async (runtime: TempoflowRuntime) => (await beginRelease(target, date, params, { ...options, runtime })).result();
  if (options.runtime) return run(options.runtime);
  return withSharedRuntime(run, { taskQueue: target.extras.taskQueue });
}

/**
 * Starts a release as {@link startRelease} does and returns at once with its
 * handle (`result()` waits). An EVENT release of a workflow with a `webhook:`
 * entry accepts any time. With `releaseId`, a release of that id that exists
 * already is returned (`duplicate: true`) and nothing starts.
 */
export async function beginRelease(target: ReleaseTarget, date: Date | string, params: Readonly<Record<string, unknown>> = {}, options: ReleaseOptions = {}): Promise<ReleaseHandle> {
  const type = options.releaseType ?? ReleaseType.NORMAL;
  if (!Object.values(ReleaseType).includes(type)) {
    throw new WorkflowError(`unknown release type '${String(type)}'; use one of ${Object.values(ReleaseType).join(', ')}`);
  }
  const when = type === ReleaseType.EVENT && target.spec.webhook ? toDate(date) : validateReleaseTime(target.spec, date);
  for (const job of options.excluded ?? []) {
    if (!target.spec.jobs.some((j) => j.id === job)) {
      throw new WorkflowError(`excluded job '${job}' is not a job of '${target.name}' (jobs: ${target.spec.jobs.map((j) => j.id).join(', ')})`);
    }
  }
  // Bad params fail here, before anything starts (the worker renders them again with the real release.*).
  const provisional: ReleaseInfo = { logical_date: when.toISOString(), execute_date: new Date().toISOString(), run_id: `tf:${target.name}:${stamp(when)}`, type };
  if (type !== ReleaseType.RERUN) {
    const entryParams =
      target.spec.schedules.find((e) => {
        const m = matchingEntry(target.spec, when);
        return m && e.cron === m.cron && e.timezone === m.timezone;
      })?.params ?? {};
    const values = { release: provisional };
    target.parameterize({ ...(renderDeep(entryParams, { values }) as Record<string, unknown>), ...(renderDeep(params, { values }) as Record<string, unknown>) });
  }

  const begin = async (runtime: TempoflowRuntime): Promise<ReleaseHandle> => {
    let store: AuditStore | undefined;
    const openStore = () => (store ??= clientAuditStore());
    try {
      let rerun: ReleaseInput['rerun'];
      if (type === ReleaseType.RERUN) {
        const previous = previousReleaseRun(target, when, options, openStore);
        const snapshot = await loadRunSnapshot(runtime, previous, openStore);
        const { rerun: _jobs, ...reuse } = planRerun(snapshot.spec, snapshot.context, { fromRunId: previous });
        rerun = { spec: snapshot.spec, params: snapshot.params, reuse };
      }
      const input: ReleaseInput = {
        workflow: target.name,
        releaseType: type,
        releaseTime: when.toISOString(),
        params,
        ...(matchingEntry(target.spec, when) ? { entry: matchingEntry(target.spec, when)! } : {}),
        project: projectName(),
        confPath: target.confPath,
        ...(options.runId ? { runId: options.runId } : {}),
        ...(options.parentRunId ? { parentRunId: options.parentRunId } : {}),
        ...((options.audit ?? target.extras.auditEnabled) !== undefined ? { audit: options.audit ?? target.extras.auditEnabled } : {}),
        ...(options.overrideLogName ? { overrideLogName: options.overrideLogName } : {}),
        ...((options.timeout ?? target.extras.timeout) ? { timeoutSeconds: options.timeout ?? target.extras.timeout } : {}),
        ...(options.excluded?.length ? { excluded: options.excluded } : {}),
        ...((options.maxJobParallel ?? target.extras.maxJobParallel) ? { maxJobParallel: options.maxJobParallel ?? target.extras.maxJobParallel } : {}),
        ...(options.heartbeatTimeoutMs ? { activity: { heartbeatTimeoutMs: options.heartbeatTimeoutMs } } : {}),
        ...(rerun ? { rerun } : {}),
      };
      const releaseWorkflowId = options.releaseId ?? `tf-release:${target.name}:${stamp(when)}:${type.toLowerCase()}:${randomBytes(3).toString('hex')}`;
      let handle: WorkflowHandle;
      let firstRunId: string;
      let duplicate = false;
      try {
        const started = await runtime.client.workflow.start(RELEASE_WORKFLOW_TYPE, {
          workflowId: releaseWorkflowId,
          taskQueue: target.extras.taskQueue ?? runtime.taskQueue,
          args: [input],
          staticSummary: `tempoflow: release ${target.name} ${when.toISOString()} (${type})`,
          ...(options.releaseId ? { workflowIdReusePolicy: 'REJECT_DUPLICATE' as const } : {}),
        });
        handle = started;
        firstRunId = started.firstExecutionRunId;
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError) || !options.releaseId) throw err;
        handle = runtime.client.workflow.getHandle(releaseWorkflowId);
        firstRunId = (await handle.describe()).runId;
        duplicate = true;
      }
      const runId = options.runId ?? releaseRunId(type, target.name, when.toISOString(), firstRunId);
      const uiUrl = runtime.uiLink(releaseWorkflowId);
      if (!duplicate) options.onStart?.({ releaseWorkflowId, ...(options.runId ? { runId: options.runId } : {}), ...(uiUrl ? { uiUrl } : {}) });
      const releaseHandle = handle;
      return {
        releaseWorkflowId,
        runId,
        releaseType: type,
        logicalDate: when.toISOString(),
        duplicate,
        ...(uiUrl ? { uiUrl } : {}),
        result: () => {
          const wait = async (rt: TempoflowRuntime) => awaitRelease(rt === runtime ? releaseHandle : rt.client.workflow.getHandle(releaseWorkflowId), releaseWorkflowId, type, when);
          return options.runtime ? wait(options.runtime) : withSharedRuntime(wait, { taskQueue: target.extras.taskQueue });
        },
      };
    } finally {
      store?.close();
    }
  };
  if (options.runtime) return begin(options.runtime);
  return withSharedRuntime(begin, { taskQueue: target.extras.taskQueue });
}

/** Waits for a release workflow; a failed release (invalid YAML, bad params on the worker) becomes a FAILED result. */
export async function awaitRelease(handle: WorkflowHandle, releaseWorkflowId: string, type: ReleaseType, when: Date): Promise<ReleaseResult> {
  try {
    return new ReleaseResult((await handle.result()) as ReleaseOutcome, releaseWorkflowId);
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = err.cause as (Error & { type?: string }) | undefined;
    const error: ErrorInfo = { name: cause?.type ?? cause?.name ?? 'WorkflowFailedError', message: cause?.message ?? err.message };
    const status = cause?.name === 'CancelledFailure' ? Status.CANCEL : Status.FAILED;
    return new ReleaseResult({ status, runId: '', releaseType: type, logicalDate: when.toISOString(), errors: [error] }, releaseWorkflowId);
  }
}

/** A finished run's inputs and final context: what a rerun starts from. */
export interface RunSnapshot {
  readonly runId: string;
  /** The run's YAML snapshot. */
  readonly spec: WorkflowSpec;
  /** Its parameterized params. */
  readonly params: Record<string, unknown>;
  readonly context: RunContext;
  /** The `release.*` namespace, when it was a release. */
  readonly release?: ReleaseInfo;
  readonly extras?: Record<string, unknown>;
  readonly confPath?: string;
  /** Where it was found. */
  readonly source: 'temporal' | 'audit';
}

/**
 * Fetches a finished run's snapshot: its input from the first event of its
 * history (decoded with the client's data converter) and its context from
 * its end; after Temporal's retention, from its audit record. Throws
 * `WorkflowError` when the run still runs or cannot be found anywhere.
 */
export async function loadRunSnapshot(runtime: TempoflowRuntime, runId: string, auditStore: () => AuditStore | undefined = () => undefined): Promise<RunSnapshot> {
  const client = runtime.client;
  const handle = client.workflow.getHandle(runId);
  try {
    const description = await handle.describe();
    if (description.type !== RUN_WORKFLOW_TYPE) {
      throw new WorkflowError(`'${runId}' is a ${description.type} execution, not a tempoflow run; pass the id of a run (tempoflow runs lists them)`);
    }
    if (description.status.name === 'RUNNING') {
      throw new WorkflowError(`run ${runId} is still running; wait for it to end (tempoflow status ${runId}) or cancel it (tempoflow cancel ${runId}) before rerunning it`);
    }
    const input = await readResolvedRunInput(runtime, runId, description.runId);
    if (!input)
      throw new WorkflowError(`run ${runId}: its history has no YAML snapshot (no start event, or a run started by name that never loaded its workflow); start it again instead of rerunning it`);
    const result = await awaitResult(handle, runId);
    return {
      runId,
      spec: input.spec,
      params: input.params,
      context: result.context,
      ...(input.release ? { release: input.release } : {}),
      extras: input.extras,
      ...(input.confPath ? { confPath: input.confPath } : {}),
      source: 'temporal',
    };
  } catch (err) {
    if (!(err instanceof TemporalNotFound)) throw err;
    const store = auditStore();
    const record = store?.findRun(runId);
    if (!record) {
      throw new WorkflowError(
        `no run '${runId}' on ${runtime.address} (namespace ${runtime.namespace})${store ? ` and no audit record of it in ${store.location}` : ' (auditing is off, so no record was searched)'}; check the id with \`tempoflow runs\` or \`tempoflow audit list <workflow>\``,
      );
    }
    if (!record.spec || !record.context) {
      throw new WorkflowError(`the audit record of run ${runId} (${store!.location}) has no YAML snapshot or context (written by an older tempoflow); it cannot be rerun`);
    }
    return {
      runId,
      spec: record.spec,
      params: record.params,
      context: record.context,
      release: { logical_date: record.release, execute_date: record.timing.executeDate, run_id: runId, type: record.type },
      source: 'audit',
    };
  }
}

/** Options of `rerun()` (docs/api.md). */
export interface RerunOptions {
  /** Run id of the new run (default: a new one). */
  readonly runId?: string;
  /** `<job>.<stage>`: restart that failed job from that stage, keeping the earlier stages. */
  readonly fromStage?: string;
  /** Run timeout, seconds (default: the YAML's `timeout:`, else `WORKFLOW_CORE_TIMEOUT` or 3600). */
  readonly timeout?: number;
  readonly maxJobParallel?: number;
  /** Aborting cancels the new run. */
  readonly signal?: AbortSignal;
  readonly runtime?: TempoflowRuntime;
  readonly heartbeatTimeoutMs?: number;
  /** The workflow when called as `Workflow.rerun` (its conf path, extras and task queue; and its spec for a bare context). */
  readonly target?: ReleaseTarget;
  readonly taskQueue?: string;
  /** Called once the new run has started. */
  readonly onStart?: (info: { runId: string; parentRunId: string; rerun: readonly string[]; handle: WorkflowHandle; uiUrl?: string }) => void;
}

/**
 * A run to rerun: its id, a `Result` (id and context), or a bare context —
 * a Result's `context`, or one written by hand as the seed does
 * (`{ params, jobs: { <id>: { status } } }`; needs `options.target`).
 */
export type RerunSource = string | { readonly runId: string; readonly context: RunContext } | RunContext | JobsContext;

/** A rerun that was started, before it ends. */
export interface RerunStart {
  /** The new run's handle (`result()` waits for it). */
  readonly run: RunHandle;
  /** The run it reruns. */
  readonly parentRunId: string;
  /** Jobs that run again (the others are reused). */
  readonly rerun: readonly string[];
}

/**
 * Reruns a previous run (docs/operations.md "Rerun"): every job that did not succeed
 * and everything that depends on it runs again; the rest is kept (marked
 * reused). Resolves with the new run's `Result`; throws `WorkflowError`
 * (or `RerunPlanError`) before starting when the run cannot be rerun.
 */
export async function rerunRun(source: RerunSource, options: RerunOptions = {}): Promise<Result> {
  const run = async (runtime: TempoflowRuntime): Promise<Result> => {
    const { run: handle } = await startRerun(source, { ...options, runtime });
    const onAbort = () => void handle.cancel().catch(() => undefined);
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await handle.result();
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  };
  if (options.runtime) return run(options.runtime);
  return withSharedRuntime(run, { taskQueue: options.taskQueue ?? options.target?.extras.taskQueue });
}

/**
 * Starts a rerun as {@link rerunRun} does and returns at once with the new
 * run's handle and what it reruns. Throws before starting, as `rerunRun` does.
 */
export async function startRerun(source: RerunSource, options: Omit<RerunOptions, 'signal'> = {}): Promise<RerunStart> {
  const run = async (runtime: TempoflowRuntime): Promise<RerunStart> => {
    let store: AuditStore | undefined;
    const openStore = () => (store ??= clientAuditStore());
    try {
      let snapshot: Omit<RunSnapshot, 'source'>;
      if (typeof source === 'string') {
        snapshot = await loadRunSnapshot(runtime, source, openStore);
        if (options.target && options.target.name !== snapshot.spec.name) {
          throw new WorkflowError(
            `run ${source} is a run of '${snapshot.spec.name}', not of '${options.target.name}'; rerun it with Workflow.fromConf('${snapshot.spec.name}') or \`tempoflow rerun ${source}\``,
          );
        }
      } else {
        const target = options.target;
        if (!target) throw new WorkflowError('rerun from a context needs the workflow: call workflow.rerun(context), or pass a run id');
        const fromResult = 'context' in source && 'runId' in source && typeof source.runId === 'string';
        const runId = fromResult ? source.runId : 'context';
        // A Result's context, or one written by hand as the seed does: checked, each job's entry completed.
        const given = readContextInput(target.spec, fromResult ? source.context : source, fromResult ? 'result.context' : 'context');
        // A Result's params were parameterized when it ran; hand-written ones are checked now.
        const params = fromResult ? (given.params ?? {}) : target.parameterize(given.params ?? {});
        const context: RunContext = { params, jobs: given.jobs, status: Status.FAILED, start: new Date().toISOString(), errors: [] };
        snapshot = { runId, spec: target.spec, params, context, confPath: target.confPath };
      }
      const { rerun, ...reuse } = planRerun(snapshot.spec, snapshot.context, { fromRunId: snapshot.runId, ...(options.fromStage ? { fromStage: options.fromStage } : {}) });
      const plan: ReusePlan = reuse;
      const runId = options.runId ?? newRunId(snapshot.spec.name);
      const input: RunInput = {
        spec: snapshot.spec,
        params: snapshot.params,
        runId,
        parentRunId: snapshot.runId,
        timeoutSeconds: options.timeout ?? options.target?.extras.timeout ?? snapshot.spec.timeoutSeconds ?? defaultTimeoutSeconds(),
        maxJobParallel: options.maxJobParallel ?? options.target?.extras.maxJobParallel ?? defaultMaxJobParallel(),
        extras: snapshot.extras ?? {},
        ...(options.heartbeatTimeoutMs ? { activity: { heartbeatTimeoutMs: options.heartbeatTimeoutMs } } : {}),
        ...((options.target?.confPath ?? snapshot.confPath) ? { confPath: options.target?.confPath ?? snapshot.confPath } : {}),
        ...(snapshot.release ? { release: { ...snapshot.release, run_id: runId, type: ReleaseType.RERUN } } : {}),
        reuse: plan,
        project: projectName(),
      };
      const handle = await startOnceAttributesAreMapped(() =>
        runtime.client.workflow.start(RUN_WORKFLOW_TYPE, {
          workflowId: runId,
          taskQueue: options.taskQueue ?? options.target?.extras.taskQueue ?? runtime.taskQueue,
          args: [input],
          staticSummary: `tempoflow: ${snapshot.spec.name} (rerun of ${snapshot.runId})`.slice(0, 200),
          typedSearchAttributes: toTypedPairs(
            runSearchAttributeValues(runtime.searchAttributes.available, {
              workflow: snapshot.spec.name,
              releaseType: ReleaseType.RERUN,
              ...(snapshot.release ? { releaseTime: snapshot.release.logical_date } : {}),
            }),
          ),
        }),
      );
      const uiUrl = runtime.uiLink(runId, handle.firstExecutionRunId);
      options.onStart?.({ runId, parentRunId: snapshot.runId, rerun, handle, ...(uiUrl ? { uiUrl } : {}) });
      const connection: RunConnection = options.runtime ? { runtime: options.runtime } : { shared: { taskQueue: options.taskQueue ?? options.target?.extras.taskQueue } };
      const newRun = new RunHandle({ runId, workflowName: snapshot.spec.name, attached: false, temporalRunId: handle.firstExecutionRunId, ...(uiUrl ? { uiUrl } : {}), connection });
      return { run: newRun, parentRunId: snapshot.runId, rerun };
    } finally {
      store?.close();
    }
  };
  if (options.runtime) return run(options.runtime);
  return withSharedRuntime(run, { taskQueue: options.taskQueue ?? options.target?.extras.taskQueue });
}
