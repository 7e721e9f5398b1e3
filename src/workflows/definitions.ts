/**
 * The public contract of tempoflow's Temporal workflows: their type names,
 * inputs, queries and signals. Shared by workflow code and clients.
 */
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { GroupSignalName, type ConcurrencyContext } from '../engine/concurrency.js';
import type { ErrorInfo, JobContext, RunContext, StageContext, StrategyContext } from '../engine/context.js';
import type { ReleaseInfo, ReleaseType } from '../engine/release.js';
import type { PreparedRun, RunByNameInput } from '../engine/run-request.js';
import type { SearchAttributeValue } from '../engine/search-attributes.js';
import type { JobSpec, WorkflowSpec } from '../engine/spec.js';
import type { Status } from '../engine/status.js';

/** Temporal workflow type of the interpreter. */
export const RUN_WORKFLOW_TYPE = 'tempoflowRun';

/** Temporal workflow type of one matrix combination of a job. */
export const JOB_WORKFLOW_TYPE = 'tempoflowJob';

/** Temporal workflow type of a batch of combinations of a very large matrix. */
export const MATRIX_BATCH_WORKFLOW_TYPE = 'tempoflowMatrixBatch';

/** Temporal workflow type of a release (a scheduled or manual run with its audit record). */
export const RELEASE_WORKFLOW_TYPE = 'tempoflowRelease';

/** Activity tuning shared by runs and their children. */
export interface ActivityTuning {
  /** Heartbeat timeout of subprocess stages, ms (default 10 s). */
  readonly heartbeatTimeoutMs?: number;
  /** Task queue of stage activities (default: the workflow's). */
  readonly taskQueue?: string;
}

// Release types and the `release.*` namespace live in the engine (the audit store and activities use them too).
export { ReleaseType, type ReleaseInfo } from '../engine/release.js';

/** What a rerun keeps from a previous run (docs/operations.md, "Rerun"). */
export interface ReusePlan {
  /** The previous run's id. */
  readonly fromRunId: string;
  /** Jobs whose previous context is kept as-is (they are marked `reused` and not run). */
  readonly jobs: Readonly<Record<string, JobContext>>;
  /** Matrix jobs that rerun: their SUCCESS combinations, kept (by key) and not run again. */
  readonly combinations: Readonly<Record<string, readonly StrategyContext[]>>;
  /** Restart one job from a stage: the stages before it are kept. */
  readonly fromStage?: { readonly job: string; readonly stage: string; readonly stages: Readonly<Record<string, StageContext>> };
}

/** Input of one interpreter run. Everything the run needs; workflow code reads nothing else. */
export interface RunInput {
  /** The validated workflow, normalized (its YAML snapshot). */
  readonly spec: WorkflowSpec;
  /** Params after `parameterize()`. */
  readonly params: Record<string, unknown>;
  /** tempoflow run id (equals the Temporal workflow id). */
  readonly runId: string;
  readonly parentRunId?: string;
  /** Run timeout in seconds (default 3600, `WORKFLOW_CORE_TIMEOUT`; docs/semantics.md, "Retries and timeouts"). */
  readonly timeoutSeconds: number;
  /** Jobs running at once (default 2, `WORKFLOW_CORE_MAX_JOB_PARALLEL`). */
  readonly maxJobParallel: number;
  /** Per-call values readable as `${{ extras.* }}`. */
  readonly extras: Record<string, unknown>;
  /** Run only these jobs (the CLI's `--job`); their needs are not required to run. */
  readonly onlyJobs?: readonly string[];
  /** Activity tuning; tests shorten these. */
  readonly activity?: ActivityTuning;
  /** Absolute deadline (epoch ms); when set it wins over `timeoutSeconds` (children, continue-as-new). */
  readonly deadlineMs?: number;
  /** Workflows that triggered this run, outermost first (to refuse A → B → A). */
  readonly triggerChain?: readonly string[];
  /** The conf path the client loaded the YAML from (workers read `trigger:` targets there when it exists). */
  readonly confPath?: string;
  /** Set for released runs: the `release.*` namespace. */
  readonly release?: ReleaseInfo;
  /** Set for reruns: what to keep from the previous run. */
  readonly reuse?: ReusePlan;
  /** Scale limits; tests lower them to exercise continue-as-new and fan-out trees. */
  readonly limits?: ScaleLimits;
  /** State carried across continue-as-new (set by the interpreter itself). */
  readonly carried?: CarriedState;
  /** `WORKFLOW_CORE_PROJECT` of whoever started the run: concurrency groups are shared within a project (default `default`). */
  readonly project?: string;
}

