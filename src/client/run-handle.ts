/**
 * The one handle of a run (docs/operations.md "Run control"): what it is
 * (`describe`), what it has done (`status`, `jobs`, `logs`), what waits on a
 * person (`waitingApprovals`), how to steer it (`approve`, `reject`,
 * `cancel`) and how it ended (`result`). Modelled on the SDK's
 * `WorkflowHandle`, which stays reachable as `temporal`.
 *
 * `Workflow.start()` returns one for the run it starts; `getRun(runId)` makes
 * one for an existing run. Every `tempoflow` command that acts on a run is a
 * thin wrapper over these methods.
 */
import { randomUUID } from 'node:crypto';
import { isGrpcDeadlineError, WorkflowFailedError, WorkflowNotFoundError as TemporalNotFound, type WorkflowExecutionDescription, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { optionalTsToDate } from '@temporalio/common/lib/time.js';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow/index.js';
import type { JobContext, RunContext, StageContext } from '../engine/context.js';
import type { WorkflowSpec } from '../engine/spec.js';
import { stageResults } from '../engine/stage-results.js';
import { Status } from '../engine/status.js';
import { RunEndedError, RunNotFoundError, RunQueryTimeoutError, WorkflowError } from '../errors.js';
import { SlotState, type ConcurrencyContext } from '../engine/concurrency.js';
import {
  approvalSignal,
  groupStatusQuery,
  JOB_WORKFLOW_TYPE,
  jobStatusQuery,
  MATRIX_BATCH_WORKFLOW_TYPE,
  PREPARE_RUN_ACTIVITY,
  RUN_WORKFLOW_TYPE,
  runInputOfPrepared,
  statusQuery,
  type PreparedRun,
  type RunInput,
  type RunStartInput,
} from '../workflows/definitions.js';
import { awaitResult, type Result } from './result.js';
import { readTraceFile, stageLogs, type LogsOptions, type RunLogs } from './run-logs.js';
import { RunFollower, type ExecutionLook, type OutputLine, type RunReader, type RunSnapshot } from './run-output.js';
import { withSharedRuntime, type RuntimeOptions, type TempoflowRuntime } from './runtime.js';
import { SEARCH_ATTRIBUTE_KEYS } from './search-attributes.js';

/** How long `status()` waits for a worker to answer a running run's query, ms, unless told. */
export const STATUS_QUERY_TIMEOUT_MS = 10_000;

/** How long a child workflow (a combination, a foreach chunk) gets to answer, ms; silence means nothing to list. */
const CHILD_QUERY_TIMEOUT_MS = 5_000;

/** Most child workflows one `waitingApprovals()` asks. */
export const MAX_CHILDREN_QUERIED = 50;

/** Most concurrency groups one `status()` asks for live queue positions. */
export const MAX_GROUPS_QUERIED = 20;

/** What a run is, from Temporal's point of view. */
export interface RunDescription {
  readonly runId: string;
  /** The workflow's name, when known. */
  readonly workflowName?: string;
  /** True while the execution runs (it may still be waiting for a worker). */
  readonly running: boolean;
  /** Temporal's execution status: `RUNNING`, `COMPLETED`, `FAILED`, `CANCELLED`, `TERMINATED`, `TIMED_OUT`. */
  readonly executionStatus: string;
  /** Temporal's run id of the current execution (it changes when the run continues as new). */
  readonly temporalRunId: string;
  readonly taskQueue: string;
  readonly startTime: Date;
  readonly closeTime?: Date;
  /** Events in the current execution's history. */
  readonly historyLength: number;
  /** The run's Web UI page, when the UI is known. */
  readonly uiUrl?: string;
}

/** Most history events `uiLinks()` reads. */
export const MAX_LINK_EVENTS = 20_000;

/** Web UI links of a run's Temporal objects (see `RunHandle.uiLinks()`). */
export interface RunUiLinks {
  /** The run's history page. */
  readonly run?: string;
  /** Event pages of the activities' latest scheduling, by activity summary (`job / stage name`). */
  readonly activities: Readonly<Record<string, string>>;
}

/** A stage waiting for a decision. */
export interface WaitingApproval {
  /**
   * What `approve()`/`reject()` take: `job.stage`, `job[matrix key].stage` in
   * a matrix combination, `job.parent.key.stage` for nested stages.
   */
  readonly path: string;
  readonly message: string;
  /** Who may decide (advisory). */
  readonly approvers: readonly string[];
  /** When it started waiting, ISO 8601. */
  readonly since?: string;
}

/** Options of `RunHandle.watch()` and `RunHandle.output()`. */
export interface WatchOptions {
  /** Milliseconds between two looks (default 1000). */
  readonly intervalMs?: number;
  /** Stops following when aborted (the run goes on). */
  readonly signal?: AbortSignal;
}

/** Default of `WatchOptions.intervalMs`. */
export const WATCH_INTERVAL_MS = 1000;

/** A decision's note and author. */
export interface DecisionOptions {
  /** Why (recorded; a rejected stage fails with it). */
  readonly reason?: string;
  /** Who decides (recorded). */
  readonly by?: string;
}

/** Options of `getRun()`. */
export interface GetRunOptions {
  /** Use this runtime; without one, each call uses the process's shared runtime (see `Workflow.execute()`). */
  readonly runtime?: TempoflowRuntime;
}

/** Where a handle gets its connection: a runtime the caller owns, or the process's shared one, per call. */
export type RunConnection = { readonly runtime: TempoflowRuntime } | { readonly shared: RuntimeOptions };

function use<T>(connection: RunConnection, fn: (runtime: TempoflowRuntime) => Promise<T>): Promise<T> {
  return 'runtime' in connection ? fn(connection.runtime) : withSharedRuntime(fn, connection.shared);
}

/** What a handle is made from (by `Workflow.start()` and `getRun()`). */
export interface RunHandleInit {
  readonly runId: string;
  readonly workflowName?: string;
  readonly attached: boolean;
  readonly temporalRunId?: string;
  readonly uiUrl?: string;
  readonly connection: RunConnection;
}

/** A handle on one run. Get one from `Workflow.start()` or `getRun()`. */
export class RunHandle {
  /** tempoflow's run id (the Temporal workflow id). */
  readonly runId: string;
  /** The workflow's name, when known. */
  readonly workflowName?: string;
  /** True when the run existed before this handle was made (`getRun()`, or `start()` with the id of an existing run). */
  readonly attached: boolean;
  /** Temporal's run id of the execution when the handle was made. */
  readonly temporalRunId?: string;
  /** The run's Web UI page, when the UI is known. */
  readonly uiUrl?: string;
  private readonly connection: RunConnection;

  constructor(init: RunHandleInit) {
    this.runId = init.runId;
    if (init.workflowName !== undefined) this.workflowName = init.workflowName;
    this.attached = init.attached;
    if (init.temporalRunId !== undefined) this.temporalRunId = init.temporalRunId;
    if (init.uiUrl !== undefined) this.uiUrl = init.uiUrl;
    this.connection = init.connection;
  }

  /**
   * The SDK's handle of the run's execution, for what this class does not
   * offer. Needs a handle made with a `runtime` (the shared one closes when
   * idle); throws `WorkflowError` otherwise.
   */
  get temporal(): WorkflowHandle {
    if ('runtime' in this.connection) return this.connection.runtime.client.workflow.getHandle(this.runId);
    throw new WorkflowError(`the Temporal handle of run ${this.runId} needs a connection that stays open: pass { runtime } (from TempoflowRuntime.connect()) to start() or getRun()`);
  }

  /** What the run is: running or not, Temporal's status, times, Web UI link. Throws `RunNotFoundError` when it has gone. */
  async describe(): Promise<RunDescription> {
    return use(this.connection, async (runtime) => {
      const d = await describeExecution(runtime, this.runId);
      const uiUrl = runtime.uiLink(this.runId, d.runId);
      return {
        runId: this.runId,
        ...(this.workflowName !== undefined ? { workflowName: this.workflowName } : {}),
        running: d.status.name === 'RUNNING',
        executionStatus: d.status.name,
        temporalRunId: d.runId,
        taskQueue: d.taskQueue,
        startTime: d.startTime,
        ...(d.closeTime ? { closeTime: d.closeTime } : {}),
        historyLength: d.historyLength,
        ...(uiUrl ? { uiUrl } : {}),
      };
    });
  }

  /**
   * The run's context: live (its `status` query) while it runs, final after.
   * A run or job waiting for its concurrency group shows its live place in
   * the queue (`concurrency.position`, asked from the group). Throws
   * `RunQueryTimeoutError` when the run is running but no worker answers
   * within `timeoutMs` (default 10 s).
   */
  async status(options: { timeoutMs?: number } = {}): Promise<RunContext> {
    return use(this.connection, async (runtime) => {
      const context = await contextOf(runtime, this.runId, await describeExecution(runtime, this.runId), options.timeoutMs);
      await refreshQueuePositions(runtime, context);
      return context;
    });
  }

  /** The run's jobs so far, by id (see `status()`). */
  async jobs(): Promise<Record<string, JobContext>> {
    return (await this.status()).jobs;
  }

  /**
   * Stages waiting for a decision: in inline jobs (nested stages included),
   * in running matrix combinations (`job[key].stage`) and in the chunk
   * children of large `foreach` stages, each with the path `approve()` takes.
   * Children that do not answer in time are left out. `options.context`: a
   * context `status()` just returned, read instead of asking the run again,
   * so the approvals and that context describe the same moment.
   */
  async waitingApprovals(options: { context?: RunContext } = {}): Promise<WaitingApproval[]> {
    return use(this.connection, async (runtime) => {
      const d = await describeExecution(runtime, this.runId);
      const context = options.context ?? (await contextOf(runtime, this.runId, d));
      const inline = waitingApprovalsIn(context);
      if (d.status.name !== 'RUNNING') return inline;
      return [...inline, ...(await childApprovals(runtime, this.runId, context, d))];
    });
  }

  /**
   * What the run waits for, as its current details (Temporal's user
   * metadata; the Web UI shows them on the run's page): each approval stage
   * of its inline jobs that waits, its message and the commands that approve
   * or reject it. `''` when it waits for nothing or has ended. Throws
   * `RunQueryTimeoutError` when no worker answers within `timeoutMs`
   * (default 10 s).
   */
  async currentDetails(options: { timeoutMs?: number } = {}): Promise<string> {
    return use(this.connection, async (runtime) => {
      const d = await describeExecution(runtime, this.runId);
      if (d.status.name !== 'RUNNING') return '';
      const handle = runtime.client.workflow.getHandle(this.runId);
      const metadata = await boundedQuery(runtime, this.runId, d, options.timeoutMs ?? STATUS_QUERY_TIMEOUT_MS, () => handle.query<{ currentDetails?: string }>(WORKFLOW_METADATA_QUERY));
      return metadata.currentDetails ?? '';
    });
  }

  /**
   * Approves a waiting `approval` stage: `job.stage`, `job[matrix key].stage`
   * (one combination; `job.stage` reaches every combination), a nested path,
   * or a stage id unique in the workflow. A decision for a stage that has
   * not started yet is kept until it does. Throws `RunEndedError` when the
   * run has ended.
   */
  async approve(stage: string, options: DecisionOptions = {}): Promise<void> {
    await this.decide(stage, true, options);
  }

  /** Rejects a waiting `approval` stage (it fails with the reason); see `approve()`. */
  async reject(stage: string, options: DecisionOptions = {}): Promise<void> {
    await this.decide(stage, false, options);
  }

  private async decide(stage: string, approved: boolean, options: DecisionOptions): Promise<void> {
    if (!stage.trim()) throw new WorkflowError(`${approved ? 'approve' : 'reject'} needs a stage: job.stage, job[matrix key].stage, or a stage id`);
    await use(this.connection, async (runtime) => {
      await runningExecution(runtime, this.runId);
      await runtime.client.workflow.getHandle(this.runId).signal(approvalSignal, {
        stage,
        approved,
        ...(options.reason ? { reason: options.reason } : {}),
        ...(options.by ? { by: options.by } : {}),
      });
    });
  }

  /**
   * Asks the run to stop: running stages are stopped (their processes
   * killed), the run ends CANCEL. Returns once the request is recorded;
   * `result()` waits for the end. The reason is recorded in the run's
   * history. Throws `RunEndedError` when the run has ended.
   */
  async cancel(reason?: string): Promise<void> {
    await use(this.connection, async (runtime) => {
      await runningExecution(runtime, this.runId);
      await runtime.client.workflowService.requestCancelWorkflowExecution({
        namespace: runtime.namespace,
        workflowExecution: { workflowId: this.runId },
        identity: runtime.client.options.identity,
        requestId: randomUUID(),
        ...(reason ? { reason } : {}),
      });
    });
  }

  /** Waits for the run to end and resolves with its `Result`, whatever the end (SUCCESS, FAILED, TIMEOUT, CANCEL, SKIP). */
  async result(): Promise<Result> {
    return use(this.connection, async (runtime) => {
      try {
        // From the execution the handle was made for, following its continue-as-new chain: the
        // server then needs no lookup of the workflow id's current execution (one database read
        // a run; docs/benchmarks.md, "Server requests per run").
        return await awaitResult(runtime.client.workflow.getHandle(this.runId, this.temporalRunId), this.runId);
      } catch (err) {
        if (err instanceof TemporalNotFound) throw notFound(runtime, this.runId, err);
        throw err;
      }
    });
  }

  /**
   * The run's YAML snapshot: the validated definition it was started with
   * (from the first event of its history), as `Workflow.spec` is for a
   * workflow. Throws `WorkflowError` when the history has no start event or
   * its input cannot be decoded here (encrypted, no key).
   */
  async spec(): Promise<WorkflowSpec> {
    return use(this.connection, async (runtime) => {
      const d = await describeExecution(runtime, this.runId);
      let input: RunInput | undefined;
      try {
        input = await readResolvedRunInput(runtime, this.runId, d.runId);
      } catch (err) {
        throw new WorkflowError(`cannot read the definition of run ${this.runId}: ${(err as Error).message}`, { cause: err });
      }
      if (!input?.spec) throw new WorkflowError(`run ${this.runId}: its history has no start event with a definition`);
      return input.spec;
    });
  }

  /**
   * Web UI links of the run's Temporal objects: the run itself and, for each
   * stage that ran as an activity in the run's current execution, the event
   * that scheduled its latest attempt, keyed by the activity's summary
   * (`job / stage name`, `job [matrix key] / stage name`). Empty when the UI
   * is not known. Reads at most {@link MAX_LINK_EVENTS} events of history.
   */
  async uiLinks(): Promise<RunUiLinks> {
    return use(this.connection, async (runtime) => {
      const d = await describeExecution(runtime, this.runId);
      const run = runtime.uiLink(this.runId, d.runId);
      if (!run) return { activities: {} };
      const activities: Record<string, string> = {};
      let nextPageToken: Uint8Array | undefined;
      let read = 0;
      do {
        const page = await runtime.client.workflowService.getWorkflowExecutionHistory({
          namespace: runtime.namespace,
          execution: { workflowId: this.runId, runId: d.runId },
          maximumPageSize: 1000,
          ...(nextPageToken?.length ? { nextPageToken } : {}),
        });
        for (const event of page.history?.events ?? []) {
          read++;
          const payload = event.activityTaskScheduledEventAttributes ? event.userMetadata?.summary : undefined;
          if (!payload || event.eventId == null) continue;
          try {
            const summary = await decodeFromPayloadsAtIndex<unknown>(runtime.client.options.loadedDataConverter, 0, [payload]);
            if (typeof summary === 'string') activities[summary] = `${run}/events/${String(event.eventId)}`;
          } catch {
            /* an undecodable summary (encrypted, no key) has no link */
          }
        }
        nextPageToken = page.nextPageToken ?? undefined;
      } while (nextPageToken?.length && read < MAX_LINK_EVENTS);
      return { run, activities };
    });
  }

  /**
   * Follows the run until it ends: one {@link RunSnapshot} per look (every
   * `intervalMs`) with its context, its running stages (with their newest
   * output line) and the lines its stages printed since the previous look —
   * read through Temporal, so it works from any machine that reaches the
   * server. The last snapshot is the ended run's (`running: false`).
   */
  async *watch(options: WatchOptions = {}): AsyncGenerator<RunSnapshot> {
    const follower = new RunFollower(runReader(this.runId, (fn) => use(this.connection, fn)));
    const interval = options.intervalMs ?? WATCH_INTERVAL_MS;
    for (;;) {
      if (options.signal?.aborted) return;
      const snapshot = await follower.look();
      yield snapshot;
      if (!snapshot.running) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, interval);
        options.signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    }
  }

  /**
   * Every line the run's stages print (`echo` messages, `bash`/`run`
   * stdout and stderr, `uses` tasks' `ctx.log`), masked, as they come, until
   * the run ends; lines printed before the call come first. See `watch()`.
   */
  async *output(options: WatchOptions = {}): AsyncGenerator<OutputLine> {
    for await (const snapshot of this.watch(options)) yield* snapshot.lines;
  }

  /**
   * What `tempoflow logs` shows: the output tails of every finished stage
   * (nested ones included), and the run's trace file when this machine has
   * it (`traceDir`, default `WORKFLOW_CORE_TRACE_PATH`).
   */
  async logs(options: LogsOptions = {}): Promise<RunLogs> {
    return use(this.connection, async (runtime) => {
      const d = await describeExecution(runtime, this.runId);
      const context = await contextOf(runtime, this.runId, d);
      return {
        runId: this.runId,
        ...(this.workflowName !== undefined ? { workflowName: this.workflowName } : {}),
        running: d.status.name === 'RUNNING',
        status: context.status,
        stages: stageLogs(context),
        ...readTraceFile(this.runId, options),
      };
    });
  }
}

