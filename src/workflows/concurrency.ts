/**
 * A run's (or a job's) side of concurrency groups (docs/semantics.md,
 * "Concurrency groups"): render the group key, ask the group for a slot,
 * wait for the group's answer, give the slot back on every ending. The group
 * itself is `concurrency-group.ts`.
 *
 * One `GroupSlots` per workflow execution that asks for slots (a run, a
 * matrix combination) owns the `slot` signal handler and routes each reply
 * to its `GroupSlot` by lease; it also writes the slots into the
 * execution's current details for the Web UI.
 *
 * Workflow code: deterministic, no I/O.
 */
import { CancellationScope, CancelledFailure, condition, getExternalWorkflowHandle, log, proxyLocalActivities, setHandler, uuid4, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { CONCURRENCY_GROUP_FULL, groupKeyProblem, groupWorkflowId, SlotState, type ConcurrencyContext } from '../engine/concurrency.js';
import type { ErrorInfo } from '../engine/context.js';
import type { ConcurrencySpec } from '../engine/spec.js';
import { ExpressionError, ExpressionErrorCode, renderTemplate, toDisplayString, type ExpressionContext } from '../expressions/index.js';
import { releaseSignal, slotSignal, type ScaleLimits, type SlotReply, type SlotRequest } from './definitions.js';
import type { WaitingDetails } from './waiting-details.js';

/** The project of runs started without one (`WORKFLOW_CORE_PROJECT`'s default). */
export const DEFAULT_PROJECT = 'default';

const { requestConcurrencySlot } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  // A server that is down for a while: keep asking (the run's own timeout still applies).
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
});

/**
 * The group key of a `concurrency:` spec, rendered.
 * @throws {ExpressionError} when it cannot be rendered, or renders to something that is not a usable key.
 */
export function renderGroupKey(spec: ConcurrencySpec, ctx: ExpressionContext): string {
  const value = renderTemplate(spec.group, ctx);
  if (value !== null && typeof value === 'object') {
    throw new ExpressionError(ExpressionErrorCode.type, `the concurrency group must render to text, got ${JSON.stringify(value).slice(0, 80)}`, { expression: spec.group });
  }
  const key = toDisplayString(value).trim();
  const problem = groupKeyProblem(key);
  if (problem) throw new ExpressionError(ExpressionErrorCode.eval, `concurrency group '${spec.group}' rendered to '${key.slice(0, 80)}': ${problem}`, { expression: spec.group });
  return key;
}

/** Who asks for a slot. */
export interface SlotOwner {
  /** Groups are shared within a project. */
  readonly project: string;
  /** The tempoflow run (for the group's display and for `superseded by`). */
  readonly runId: string;
  readonly workflowName: string;
  /** Set for a job's slot. */
  readonly job?: string;
  readonly matrixKey?: string;
  /** Tuning passed to the group (tests lower them). */
  readonly limits?: ScaleLimits;
  /** A newcomer with `cancel-in-progress` superseded this slot while it was held: stop the run (or job). */
  readonly onSuperseded: (reason: string) => void;
}

/** How an ask ended. */
export type AcquireOutcome =
  | { readonly held: true }
  /** The queue was full: `error` says so (`ConcurrencyGroupFull`), `skip` is `on-full: skip`. */
  | { readonly held: false; readonly refused: { readonly skip: boolean; readonly error: ErrorInfo } }
  /** A newcomer with `cancel-in-progress` took the group while this one waited. */
  | { readonly held: false; readonly superseded: string };

/** The slots of one workflow execution; see the module doc. */
export class GroupSlots {
  private readonly slots = new Map<string, GroupSlot>();

  /** `details`: the execution's current details, shared with its approvals (`waiting-details.ts`). */
  constructor(private readonly details: WaitingDetails) {
    setHandler(slotSignal, (reply) => this.slots.get(reply.lease)?.deliver(reply));
  }