// The by-name input any Temporal client may send instead (docs/clients.md); the shapes are told apart in the engine.
export { ACCEPTED_RUN_INPUTS, PREPARE_RUN_ACTIVITY, RUN_BY_NAME_KEYS, RUN_INPUT_ERROR, type PreparedRun, type RunByNameInput } from '../engine/run-request.js';

/** What `tempoflowRun` accepts: the full spec (tempoflow's clients, parents, continue-as-new) or a by-name request (any Temporal client). */
export type RunStartInput = RunInput | RunByNameInput;

/**
 * The interpreter's input for a run started by name (docs/clients.md), from
 * what its `prepareRun` activity resolved: the worker runs it, and clients
 * read a by-name run's definition back through it.
 */
export function runInputOfPrepared(prepared: PreparedRun, runId: string): RunInput {
  return {
    spec: prepared.spec,
    params: prepared.params,
    runId,
    timeoutSeconds: prepared.timeoutSeconds,
    maxJobParallel: prepared.maxJobParallel,
    extras: {},
    ...(prepared.onlyJobs ? { onlyJobs: prepared.onlyJobs } : {}),
    confPath: prepared.confPath,
  };
}

/** Thresholds that keep histories small (ARCHITECTURE.md, "Scale"; Temporal caps a history at 51,200 events). */
export interface ScaleLimits {
  /** Continue-as-new at the next drain point once the history has this many events (default 8,000). */
  readonly maxHistoryEvents?: number;
  /** Matrix combinations per batch child; more than this fans out in a two-level tree (default 250). */
  readonly matrixBatchSize?: number;
  /** Most stage attempts (combinations × attempts per combination) of a matrix run inside the run's history; 0 runs every matrix in children (default 200). */
  readonly inlineMatrixStageRuns?: number;
  /** `foreach` items per chunk child; more than this run in child workflows (default 200). */
  readonly foreachChunkSize?: number;
  /** A concurrency group continues as new once its history has this many events (default 5,000). */
  readonly groupMaxHistoryEvents?: number;
  /** Seconds between a concurrency group's checks that its holders still run, while requests wait (default 10). */
  readonly groupHolderCheckSeconds?: number;
}

/** What a run carries into its next Temporal run when it continues as new. */
export interface CarriedState {
  /** The context so far: finished jobs are not run again. */
  readonly context: RunContext;
  /** Approval decisions kept for jobs that start later. */
  readonly approvals: Readonly<Record<string, readonly ApprovalDecision[]>>;
  /** How many times this run has continued as new. */
  readonly continuedRuns: number;
  /** The run's concurrency slot, held across continue-as-new. */
  readonly concurrency?: ConcurrencyContext;
}

/** Input of one job run as a child workflow (a matrix combination). */
export interface JobRunInput {
  readonly runId: string;
  readonly workflowName: string;
  /** The YAML file, for error positions. */
  readonly file: string;
  readonly job: JobSpec;
  readonly workflowEnv: Readonly<Record<string, string>>;
  readonly params: Record<string, unknown>;
  readonly extras: Record<string, unknown>;
  /** This combination's matrix values. */
  readonly matrix?: Record<string, unknown>;
  readonly matrixKey?: string;
  /** The `needs.*` namespace at job start. */
  readonly needs: Record<string, unknown>;
  /** The `jobs.*` namespace at job start (status and outputs of finished jobs). */
  readonly jobs: Record<string, unknown>;
  readonly deadlineMs: number;
  readonly activity?: ActivityTuning;
  readonly triggerChain: readonly string[];
  readonly confPath?: string;
  /** Approval decisions that arrived before this job started. */
  readonly approvals?: readonly ApprovalDecision[];
  /** The `release.*` namespace, for released runs. */
  readonly release?: ReleaseInfo;
  /** Restart from this stage, keeping the earlier stages' contexts (rerun `--from-stage`). */
  readonly fromStage?: { readonly stage: string; readonly stages: Readonly<Record<string, StageContext>> };
  /** Scale limits of the run. */
  readonly limits?: ScaleLimits;
  /** For a chunk child of a large `foreach`: where its stage list sits and which items it runs. */
  readonly foreachChunk?: ForeachChunk;
  /** The run's project (`RunInput.project`): concurrency groups and triggered runs belong to it. */
  readonly project?: string;
  /** The concurrency group the run holds: a job whose group is this one runs in the run's slot. */
  readonly runGroup?: string;
}