/**
 * A handle on an existing run. Throws `RunNotFoundError` when the server has
 * no run with that id, or when the id names another kind of execution (a
 * release workflow, a matrix combination).
 */
export async function getRun(runId: string, options: GetRunOptions = {}): Promise<RunHandle> {
  const connection: RunConnection = options.runtime ? { runtime: options.runtime } : { shared: {} };
  return use(connection, async (runtime) => {
    const d = await describeExecution(runtime, runId);
    if (d.type !== RUN_WORKFLOW_TYPE) {
      const parent = d.parentExecution?.workflowId;
      throw new RunNotFoundError(runId, `'${runId}' is a ${d.type} execution, not a tempoflow run${parent ? ` (it belongs to ${parent})` : ''}; pass a run id (\`tempoflow runs\` lists them)`);
    }
    const workflowName = await workflowNameOf(runtime, runId, d);
    const uiUrl = runtime.uiLink(runId, d.runId);
    return new RunHandle({ runId, ...(workflowName ? { workflowName } : {}), attached: true, temporalRunId: d.runId, ...(uiUrl ? { uiUrl } : {}), connection });
  });
}

/** The follower's view of a run over a connection (see `run-output.ts`). */
function runReader(runId: string, use: <T>(fn: (runtime: TempoflowRuntime) => Promise<T>) => Promise<T>): RunReader {
  const descriptions = new Map<string, WorkflowExecutionDescription>();
  return {
    runId,
    describe: (workflowId) =>
      use(async (runtime): Promise<ExecutionLook> => {
        const d = workflowId === runId ? await describeExecution(runtime, runId) : await runtime.client.workflow.getHandle(workflowId).describe();
        descriptions.set(workflowId, d);
        const converter = runtime.client.options.loadedDataConverter;
        const pending = await Promise.all(
          (d.raw.pendingActivities ?? []).map(async (a) => {
            let details: unknown;
            try {
              details = a.heartbeatDetails?.payloads?.length ? await decodeFromPayloadsAtIndex(converter, 0, a.heartbeatDetails.payloads) : undefined;
            } catch {
              details = undefined; // e.g. encrypted and no key here
            }
            const startedAt = optionalTsToDate(a.lastStartedTime);
            return { activityId: a.activityId ?? '', temporalAttempt: a.attempt ?? 1, ...(startedAt ? { startedAt } : {}), ...(details !== undefined ? { details } : {}) };
          }),
        );
        const children = (d.raw.pendingChildren ?? [])
          .filter((c) => (c.workflowTypeName === JOB_WORKFLOW_TYPE || c.workflowTypeName === MATRIX_BATCH_WORKFLOW_TYPE) && typeof c.workflowId === 'string')
          .map((c) => c.workflowId!);
        return { workflowId, running: d.status.name === 'RUNNING', pending, children };
      }),
    runContext: () => use(async (runtime) => contextOf(runtime, runId, descriptions.get(runId) ?? (await describeExecution(runtime, runId)))),
    jobContext: (workflowId) =>
      use(async (runtime) => {
        const handle = runtime.client.workflow.getHandle(workflowId);
        try {
          return await runtime.client.withDeadline(Date.now() + CHILD_QUERY_TIMEOUT_MS, () => handle.query(jobStatusQuery));
        } catch {
          return undefined;
        }
      }),
    endedJobContext: (workflowId) =>
      use(async (runtime) => {
        try {
          return (await runtime.client.workflow.getHandle(workflowId).result()) as JobContext;
        } catch (err) {
          // A failed combination carries its job context in the failure's details.
          const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
          const detail = cause instanceof ApplicationFailure ? cause.details?.[0] : undefined;
          return detail && typeof detail === 'object' && 'stages' in detail ? (detail as JobContext) : undefined;
        }
      }),
  };
}

