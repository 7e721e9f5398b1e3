/**
 * The release workflow `tempoflowRelease`: one release of a tempoflow
 * workflow at a nominal time, started by a Temporal Schedule (one per cron
 * entry) or by `release()` / `tempoflow release`.
 *
 * 1. The nominal time: the input's `releaseTime`, else the schedule's
 *    `TemporalScheduledStartTime` search attribute.
 * 2. NORMAL and EVENT: an audit record of that release means SKIP (Temporal
 *    may have dropped the run after its retention; the audit store has not).
 * 3. `prepareRelease` (activity) loads the current YAML, renders params with
 *    `release.*`, and says what the worker has (audit on, search attributes).
 * 4. The run starts as a child `tempoflowRun` with id
 *    `tf:<workflow>:<UTC yyyymmddHHMM>` (FORCE and RERUN add a suffix) and a
 *    reject-duplicate policy: an existing run of that id, whatever its
 *    outcome, makes the release a SKIP carrying that run's id.
 * 5. The audit record is written through an idempotent activity, once.
 *
 * Deterministic workflow code: no I/O, no Node built-ins, SDK time only.
 */
import { defineSearchAttributeKey, SearchAttributeType, WorkflowExecutionAlreadyStartedError, type SearchAttributePair } from '@temporalio/common';
import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  ChildWorkflowFailure,
  isCancellation,
  log,
  proxyActivities,
  startChild,
  TerminatedFailure,
  TimeoutFailure,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { SearchAttributeValue } from '../client/search-attributes.js';
import type { ErrorInfo, RunContext, RunOutcome } from '../engine/context.js';
import { analyzeDag } from '../engine/dag.js';
import type { WorkflowSpec } from '../engine/spec.js';
import { Status } from '../engine/status.js';
import { ReleaseType, RUN_WORKFLOW_TYPE, RunFailureType, type ActivityTuning, type ReleaseInfo, type ReusePlan, type RunInput } from './definitions.js';

/** Run timeout of a release when neither the caller nor the YAML sets one (SPEC §4). */
export const DEFAULT_RELEASE_TIMEOUT_SECONDS = 600;

/** Input of one release. Schedules pass `workflow`, `schedule`, `project`, `confPath` and `params`. */
export interface ReleaseInput {
  readonly workflow: string;
  /** Default NORMAL. */
  readonly releaseType?: ReleaseType;
  /** The nominal time, ISO 8601; absent for schedule-fired releases (read from `TemporalScheduledStartTime`). */
  readonly releaseTime?: string;
  /** Caller params; may hold `${{ release.* }}`; win over the cron entry's `params:`. */
  readonly params?: Readonly<Record<string, unknown>>;
  /** Set by schedules: the cron entry (its `params:` apply) and the schedule id. */
  readonly schedule?: { readonly id: string; readonly cron: string; readonly timezone: string };
  /** Manual releases: the cron entry the release time matches (its `params:` apply). */
  readonly entry?: { readonly cron: string; readonly timezone: string };
  /** `WORKFLOW_CORE_PROJECT` of whoever released it (recorded). */
  readonly project?: string;
  /** Conf path of whoever released it; workers use it when it exists there. */
  readonly confPath?: string;
  /** Run id of the release's run (default `tf:<workflow>:<yyyymmddHHMM>`, with a suffix for FORCE and RERUN). */
  readonly runId?: string;
  readonly parentRunId?: string;
  /** Write the audit record (default: the worker's `WORKFLOW_CORE_AUDIT_ENABLED`). */
  readonly audit?: boolean;
  /** A name recorded in the audit record instead of the workflow's (seed's `override_log_name`). */
  readonly overrideLogName?: string;
  /** Run timeout in seconds (default: the YAML's `timeout:`, else 600). */
  readonly timeoutSeconds?: number;
  /** Jobs not to run in this release. */
  readonly excluded?: readonly string[];
  /** Jobs running at once (default: the worker's `WORKFLOW_CORE_MAX_JOB_PARALLEL`, else 2). */
  readonly maxJobParallel?: number;
  readonly extras?: Record<string, unknown>;
  readonly activity?: ActivityTuning;
  /** RERUN: the run to rerun, its YAML snapshot and params, and what to keep (prepared by the client). */
  readonly rerun?: { readonly spec: WorkflowSpec; readonly params: Record<string, unknown>; readonly reuse: ReusePlan };
}

