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
import { defineSearchAttributeKey, SearchAttributeType, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ApplicationFailure, CancellationScope, isCancellation, log, proxyActivities, startChild, workflowInfo, WorkflowIdReusePolicy } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { ErrorInfo, RunContext, RunOutcome } from '../engine/context.js';
import { analyzeDag } from '../engine/dag.js';
import type { WorkflowSpec } from '../engine/spec.js';
import { Status } from '../engine/status.js';
import { childEnding } from './child-outcome.js';
import {
  ReleaseType,
  releaseRunId,
  RUN_WORKFLOW_TYPE,
  toTypedPairs,
  type PlannedJob,
  type ReleaseInfo,
  type ReleaseInput,
  type ReleaseOutcome,
  type RunInput,
  type SearchAttributeValue,
} from './definitions.js';

/** Run timeout of a release when neither the caller nor the YAML sets one (docs/operations.md, "Releases"). */
export const DEFAULT_RELEASE_TIMEOUT_SECONDS = 600;

const { prepareRelease, findReleaseAudit } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 5 },
});

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

/** Who a release is: its type, nominal time, run id, and the fields every outcome carries. */
interface ReleaseIdentity {
  readonly type: ReleaseType;
  readonly logicalDate: string;
  readonly executeDate: string;
  readonly runId: string;
  readonly base: Pick<ReleaseOutcome, 'releaseType' | 'logicalDate' | 'parentRunId'>;
}

/** How a release's run ended. */
interface RunEnding {
  readonly status: Status;
  readonly context?: RunContext;
  readonly errors: ErrorInfo[];
  readonly started: string;
  readonly temporalRunId?: string;
  /** Set when this release itself was cancelled: thrown once the audit record is written. */
  readonly cancelled?: unknown;
}