function notFound(runtime: TempoflowRuntime, runId: string, cause: unknown): RunNotFoundError {
  return new RunNotFoundError(runId, `no run '${runId}' on ${runtime.address} (namespace ${runtime.namespace}); \`tempoflow runs\` lists recent runs`, { cause });
}

async function describeExecution(runtime: TempoflowRuntime, runId: string): Promise<WorkflowExecutionDescription> {
  try {
    return await runtime.client.workflow.getHandle(runId).describe();
  } catch (err) {
    if (err instanceof TemporalNotFound) throw notFound(runtime, runId, err);
    throw err;
  }
}

/** Temporal's built-in query of a workflow's metadata (its definition and current details). */
const WORKFLOW_METADATA_QUERY = '__temporal_workflow_metadata';

async function runningExecution(runtime: TempoflowRuntime, runId: string): Promise<WorkflowExecutionDescription> {
  const d = await describeExecution(runtime, runId);
  if (d.status.name !== 'RUNNING') throw new RunEndedError(runId, d.status.name);
  return d;
}

/** The run's context: its `status` query while it runs (bounded), its result after. */
async function contextOf(runtime: TempoflowRuntime, runId: string, d: WorkflowExecutionDescription, timeoutMs = STATUS_QUERY_TIMEOUT_MS): Promise<RunContext> {
  const handle = runtime.client.workflow.getHandle(runId);
  if (d.status.name !== 'RUNNING') return (await awaitResult(handle, runId)).context;
  return boundedQuery(runtime, runId, d, timeoutMs, () => handle.query(statusQuery));
}