  /** A slot to ask for. */
  create(spec: ConcurrencySpec, key: string, owner: SlotOwner): GroupSlot {
    const slot = new GroupSlot(this, spec, key, owner);
    this.slots.set(slot.lease, slot);
    return slot;
  }

  /** A slot held before continue-as-new (the run keeps it). */
  resume(spec: ConcurrencySpec, held: ConcurrencyContext, owner: SlotOwner): GroupSlot {
    const slot = new GroupSlot(this, spec, held.group, owner, held);
    this.slots.set(slot.lease, slot);
    this.showDetails();
    return slot;
  }

  /** @internal A slot that has ended. */
  forget(lease: string): void {
    this.slots.delete(lease);
    this.showDetails();
  }

  /** The Web UI's "current details" of the execution: its slots, held or waited for. */
  showDetails(): void {
    const lines: string[] = [];
    for (const slot of this.slots.values()) {
      const c = slot.context;
      const who = slot.job ? `job \`${slot.job}\`` : 'the run';
      if (c.state === SlotState.WAITING) {
        const place = c.position !== undefined ? `position ${c.position} when it joined, ticket ${c.ticket}` : 'asking';
        lines.push(`${who}: **waiting** in concurrency group \`${c.group}\` since ${c.waitingSince} (${place}); \`tempoflow status ${slot.runId}\` shows the live position`);
      } else if (c.state === SlotState.HOLDING) {
        lines.push(`${who}: holds concurrency group \`${c.group}\` since ${c.heldSince} (ticket ${c.ticket})`);
      }
    }
    this.details.setGroups(lines.join('\n\n'));
  }
}

/** One slot of a group: asked once, released once. */
export class GroupSlot {
  /** The slot as the context shows it (live: the run's or job's context holds this object). */
  readonly context: ConcurrencyContext;
  /** `<workflow id>` for a run, `<workflow id>#<job>` for a job. */
  readonly lease: string;
  private decisive?: SlotReply;
  private asked: boolean;
  private released = false;

  /** @internal Use `GroupSlots.create` or `resume`. */
  constructor(
    private readonly slots: GroupSlots,
    private readonly spec: ConcurrencySpec,
    key: string,
    private readonly owner: SlotOwner,
    held?: ConcurrencyContext,
  ) {
    const info = workflowInfo();
    this.lease = owner.job ? `${info.workflowId}#${owner.job}` : info.workflowId;
    this.asked = held !== undefined;
    this.context = held
      ? { ...held }
      : { group: key, workflowId: groupWorkflowId(owner.project, key), lease: this.lease, state: SlotState.WAITING, limit: spec.limit, waitingSince: new Date().toISOString() };
  }

  get job(): string | undefined {
    return this.owner.job;
  }

  get runId(): string {
    return this.owner.runId;
  }

  /** @internal A reply of the group. */
  deliver(reply: SlotReply): void {
    const c = this.context;
    switch (reply.state) {
      case 'queued':
        if (c.state === SlotState.WAITING && !this.decisive) Object.assign(c, { ticket: reply.ticket, position: reply.position, waitingSince: reply.since });
        break;
      case 'granted':
      case 'refused':
        this.decisive ??= reply;
        break;
      case 'superseded':
        c.supersededBy = reply.by;
        if (c.state === SlotState.HOLDING) {
          c.state = SlotState.SUPERSEDED;
          this.owner.onSuperseded(supersededReason(reply.by, c.group));
        } else this.decisive ??= reply;
        break;
    }
    this.slots.showDetails();
  }