/** One job of a DRYRUN plan, in run order. */
export interface PlannedJob {
  readonly id: string;
  readonly needs: readonly string[];
  readonly stages: readonly string[];
  readonly matrix: boolean;
}

/** What a release returns. */
export interface ReleaseOutcome {
  readonly status: Status;
  /** The run's id (for a SKIP: the existing run's). */
  readonly runId: string;
  readonly parentRunId?: string;
  readonly releaseType: ReleaseType;
  /** The nominal time, ISO 8601 UTC. */
  readonly logicalDate: string;
  /** True when the release did not run because its run already exists. */
  readonly skipped?: boolean;
  /** Why it was skipped. */
  readonly reason?: string;
  readonly context?: RunContext;
  readonly errors: readonly ErrorInfo[];
  /** DRYRUN: the rendered params and the jobs in run order. */
  readonly plan?: { readonly params: Record<string, unknown>; readonly jobs: readonly PlannedJob[] };
  /** Where the audit record is, when one was written (or found). */
  readonly audit?: { readonly written: boolean; readonly where: string };
}

const { prepareRelease, findReleaseAudit } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 5 },
});

/** `tf:<workflow>:<UTC yyyymmddHHMM>`: the run id of a NORMAL release. */
export function releaseRunId(workflow: string, logicalDate: string): string {
  return `tf:${workflow}:${logicalDate.replace(/[-:T]/g, '').slice(0, 12)}`;
}

/** `YYYYmmddHHMMSS` of an ISO time (the audit key). */
function auditKey(iso: string): string {
  return iso.replace(/[-:T]/g, '').slice(0, 14);
}

const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/** The nominal time of a schedule-fired release. */
function scheduledStartTime(): Date | undefined {
  const info = workflowInfo();
  const typed = info.typedSearchAttributes.get(SCHEDULED_START);
  if (typed instanceof Date) return typed;
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const legacy = info.searchAttributes?.TemporalScheduledStartTime?.[0];
  if (legacy instanceof Date) return legacy;
  if (typeof legacy === 'string') return new Date(legacy);
  return undefined;
}

function typedPairs(values: readonly SearchAttributeValue[]): SearchAttributePair[] {
  return values.map((v) =>
    v.type === 'DATETIME'
      ? { key: defineSearchAttributeKey(v.name, SearchAttributeType.DATETIME), value: new Date(v.value) }
      : { key: defineSearchAttributeKey(v.name, SearchAttributeType.KEYWORD), value: v.value },
  ) as SearchAttributePair[];
}

/** The jobs in run order with their stage ids (DRYRUN). */
function planJobs(spec: WorkflowSpec, onlyJobs: readonly string[] | undefined): PlannedJob[] {
  const only = onlyJobs ? new Set(onlyJobs) : undefined;
  const byId = new Map(spec.jobs.map((j) => [j.id, j]));
  const order = analyzeDag(Object.fromEntries(spec.jobs.map((j) => [j.id, { needs: j.needs }]))).order;
  return order
    .filter((id) => !only || only.has(id))
    .map((id) => {
      const job = byId.get(id)!;
      return { id, needs: only ? job.needs.filter((n) => only.has(n)) : [...job.needs], stages: job.stages.map((s) => s.id), matrix: job.strategy !== undefined };
    });
}