/**
 * Runs a query of a running execution under a deadline of `timeoutMs`. A query
 * that fails once the deadline has passed is `RunQueryTimeoutError` (no worker
 * answered): the deadline error itself, or the server's own failure of the
 * query it gave up on (seen under load as a bare "Failed to query Workflow").
 */
async function boundedQuery<T>(runtime: TempoflowRuntime, runId: string, d: WorkflowExecutionDescription, timeoutMs: number, query: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  try {
    return await runtime.client.withDeadline(deadline, query);
  } catch (err) {
    if (isGrpcDeadlineError(err) || Date.now() >= deadline) throw new RunQueryTimeoutError(runId, d.taskQueue, timeoutMs, { cause: err });
    throw err;
  }
}

/**
 * Replaces the queue position a waiting slot recorded when it joined with its
 * live one, asked from its group (docs/semantics.md, "Concurrency groups").
 * A group that does not answer in time leaves the recorded one.
 */
async function refreshQueuePositions(runtime: TempoflowRuntime, context: RunContext): Promise<void> {
  const waiting = [context.concurrency, ...Object.values(context.jobs).map((j) => j.concurrency)].filter((c): c is ConcurrencyContext => c?.state === SlotState.WAITING && typeof c.lease === 'string');
  await Promise.all(
    waiting.slice(0, MAX_GROUPS_QUERIED).map(async (slot) => {
      try {
        const view = await runtime.client.withDeadline(Date.now() + CHILD_QUERY_TIMEOUT_MS, () => runtime.client.workflow.getHandle(slot.workflowId).query(groupStatusQuery, slot.lease));
        if (view.position !== undefined && view.position > 0) slot.position = view.position;
      } catch {
        /* the group is busy or gone: keep what the run recorded */
      }
    }),
  );
}