/** One chunk of a large `foreach`, run as a child workflow. */
export interface ForeachChunk {
  /** Stage contexts visible as `stages.*` (the enclosing lists'). */
  readonly outer: Readonly<Record<string, StageContext>>;
  /** `item`/`loop`/`branch`/`case` of enclosing nested stages. */
  readonly extra: Readonly<Record<string, unknown>>;
  /** Stage-id prefix of the list that holds the `foreach` stage. */
  readonly prefix: string;
  /** This chunk's items, their keys (global) and their 1-based positions. */
  readonly items: readonly unknown[];
  readonly keys: readonly string[];
  readonly loops: readonly number[];
  readonly concurrent: number;
}

/** `status` query: the live run context. */
export const statusQuery = defineQuery<RunContext>('status');

/** `status` query of a combination's child workflow: its live job context. */
export const jobStatusQuery = defineQuery<JobContext>('status');

/** `status` query of a batch of combinations of a very large matrix: its combinations so far. */
export const batchStatusQuery = defineQuery<StrategyContext[]>('status');

/** A decision on an `approval` stage. */
export interface ApprovalDecision {
  /**
   * The stage: `<job>.<stage>` (every waiting combination of a matrix job),
   * `<job>[<matrix key>].<stage>` (one combination), or just `<stage>` when
   * unique. Nested stages use their dotted path (`<job>.<parent>.<branch>.<stage>`).
   */
  readonly stage: string;
  readonly approved: boolean;
  readonly reason?: string;
  /** Who decided (advisory, recorded). */
  readonly by?: string;
}

/** `approval` signal: approve or reject a waiting `approval` stage (sent to the root run, which forwards it). */
export const approvalSignal = defineSignal<[ApprovalDecision]>('approval');

/** `cancel` signal, for clients that can only signal; same effect as a Temporal cancel. */
export const cancelSignal = defineSignal<[reason?: string]>('cancel');

/** Failure types the interpreter ends a Temporal execution with. */
export const RunFailureType = {
  FAILED: 'TempoflowRunFailed',
  TIMEOUT: 'TempoflowRunTimeout',
  /** A matrix combination's child workflow ended FAILED or TIMEOUT (details: its job context). */
  JOB_FAILED: 'TempoflowJobFailed',
} as const;
export type RunFailureType = (typeof RunFailureType)[keyof typeof RunFailureType];

export type { SearchAttributeValue } from '../engine/search-attributes.js';

/** Typed pairs for `typedSearchAttributes` of a workflow start (client) or a child (workflow code). */
export function toTypedPairs(values: readonly SearchAttributeValue[]): SearchAttributePair[] {
  return values.map((v) =>
    v.type === 'DATETIME'
      ? { key: defineSearchAttributeKey(v.name, SearchAttributeType.DATETIME), value: new Date(v.value) }
      : { key: defineSearchAttributeKey(v.name, SearchAttributeType.KEYWORD), value: v.value },
  ) as SearchAttributePair[];
}

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

/**
 * The run id a release gives its run unless told one: `tf:<workflow>:<UTC
 * yyyymmddHHMM>` for NORMAL and EVENT, with `:force-`, `:rerun-` or `:dryrun-`
 * and the first 8 characters of the release execution's Temporal run id for
 * the other types (docs/operations.md "Releases"). The release workflow and
 * the client that starts it compute it alike.
 */