  /**
   * Asks the group and waits for its answer. Cancelling the calling scope
   * while it waits takes the slot out of the queue (or gives back a grant
   * that raced) and rethrows the cancellation.
   */
  async acquire(): Promise<AcquireOutcome> {
    const info = workflowInfo();
    const { limits } = this.owner;
    const request: SlotRequest = {
      lease: this.lease,
      ask: uuid4(),
      workflowId: info.workflowId,
      firstRunId: info.firstExecutionRunId,
      runId: this.owner.runId,
      workflowName: this.owner.workflowName,
      ...(this.owner.job !== undefined ? { job: this.owner.job } : {}),
      ...(this.owner.matrixKey !== undefined ? { matrixKey: this.owner.matrixKey } : {}),
      limit: this.spec.limit,
      queue: this.spec.queue,
      cancelInProgress: this.spec.cancelInProgress,
      ...(limits?.groupMaxHistoryEvents !== undefined ? { maxHistoryEvents: limits.groupMaxHistoryEvents } : {}),
      ...(limits?.groupHolderCheckSeconds !== undefined ? { holderCheckSeconds: limits.groupHolderCheckSeconds } : {}),
    };
    this.asked = true;
    this.slots.showDetails();
    // Not cancellable: once the group may have the request, it must hear a release too.
    await CancellationScope.nonCancellable(() =>
      requestConcurrencySlot({ groupWorkflowId: this.context.workflowId, taskQueue: info.taskQueue, group: { project: this.owner.project, key: this.context.group }, request }),
    );
    try {
      if (CancellationScope.current().consideredCancelled) throw new CancelledFailure('cancelled while asking for a concurrency slot');
      await condition(() => this.decisive !== undefined);
    } catch (err) {
      await this.release();
      throw err;
    }
    const reply = this.decisive!;
    const c = this.context;
    delete c.position;
    switch (reply.state) {
      case 'granted':
        Object.assign(c, { state: SlotState.HOLDING, ticket: reply.ticket, heldSince: reply.heldSince });
        log.info(`${this.who()}: holds concurrency group '${c.group}' (ticket ${reply.ticket})`);
        this.slots.showDetails();
        return { held: true };
      case 'refused': {
        const reason = `concurrency group '${c.group}' is full: ${reply.waiting} waiting (queue: ${this.spec.queue}), held by ${reply.holders.join(', ') || 'nobody'}`;
        Object.assign(c, { state: SlotState.REFUSED, reason });
        this.released = true;
        this.slots.forget(this.lease);
        const hint = this.spec.onFull === 'skip' ? '' : '; raise `concurrency.queue`, or set `on-full: skip` to skip instead of failing';
        return { held: false, refused: { skip: this.spec.onFull === 'skip', error: { name: CONCURRENCY_GROUP_FULL, message: `${reason}${hint}`, location: this.spec.loc } } };
      }
      default: {
        const by = reply.state === 'superseded' ? reply.by : 'a newcomer';
        Object.assign(c, { state: SlotState.SUPERSEDED, supersededBy: by });
        this.released = true; // the group dropped it from the queue
        this.slots.forget(this.lease);
        return { held: false, superseded: supersededReason(by, c.group) };
      }
    }
  }

  /**
   * Gives the slot back (or leaves the queue): once, whatever the scope
   * (non-cancellable), before the run or job ends. A group that is gone is
   * not an error.
   */
  async release(): Promise<void> {
    if (!this.asked || this.released) return;
    this.released = true;
    const c = this.context;
    c.releasedAt = new Date().toISOString();
    if (c.state === SlotState.HOLDING || c.state === SlotState.WAITING) c.state = SlotState.RELEASED;
    delete c.position;
    try {
      await CancellationScope.nonCancellable(() => getExternalWorkflowHandle(c.workflowId).signal(releaseSignal, { lease: this.lease }));
    } catch (err) {
      log.warn(`${this.who()}: could not release concurrency group '${c.group}' (${String(err)}); the group frees the slot when it finds this run ended`);
    }
    this.slots.forget(this.lease);
  }

  private who(): string {
    return this.owner.job ? `job ${this.owner.job}${this.owner.matrixKey ? ` [${this.owner.matrixKey}]` : ''}` : `run ${this.owner.runId}`;
  }
}

/** The reason a superseded run or job records. */
export function supersededReason(by: string, group: string): string {
  return `superseded by ${by} in concurrency group '${group}' (cancel-in-progress)`;
}