/**
 * The input a run was started (or continued) with: the first event of its
 * current execution's history, decoded with the client's data converter.
 * For a run started by name (docs/clients.md) it is that request.
 */
export async function readRunInput(runtime: TempoflowRuntime, runId: string, temporalRunId?: string): Promise<RunStartInput | undefined> {
  const history = await runtime.client.workflowService.getWorkflowExecutionHistory({
    namespace: runtime.namespace,
    execution: { workflowId: runId, ...(temporalRunId ? { runId: temporalRunId } : {}) },
    maximumPageSize: 1,
  });
  const started = history.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
  if (!started) return undefined;
  return decodeFromPayloadsAtIndex<RunStartInput>(runtime.client.options.loadedDataConverter, 0, started.input?.payloads);
}

/** Most history events read to find what a by-name run resolved to (it is among the first few). */
const PREPARED_RUN_SCAN_EVENTS = 1000;

/**
 * The run's full input, spec included: its start input, or for a run
 * started by name, what the worker resolved the request to (the result of
 * its `prepareRun` activity, in the same history). `undefined` when the
 * history has no start event, or the by-name request never resolved (the
 * run failed on a bad name, YAML or param).
 */
export async function readResolvedRunInput(runtime: TempoflowRuntime, runId: string, temporalRunId?: string): Promise<RunInput | undefined> {
  const input = await readRunInput(runtime, runId, temporalRunId);
  if (typeof input !== 'object' || input === null) return undefined;
  if ('spec' in input) return input;
  const prepared = await readPreparedRun(runtime, runId, temporalRunId);
  return prepared ? runInputOfPrepared(prepared, runId) : undefined;
}