export function releaseRunId(type: ReleaseType, workflow: string, logicalDate: string, releaseExecutionRunId: string): string {
  const baseId = `tf:${workflow}:${logicalDate.replace(/[-:T]/g, '').slice(0, 12)}`;
  const suffix = releaseExecutionRunId.slice(0, 8);
  switch (type) {
    case 'FORCE':
      return `${baseId}:force-${suffix}`;
    case 'RERUN':
      return `${baseId}:rerun-${suffix}`;
    case 'DRYRUN':
      return `${baseId}:dryrun-${suffix}`;
    default:
      return baseId;
  }
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

// ——— Concurrency groups (docs/semantics.md, "Concurrency groups") ———

export { GROUP_WORKFLOW_TYPE } from '../engine/concurrency.js';

/** Input of a concurrency group workflow (`tempoflowConcurrencyGroup`). */
export interface GroupInput {
  readonly project: string;
  /** The group key. */
  readonly key: string;
  /** State carried across continue-as-new (set by the group itself). */
  readonly carried?: GroupState;
}

/** A holder or a waiter of a group. */
export interface GroupMember {
  /** Unique per slot: `<workflow id>` for a run, `<workflow id>#<job>` for a job. */
  readonly lease: string;
  /** Unique per ask: a retried send of the same ask is recognised. */
  readonly ask: string;
  /** The execution that holds (or waits): signalled with replies, described to find dead holders. */
  readonly workflowId: string;
  /** Its first Temporal run id (a holder whose id now names another execution is gone). */
  readonly firstRunId: string;
  /** The tempoflow run, for display. */
  readonly runId: string;
  readonly workflowName: string;
  readonly job?: string;
  readonly matrixKey?: string;
  /** The `limit` it asked with. */
  readonly limit: number;
  /** FIFO serial number. */
  readonly ticket: number;
  /** ISO 8601: when it asked. */
  readonly since: string;
  /** ISO 8601: when it got its slot (holders). */
  readonly heldSince?: string;
  /** Set once a newcomer with `cancel-in-progress` has cancelled it (it keeps its slot until it releases). */
  readonly supersededBy?: string;
}

/** What a group carries across continue-as-new. */
export interface GroupState {
  readonly holders: readonly GroupMember[];
  readonly queue: readonly GroupMember[];
  readonly nextTicket: number;
  /** Slots granted since the group started (all its runs). */
  readonly granted: number;
  readonly continuedRuns: number;
  /** Requests that arrived while it drained to continue as new, in order: the next run serves them first. */
  readonly pending?: readonly SlotRequest[];
  /** Tuning the requests set (`SlotRequest.maxHistoryEvents`, `holderCheckSeconds`), kept when it differs from the default. */
  readonly maxHistoryEvents?: number;
  readonly holderCheckSeconds?: number;
}

/** A request for a slot, sent by signal-with-start (the `requestConcurrencySlot` activity). */
export interface SlotRequest extends Omit<GroupMember, 'ticket' | 'since' | 'heldSince' | 'supersededBy'> {
  readonly queue: number;
  readonly cancelInProgress: boolean;
  /** Tuning from the run's scale limits. */
  readonly maxHistoryEvents?: number;
  readonly holderCheckSeconds?: number;
}

/** `tempoflow.concurrency.acquire` signal of a group: ask for a slot. */
export const acquireSignal = defineSignal<[SlotRequest]>(GroupSignalName.ACQUIRE);

/** `tempoflow.concurrency.release` signal of a group: give a slot back, or leave the queue. */
export const releaseSignal = defineSignal<[{ readonly lease: string }]>(GroupSignalName.RELEASE);

/** What a group tells a holder or waiter (`tempoflow.concurrency.slot` signal). */
export type SlotReply =
  | { readonly lease: string; readonly state: 'granted'; readonly ticket: number; readonly heldSince: string }
  | { readonly lease: string; readonly state: 'queued'; readonly ticket: number; readonly position: number; readonly since: string }
  | { readonly lease: string; readonly state: 'refused'; readonly holders: readonly string[]; readonly waiting: number }
  | { readonly lease: string; readonly state: 'superseded'; readonly by: string };

/** `tempoflow.concurrency.slot` signal of a run or combination: a group's reply. */
export const slotSignal = defineSignal<[SlotReply]>(GroupSignalName.SLOT);

/** What a group shows (`status` query; `lease` asks that member's place). */
export interface GroupView {
  readonly project: string;
  readonly key: string;
  readonly holders: readonly GroupMember[];
  /** Requests waiting. */
  readonly waiting: number;
  /** The first waiters, in order (at most 50). */
  readonly queue: readonly GroupMember[];
  /** The asked lease: 1-based place in the queue (0: it holds; absent: unknown to the group). */
  readonly position?: number;
  readonly granted: number;
}

/** `status` query of a concurrency group. */
export const groupStatusQuery = defineQuery<GroupView, [lease?: string]>('status');