/** The end of a child run, as a status and the context its failure carried. */
function childEnding(err: unknown): { status: Status; context?: RunContext; error: ErrorInfo } | undefined {
  if (!(err instanceof ChildWorkflowFailure)) return undefined;
  const cause = err.cause;
  if (cause instanceof CancelledFailure) {
    const detail = cause.details?.[0] as RunContext | undefined;
    return { status: Status.CANCEL, ...(detail?.jobs ? { context: detail } : {}), error: { name: 'CancelledFailure', message: cause.message } };
  }
  if (cause instanceof ApplicationFailure) {
    const detail = cause.details?.[0] as RunContext | undefined;
    const status = cause.type === RunFailureType.TIMEOUT ? Status.TIMEOUT : Status.FAILED;
    return { status, ...(detail?.jobs ? { context: detail } : {}), error: { name: cause.type ?? 'ApplicationFailure', message: cause.message } };
  }
  if (cause instanceof TerminatedFailure) return { status: Status.CANCEL, error: { name: 'TerminatedFailure', message: `the run was terminated: ${cause.message}` } };
  if (cause instanceof TimeoutFailure) return { status: Status.TIMEOUT, error: { name: 'TimeoutFailure', message: cause.message } };
  return { status: Status.FAILED, error: { name: cause?.name ?? 'ChildWorkflowFailure', message: cause?.message ?? err.message } };
}