/** One release; see the module comment. */
export async function tempoflowRelease(input: ReleaseInput): Promise<ReleaseOutcome> {
  const id = releaseIdentity(input);
  const { type, logicalDate, executeDate, runId, base } = id;

  // After Temporal's retention, the audit store is what remembers a release.
  if ((type === ReleaseType.NORMAL || type === ReleaseType.EVENT) && input.audit !== false && input.runId === undefined) {
    const existing = await findReleaseAudit({ workflow: input.workflow, releaseKey: auditKey(logicalDate) });
    if (existing) {
      log.info(`release ${input.workflow} @ ${logicalDate}: SKIP, audited run ${existing.runId} (${existing.status})`);
      return {
        ...base,
        status: Status.SKIP,
        runId: existing.runId,
        skipped: true,
        reason: `release already done: audit record of run ${existing.runId} (${existing.status}) in ${existing.where}`,
        errors: [],
      };
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
  const onlyJobs = excluded.size > 0 ? spec.jobs.map((j) => j.id).filter((jobId) => !excluded.has(jobId)) : undefined;

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
    ...(input.project ? { project: input.project } : {}),
  };
  const ended = await runRelease(input, id, runInput, prepared.searchAttributes);
  if (!ended) {
    log.info(`release ${input.workflow} @ ${logicalDate}: SKIP, run ${runId} exists`);
    return { ...base, status: Status.SKIP, runId, skipped: true, reason: `release already done: run ${runId} exists (whatever its outcome)`, errors: [] };
  }
  const audit = (input.audit ?? prepared.auditEnabled) ? await writeReleaseAudit(input, id, spec, params, ended) : undefined;
  if (ended.cancelled) throw ended.cancelled;
  const { status, context, errors } = ended;
  return { ...base, status, runId, ...(context ? { context } : {}), errors, ...(audit ? { audit } : {}) };
}

/**
 * The release's type, nominal time (the input's, else the schedule's) and run id.
 * @throws {ApplicationFailure} `TempoflowReleaseInvalid` without a nominal time.
 */
function releaseIdentity(input: ReleaseInput): ReleaseIdentity {
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
  const runId = input.runId ?? releaseRunId(type, input.workflow, logicalDate, info.runId);
  const base = { releaseType: type, logicalDate, ...(input.parentRunId ? { parentRunId: input.parentRunId } : {}) };
  return { type, logicalDate, executeDate, runId, base };
}

/**
 * Starts the run as a child with a reject-duplicate policy and waits for its
 * end; `undefined` when a run of that id already exists (whatever its outcome).
 */
async function runRelease(input: ReleaseInput, id: ReleaseIdentity, runInput: RunInput, searchAttributes: readonly SearchAttributeValue[]): Promise<RunEnding | undefined> {
  const started = new Date().toISOString();
  let temporalRunId: string | undefined;
  try {
    const child = await startChild<(input: RunInput) => Promise<RunOutcome>>(RUN_WORKFLOW_TYPE, {
      workflowId: id.runId,
      args: [runInput],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: toTypedPairs(searchAttributes),
      staticSummary: `tempoflow: ${input.workflow} release ${id.logicalDate} (${id.type})`.slice(0, 200),
    });
    temporalRunId = child.firstExecutionRunId;
    try {
      const outcome = await child.result();
      return { status: outcome.status, ...(outcome.context ? { context: outcome.context } : {}), errors: [...outcome.errors], started, temporalRunId };
    } catch (err) {
      const ending = childEnding<RunContext>(err);
      if (!ending) throw err;
      const context = ending.context;
      return {
        status: ending.status,
        ...(context ? { context } : {}),
        errors: context?.errors.length ? [...context.errors] : [ending.error],
        started,
        temporalRunId,
        // Only a cancellation of this release ends it Cancelled; a run cancelled on its own is recorded as CANCEL.
        ...(CancellationScope.current().consideredCancelled ? { cancelled: err } : {}),
      };
    }
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return undefined;
    if (!isCancellation(err)) throw err;
    // Cancelled before the child reported: record what is known.
    return {
      status: Status.CANCEL,
      errors: [{ name: 'CancelledFailure', message: `release of '${input.workflow}' at ${id.logicalDate} was cancelled` }],
      started,
      ...(temporalRunId ? { temporalRunId } : {}),
      cancelled: err,
    };
  }
}

/** Writes the release's audit record, even when it was cancelled; retried until it lands (idempotent). */
async function writeReleaseAudit(input: ReleaseInput, id: ReleaseIdentity, spec: WorkflowSpec, params: Record<string, unknown>, ended: RunEnding): Promise<ReleaseOutcome['audit']> {
  const info = workflowInfo();
  const end = new Date().toISOString();
  const { status, context, errors, started, temporalRunId } = ended;
  return CancellationScope.nonCancellable(() =>
    proxyActivities<Activities>({
      startToCloseTimeout: '1 minute',
      heartbeatTimeout: input.activity?.heartbeatTimeoutMs ?? 10_000,
      retry: { initialInterval: '1s', maximumInterval: '1 minute' },
      ...(input.activity?.taskQueue ? { taskQueue: input.activity.taskQueue } : {}),
    }).writeAudit({
      version: 1,
      workflow: input.workflow,
      release: id.logicalDate,
      releaseKey: auditKey(id.logicalDate),
      type: id.type,
      status,
      params,
      ...(context ? { context } : {}),
      runId: id.runId,
      ...(input.parentRunId ? { parentRunId: input.parentRunId } : {}),
      ...(temporalRunId ? { temporalRunId } : {}),
      releaseWorkflowId: info.workflowId,
      releaseRunId: info.runId,
      ...(input.project ? { project: input.project } : {}),
      ...(input.overrideLogName ? { logName: input.overrideLogName } : {}),
      timing: { executeDate: id.executeDate, start: started, end, durationMs: Date.parse(end) - Date.parse(id.executeDate) },
      errors,
      spec,
    }),
  );
}