/** The successful result of a by-name run's `prepareRun` activity, read from its history. */
async function readPreparedRun(runtime: TempoflowRuntime, runId: string, temporalRunId?: string): Promise<PreparedRun | undefined> {
  let scheduled: string | undefined;
  let nextPageToken: Uint8Array | undefined;
  let read = 0;
  do {
    const page = await runtime.client.workflowService.getWorkflowExecutionHistory({
      namespace: runtime.namespace,
      execution: { workflowId: runId, ...(temporalRunId ? { runId: temporalRunId } : {}) },
      maximumPageSize: 100,
      ...(nextPageToken ? { nextPageToken } : {}),
    });
    for (const event of page.history?.events ?? []) {
      read++;
      if (scheduled === undefined && event.activityTaskScheduledEventAttributes?.activityType?.name === PREPARE_RUN_ACTIVITY) scheduled = String(event.eventId);
      const completed = event.activityTaskCompletedEventAttributes;
      if (scheduled !== undefined && completed && String(completed.scheduledEventId) === scheduled) {
        const result = await decodeFromPayloadsAtIndex<({ ok: true } & PreparedRun) | { ok: false }>(runtime.client.options.loadedDataConverter, 0, completed.result?.payloads);
        return result.ok ? result : undefined;
      }
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken && read < PREPARED_RUN_SCAN_EVENTS);
  return undefined;
}

/** The workflow's name: its `TfWorkflow` search attribute, else the name in its input (the spec's, or a by-name request's). */
async function workflowNameOf(runtime: TempoflowRuntime, runId: string, d: WorkflowExecutionDescription): Promise<string | undefined> {
  const fromAttribute = d.typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS.workflow);
  if (fromAttribute) return fromAttribute;
  try {
    const input = await readRunInput(runtime, runId, d.runId);
    if (typeof input !== 'object' || input === null) return undefined;
    const name = 'spec' in input ? input.spec?.name : (input as { workflow?: unknown }).workflow;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined; // e.g. encrypted input and no key here: the name is only cosmetic
  }
}