/** One release; see the module comment. */
export async function tempoflowRelease(input: ReleaseInput): Promise<ReleaseOutcome> {
  const info = workflowInfo();
  const type = input.releaseType ?? ReleaseType.NORMAL;
  const nominal = input.releaseTime !== undefined ? new Date(input.releaseTime) : scheduledStartTime();
  if (!nominal || Number.isNaN(nominal.getTime())) {
    throw ApplicationFailure.nonRetryable(
      `release of '${input.workflow}' has no release time: pass releaseTime (ISO 8601) or start it from a Temporal Schedule (which sets TemporalScheduledStartTime)`,
      'TempoflowReleaseInvalid',
    );
  }
  const logicalDate = nominal.toISOString();
  const executeDate = new Date().toISOString();
  const baseId = releaseRunId(input.workflow, logicalDate);
  const suffix = info.runId.slice(0, 8);
  const runId =
    input.runId ?? (type === ReleaseType.FORCE ? `${baseId}:force-${suffix}` : type === ReleaseType.RERUN ? `${baseId}:rerun-${suffix}` : type === ReleaseType.DRYRUN ? `${baseId}:dryrun-${suffix}` : baseId);
  const base = { releaseType: type, logicalDate, ...(input.parentRunId ? { parentRunId: input.parentRunId } : {}) };

  // After Temporal's retention, the audit store is what remembers a release.
  if ((type === ReleaseType.NORMAL || type === ReleaseType.EVENT) && input.audit !== false && input.runId === undefined) {
    const existing = await findReleaseAudit({ workflow: input.workflow, releaseKey: auditKey(logicalDate) });
    if (existing) {
      log.info(`release ${input.workflow} @ ${logicalDate}: SKIP, audited run ${existing.runId} (${existing.status})`);
      return { ...base, status: Status.SKIP, runId: existing.runId, skipped: true, reason: `release already done: audit record of run ${existing.runId} (${existing.status}) in ${existing.where}`, errors: [] };
    }
  }

  const release: ReleaseInfo = { logical_date: logicalDate, execute_date: executeDate, run_id: runId, type };
  const prepared = await prepareRelease({
    workflow: input.workflow,
    ...(input.confPath ? { confPath: input.confPath } : {}),
    release,
    params: input.params ?? {},
    ...(input.schedule ? { schedule: { cron: input.schedule.cron, timezone: input.schedule.timezone } } : input.entry ? { schedule: input.entry } : {}),
    ...(input.rerun ? { snapshot: { spec: input.rerun.spec, params: input.rerun.params } } : {}),
  });
  if (!prepared.ok) {
    throw ApplicationFailure.nonRetryable(`release of '${input.workflow}' at ${logicalDate}: ${prepared.error.message}`, prepared.error.name);
  }
  const { spec, params } = prepared;
  const excluded = new Set(input.excluded ?? []);
  const onlyJobs = excluded.size > 0 ? spec.jobs.map((j) => j.id).filter((id) => !excluded.has(id)) : undefined;

  if (type === ReleaseType.DRYRUN) {
    return { ...base, status: Status.SUCCESS, runId, errors: [], plan: { params, jobs: planJobs(spec, onlyJobs) } };
  }

  const runInput: RunInput = {
    spec,
    params,
    runId,
    ...(input.parentRunId ? { parentRunId: input.parentRunId } : {}),
    timeoutSeconds: input.timeoutSeconds ?? spec.timeoutSeconds ?? DEFAULT_RELEASE_TIMEOUT_SECONDS,
    maxJobParallel: input.maxJobParallel ?? prepared.maxJobParallel,
    extras: input.extras ?? {},
    ...(onlyJobs ? { onlyJobs } : {}),
    ...(input.activity ? { activity: input.activity } : {}),
    ...(input.confPath ? { confPath: input.confPath } : {}),
    release,
    ...(input.rerun ? { reuse: input.rerun.reuse } : {}),
  };

  const started = new Date().toISOString();
  let status: Status;
  let context: RunContext | undefined;
  let errors: ErrorInfo[] = [];
  let temporalRunId: string | undefined;
  let cancelled: unknown;
  try {
    const child = await startChild<(input: RunInput) => Promise<RunOutcome>>(RUN_WORKFLOW_TYPE, {
      workflowId: runId,
      args: [runInput],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: typedPairs(prepared.searchAttributes),
      staticSummary: `tempoflow: ${input.workflow} release ${logicalDate} (${type})`.slice(0, 200),
    });
    temporalRunId = child.firstExecutionRunId;
    try {
      const outcome = await child.result();
      status = outcome.status;
      context = outcome.context;
      errors = [...outcome.errors];
    } catch (err) {
      const ending = childEnding(err);
      if (!ending) throw err;
      // Only a cancellation of this release ends it Cancelled; a run cancelled on its own is recorded as CANCEL.
      if (CancellationScope.current().consideredCancelled) cancelled = err;
      status = ending.status;
      context = ending.context;
      errors = context?.errors.length ? [...context.errors] : [ending.error];
    }
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      log.info(`release ${input.workflow} @ ${logicalDate}: SKIP, run ${runId} exists`);
      return { ...base, status: Status.SKIP, runId, skipped: true, reason: `release already done: run ${runId} exists (whatever its outcome)`, errors: [] };
    }
    if (!isCancellation(err)) throw err;
    // Cancelled before the child reported: record what is known.
    cancelled = err;
    status = Status.CANCEL;
    errors = [{ name: 'CancelledFailure', message: `release of '${input.workflow}' at ${logicalDate} was cancelled` }];
  }

  let audit: ReleaseOutcome['audit'];
  if (input.audit ?? prepared.auditEnabled) {
    const end = new Date().toISOString();
    // Written even when the release was cancelled; retried until it lands (idempotent).
    audit = await CancellationScope.nonCancellable(() =>
      proxyActivities<Activities>({
        startToCloseTimeout: '1 minute',
        heartbeatTimeout: input.activity?.heartbeatTimeoutMs ?? 10_000,
        retry: { initialInterval: '1s', maximumInterval: '1 minute' },
        ...(input.activity?.taskQueue ? { taskQueue: input.activity.taskQueue } : {}),
      }).writeAudit({
        version: 1,
        workflow: input.workflow,
        release: logicalDate,
        releaseKey: auditKey(logicalDate),
        type,
        status,
        params,
        ...(context ? { context } : {}),
        runId,
        ...(input.parentRunId ? { parentRunId: input.parentRunId } : {}),
        ...(temporalRunId ? { temporalRunId } : {}),
        releaseWorkflowId: info.workflowId,
        releaseRunId: info.runId,
        ...(input.project ? { project: input.project } : {}),
        ...(input.overrideLogName ? { logName: input.overrideLogName } : {}),
        timing: { executeDate, start: started, end, durationMs: Date.parse(end) - Date.parse(executeDate) },
        errors,
        spec,
      }),
    );
  }
  if (cancelled) throw cancelled;
  return { ...base, status, runId, ...(context ? { context } : {}), errors, ...(audit ? { audit } : {}) };
}