/** The approval a stage result waits for, if it waits. */
export function waitingApproval(path: string, stage: StageContext): WaitingApproval | undefined {
  if (stage.status !== Status.WAIT) return undefined;
  const approval = stage.outputs?.approval as { waiting?: unknown; message?: unknown; approvers?: unknown; since?: unknown } | undefined;
  if (!approval || approval.waiting !== true) return undefined;
  return {
    path,
    message: typeof approval.message === 'string' ? approval.message : '',
    approvers: Array.isArray(approval.approvers) ? approval.approvers.map(String) : [],
    ...(typeof approval.since === 'string' ? { since: approval.since } : {}),
  };
}

function approvalsIn(stages: Record<string, StageContext>, prefix: string): WaitingApproval[] {
  const out: WaitingApproval[] = [];
  for (const { path, stage } of stageResults(stages, prefix)) {
    const waiting = waitingApproval(path, stage);
    if (waiting) out.push(waiting);
  }
  return out;
}

/** Approvals waiting in a context's inline jobs (nested stages included), as `job.stage` paths. */
export function waitingApprovalsIn(context: Pick<RunContext, 'jobs'>): WaitingApproval[] {
  return Object.entries(context.jobs).flatMap(([jobId, job]) => approvalsIn(job.stages, `${jobId}.`));
}

/** Ids of chunk children end `.chunk-<n>` (src/workflows: `runForeachChunks`). */
const CHUNK_ID = /\.chunk-\d+$/;

/**
 * The stage-path prefix of the list a `foreach` chunk child runs in. Its id
 * is `<head><list prefix><stage>.chunk-<n>` (head: `<run>.<job>.`, plus
 * `<matrix key>.` in a combination) and its context holds that one stage.
 */
export function chunkListPrefix(workflowId: string, idHead: string, stages: Readonly<Record<string, unknown>>): string | undefined {
  if (!workflowId.startsWith(idHead) || !CHUNK_ID.test(workflowId)) return undefined;
  const middle = workflowId.slice(idHead.length).replace(CHUNK_ID, '');
  const stage = Object.keys(stages).find((id) => middle === id || middle.endsWith(`.${id}`));
  return stage === undefined ? undefined : middle.slice(0, middle.length - stage.length);
}

/** A child workflow that may hold waiting approvals. */
interface ChildTarget {
  readonly workflowId: string;
  /** Prefix of its stage paths as the root run routes them: `job.` or `job[key].`. */
  readonly pathPrefix: string;
  /** Prefix of the ids of its job's chunk children. */
  readonly idHead: string;
  readonly chunk: boolean;
}

function chunkChildrenOf(d: WorkflowExecutionDescription, idHead: string): string[] {
  return (d.raw.pendingChildren ?? [])
    .filter((c) => c.workflowTypeName === JOB_WORKFLOW_TYPE && typeof c.workflowId === 'string' && c.workflowId.startsWith(idHead) && CHUNK_ID.test(c.workflowId))
    .map((c) => c.workflowId!);
}

/**
 * Approvals waiting in child workflows: running matrix combinations, and the
 * chunk children of large `foreach` stages (of inline jobs, of combinations
 * and of chunks), asked wave by wave, at most {@link MAX_CHILDREN_QUERIED}.
 */
async function childApprovals(runtime: TempoflowRuntime, runId: string, context: RunContext, root: WorkflowExecutionDescription): Promise<WaitingApproval[]> {
  let wave: ChildTarget[] = [];
  for (const [jobId, job] of Object.entries(context.jobs)) {
    if (job.strategies) {
      for (const s of job.strategies) {
        if (s.status === Status.WAIT && s.workflowId) wave.push({ workflowId: s.workflowId, pathPrefix: `${jobId}[${s.key}].`, idHead: `${s.workflowId}.`, chunk: false });
      }
    } else if (job.status === Status.WAIT) {
      const idHead = `${runId}.${jobId}.`;
      for (const workflowId of chunkChildrenOf(root, idHead)) wave.push({ workflowId, pathPrefix: `${jobId}.`, idHead, chunk: true });
    }
  }
  const out: WaitingApproval[] = [];
  let asked = 0;
  while (wave.length > 0 && asked < MAX_CHILDREN_QUERIED) {
    wave = wave.slice(0, MAX_CHILDREN_QUERIED - asked);
    asked += wave.length;
    wave = (await Promise.all(wave.map((target) => askChild(runtime, target, out)))).flat();
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Adds a child's waiting approvals to `out`; returns its own chunk children. */
async function askChild(runtime: TempoflowRuntime, target: ChildTarget, out: WaitingApproval[]): Promise<ChildTarget[]> {
  const handle = runtime.client.workflow.getHandle(target.workflowId);
  try {
    const job = await runtime.client.withDeadline(Date.now() + CHILD_QUERY_TIMEOUT_MS, () => handle.query(jobStatusQuery));
    const listPrefix = target.chunk ? chunkListPrefix(target.workflowId, target.idHead, job.stages) : '';
    if (listPrefix === undefined) return [];
    out.push(...approvalsIn(job.stages, `${target.pathPrefix}${listPrefix}`));
    const d = await handle.describe();
    return chunkChildrenOf(d, target.idHead).map((workflowId) => ({ ...target, workflowId, chunk: true }));
  } catch {
    return []; // not started yet, already done, or no worker: nothing to list
  }
}
