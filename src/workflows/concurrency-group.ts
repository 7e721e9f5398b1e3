/**
 * `tempoflowConcurrencyGroup`: one concurrency group (docs/semantics.md,
 * "Concurrency groups"), id `tf-group:<project>:<key>`. It holds the group's
 * holders and a FIFO queue in its state, so both survive worker and server
 * restarts.
 *
 * The protocol, all by signal (no update: an update would keep the asking
 * run's workflow task open until this workflow's task ran, and a burst of
 * runs could hold every workflow-task slot of a worker while this one waits
 * for one):
 *
 * - a run (or job) asks with `acquire` through signal-with-start (the
 *   `requestConcurrencySlot` activity), so the first request starts the group;
 * - the group answers each request with a `slot` signal: `granted` (at once
 *   when nobody waits and fewer than the request's `limit` hold the group),
 *   `queued` (with its ticket and position), `refused` (the queue is full) or
 *   later `superseded` (a newcomer with `cancel-in-progress`);
 * - the first waiter is granted as soon as fewer than its `limit` hold the
 *   group; nobody overtakes it (FIFO by ticket);
 * - a holder gives its slot back, and a waiter leaves the queue, with
 *   `release`; a reply that cannot be delivered (its run is gone) frees the slot;
 * - while requests wait, the holders are checked every
 *   `groupHolderCheckSeconds` (default 10) through a local activity that
 *   describes them: a holder terminated by hand loses its slot.
 *
 * It continues as new once its history is long (default 5,000 events, or
 * when Temporal suggests it; replies in flight count ahead), carrying holders
 * and queue, and ends when nobody holds or waits. To continue as new it
 * drains: requests that arrive meanwhile are kept, unanswered, for the next
 * run (which answers them first), so no reply is in flight when it
 * continues, however busy the group. The `acquire` handler starts draining
 * too: a retried workflow task can bring hundreds of requests at once
 * (ARCHITECTURE.md, "Concurrency groups").
 *
 * Workflow code: deterministic, no I/O.
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { acquireSignal, groupStatusQuery, releaseSignal, slotSignal, type GroupInput, type GroupMember, type GroupState, type GroupView, type SlotReply, type SlotRequest } from './definitions.js';

/** Default history length at which a group continues as new. */
export const DEFAULT_GROUP_MAX_HISTORY_EVENTS = 5000;

/** Default seconds between checks of the holders while requests wait. */
export const DEFAULT_HOLDER_CHECK_SECONDS = 10;

/**
 * History events one reply adds, counted ahead while it is in flight: its
 * `SignalExternalWorkflowExecutionInitiated` and `ExternalWorkflowExecutionSignaled`
 * events and, about once per reply when replies land one by one, a workflow task.
 */
const EVENTS_PER_REPLY = 3;

/**
 * `patched()` id of the bounded group: it counts the replies in flight toward its
 * history threshold and starts draining in the signal handler (keeping later
 * requests for the next run), so a burst of requests cannot grow one execution far
 * past its threshold. Executions started before it take the old path.
 */
const BOUNDED_REPLIES_PATCH = 'tempoflow-group-bounded-replies';

/** Waiters listed by the `status` query and the group's current details. */
const WAITERS_SHOWN = 50;
const WAITERS_IN_DETAILS = 20;

const { findEndedHolders } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 5 },
});

/** What a group returns when it ends (nobody holds or waits). */
export interface GroupOutcome {
  readonly key: string;
  /** Slots granted over the group's life. */
  readonly granted: number;
  readonly continuedRuns: number;
}

/** The group workflow; see the module doc. */
export async function tempoflowConcurrencyGroup(input: GroupInput): Promise<GroupOutcome> {
  return new ConcurrencyGroup(input).run();
}

class ConcurrencyGroup {
  private holders: GroupMember[];
  private queue: GroupMember[];
  private nextTicket: number;
  private granted: number;
  private maxHistoryEvents = DEFAULT_GROUP_MAX_HISTORY_EVENTS;
  private holderCheckSeconds = DEFAULT_HOLDER_CHECK_SECONDS;
  /** Replies being sent. */
  private inflight = 0;
  /** Something changed since the main loop last looked. */
  private changed = true;
  /** Draining to continue as new: new requests wait in `pending`, no grant is sent. */
  private draining = false;
  private pending: SlotRequest[] = [];
  /** Whether this execution takes the bounded path ({@link BOUNDED_REPLIES_PATCH}); set first thing in {@link run}. */
  private boundedReplies = false;

  constructor(private readonly input: GroupInput) {
    const carried = input.carried;
    this.holders = [...(carried?.holders ?? [])];
    this.queue = [...(carried?.queue ?? [])];
    this.nextTicket = carried?.nextTicket ?? 1;
    this.granted = carried?.granted ?? 0;
    if (carried?.maxHistoryEvents !== undefined) this.maxHistoryEvents = carried.maxHistoryEvents;
    if (carried?.holderCheckSeconds !== undefined) this.holderCheckSeconds = carried.holderCheckSeconds;
  }

  async run(): Promise<GroupOutcome> {
    this.boundedReplies = patched(BOUNDED_REPLIES_PATCH);
    // Requests kept by the previous run come before any that arrive now (FIFO).
    for (const request of this.input.carried?.pending ?? []) this.acquire(request);
    setHandler(acquireSignal, (request) => this.acquire(request));
    setHandler(releaseSignal, ({ lease }) => this.release(lease));
    setHandler(groupStatusQuery, (lease) => this.view(lease));

    const checkerScope = new CancellationScope();
    // Never a floating rejected promise: a failure of the checker is rethrown by the main loop
    // (one that settles after the execution is gone, e.g. while the worker evicts it, is dropped).
    let checkerFailure: unknown;
    const checker = checkerScope
      .run(() => this.checkHolders())
      .catch((err: unknown) => {
        if (isCancellation(err)) return;
        checkerFailure = err;
        this.changed = true;
      });
    const stopChecker = async (): Promise<void> => {
      checkerScope.cancel();
      await checker;
    };

    for (;;) {
      await condition(() => this.changed);
      if (checkerFailure !== undefined) throw checkerFailure;
      this.changed = false;
      if (!this.draining) this.grantWaiters();
      this.showDetails();
      const idle = this.holders.length === 0 && this.queue.length === 0 && this.pending.length === 0;
      if (!idle && !this.historyIsLong()) continue;
      if (!idle) this.draining = true;
      // Let every reply land and every handler finish before ending or continuing.
      await condition(() => this.inflight === 0 && allHandlersFinished());
      if (idle) {
        if (this.changed) continue; // a request arrived meanwhile: serve it
        await stopChecker();
        log.info(`concurrency group ${this.input.key}: nobody holds or waits; ${this.granted} slots granted`);
        return { key: this.input.key, granted: this.granted, continuedRuns: this.input.carried?.continuedRuns ?? 0 };
      }
      await stopChecker();
      const carried: GroupState = {
        holders: this.holders,
        queue: this.queue,
        nextTicket: this.nextTicket,
        granted: this.granted,
        continuedRuns: (this.input.carried?.continuedRuns ?? 0) + 1,
        ...(this.pending.length > 0 ? { pending: this.pending } : {}),
        ...(this.boundedReplies && this.maxHistoryEvents !== DEFAULT_GROUP_MAX_HISTORY_EVENTS ? { maxHistoryEvents: this.maxHistoryEvents } : {}),
        ...(this.boundedReplies && this.holderCheckSeconds !== DEFAULT_HOLDER_CHECK_SECONDS ? { holderCheckSeconds: this.holderCheckSeconds } : {}),
      };
      log.info(`concurrency group ${this.input.key}: continuing as new after ${workflowInfo().historyLength} events (${this.holders.length} holding, ${this.queue.length} waiting)`);
      return continueAsNew<typeof tempoflowConcurrencyGroup>({ project: this.input.project, key: this.input.key, carried });
    }
  }

  /**
   * Whether to drain and continue as new. `historyLength` is that of the activation
   * (the same on replay, however the tasks were retried); the bounded path also counts
   * the events that the replies still in flight will add.
   */
  private historyIsLong(): boolean {
    const info = workflowInfo();
    const ahead = this.boundedReplies ? EVENTS_PER_REPLY * this.inflight : 0;
    return info.continueAsNewSuggested || info.historyLength + ahead >= this.maxHistoryEvents;
  }

  // ——— Requests and releases ———

  private acquire(request: SlotRequest): void {
    if (this.boundedReplies) {
      this.tune(request);
      // Past the threshold, answering would only grow this history: keep the request for the
      // next run. Checked here, not only in the main loop, because one activation can bring
      // hundreds of requests (a retried workflow task replays the signals of the failed ones at once).
      if (!this.draining && this.historyIsLong()) {
        this.draining = true;
        this.changed = true;
      }
    }
    if (this.draining) {
      this.pending.push(request);
      return;
    }
    if (!this.boundedReplies) this.tune(request);
    this.changed = true;
    const known = this.member(request.lease);
    if (known && known.firstRunId === request.firstRunId) {
      // The same ask sent twice (a retried activity): it was answered. A new ask of a member: answer again.
      if (known.ask !== request.ask) this.replyState(known);
      return;
    }
    // A lease of an execution that ended (same id, another execution now): that one is gone.
    if (known) this.drop(request.lease);
    if (request.cancelInProgress) this.supersedeAll(request);
    const now = new Date().toISOString();
    if (this.queue.length === 0 && this.holders.length < request.limit) {
      this.grant(this.newMember(request, now));
    } else if (!request.cancelInProgress && this.queue.length >= request.queue) {
      this.reply(request, { lease: request.lease, state: 'refused', holders: this.holders.map(describeMember), waiting: this.queue.length });
    } else {
      const member = this.newMember(request, now);
      this.queue.push(member);
      this.reply(member, { lease: member.lease, state: 'queued', ticket: member.ticket, position: this.queue.length, since: now });
    }
  }

  /** Test tuning sent with the request (the run's scale limits). */
  private tune(request: SlotRequest): void {
    if (request.maxHistoryEvents !== undefined) this.maxHistoryEvents = Math.max(50, request.maxHistoryEvents);
    if (request.holderCheckSeconds !== undefined) this.holderCheckSeconds = Math.max(0.1, request.holderCheckSeconds);
  }

  private newMember(request: SlotRequest, since: string): GroupMember {
    const { queue: _queue, cancelInProgress: _cancel, maxHistoryEvents: _max, holderCheckSeconds: _check, ...member } = request;
    return { ...member, ticket: this.nextTicket++, since };
  }

  private release(lease: string): void {
    this.changed = true;
    this.drop(lease);
  }

  private member(lease: string): GroupMember | undefined {
    return this.holders.find((h) => h.lease === lease) ?? this.queue.find((w) => w.lease === lease);
  }

  private drop(lease: string): void {
    this.holders = this.holders.filter((h) => h.lease !== lease);
    this.queue = this.queue.filter((w) => w.lease !== lease);
  }

  /** `cancel-in-progress`: every waiter leaves the queue and every holder is asked to stop (it keeps its slot until it releases). */
  private supersedeAll(request: SlotRequest): void {
    const by = request.runId;
    for (const waiter of this.queue) this.reply(waiter, { lease: waiter.lease, state: 'superseded', by });
    this.queue = [];
    this.holders = this.holders.map((holder) => {
      if (holder.supersededBy) return holder;
      this.reply(holder, { lease: holder.lease, state: 'superseded', by });
      return { ...holder, supersededBy: by };
    });
  }

  /** Grants the first waiters while fewer than their own `limit` hold the group (FIFO: nobody overtakes the first). */
  private grantWaiters(): void {
    while (this.queue.length > 0 && this.holders.length < this.queue[0]!.limit) this.grant(this.queue.shift()!);
  }

  private grant(member: GroupMember): void {
    const heldSince = new Date().toISOString();
    this.holders.push({ ...member, heldSince });
    this.granted++;
    this.reply(member, { lease: member.lease, state: 'granted', ticket: member.ticket, heldSince });
  }

  /** Answers a member again with where it stands. */
  private replyState(member: GroupMember): void {
    if (member.heldSince) this.reply(member, { lease: member.lease, state: 'granted', ticket: member.ticket, heldSince: member.heldSince });
    else this.reply(member, { lease: member.lease, state: 'queued', ticket: member.ticket, position: this.queue.indexOf(member) + 1, since: member.since });
  }

  /** Signals a reply; when it cannot be delivered (the run is gone), the lease leaves the group. */
  private reply(to: Pick<GroupMember, 'workflowId' | 'lease'>, body: SlotReply): void {
    this.inflight++;
    void getExternalWorkflowHandle(to.workflowId)
      .signal(slotSignal, body)
      .catch((err: unknown) => {
        if (isCancellation(err)) return;
        if (this.member(to.lease)) {
          log.warn(
            `concurrency group ${this.input.key}: ${to.workflowId} is gone (${String(err)}); its ${this.holders.some((h) => h.lease === to.lease) ? 'slot is released' : 'place in the queue is dropped'}`,
          );
          this.drop(to.lease);
          this.changed = true;
        }
      })
      .finally(() => {
        this.inflight--;
      });
  }

  // ——— Dead holders ———

  /** While requests wait, checks every few seconds that the holders still run (a run terminated by hand cannot release). */
  private async checkHolders(): Promise<never> {
    for (;;) {
      await condition(() => this.queue.length > 0 && this.holders.length > 0);
      await sleep(this.holderCheckSeconds * 1000, { summary: 'check that the holders still run' });
      if (this.queue.length === 0 || this.holders.length === 0) continue;
      const refs = [...new Map(this.holders.map((h) => [h.workflowId, { workflowId: h.workflowId, firstRunId: h.firstRunId }])).values()];
      let ended: Set<string>;
      try {
        ended = new Set(await findEndedHolders(refs));
      } catch (err) {
        if (isCancellation(err)) throw err;
        log.warn(`concurrency group ${this.input.key}: could not check its holders (${String(err)}); trying again`);
        continue;
      }
      const gone = this.holders.filter((h) => ended.has(h.workflowId));
      if (gone.length === 0) continue;
      log.warn(`concurrency group ${this.input.key}: ${gone.map((h) => h.lease).join(', ')} ended without releasing (terminated by hand?); their slots are released`);
      this.holders = this.holders.filter((h) => !ended.has(h.workflowId));
      this.changed = true;
    }
  }

  // ——— What it shows ———

  private view(lease?: string): GroupView {
    let position: number | undefined;
    if (lease !== undefined) {
      if (this.holders.some((h) => h.lease === lease)) position = 0;
      else {
        const index = this.queue.findIndex((w) => w.lease === lease);
        if (index >= 0) position = index + 1;
      }
    }
    return {
      project: this.input.project,
      key: this.input.key,
      holders: this.holders,
      waiting: this.queue.length,
      queue: this.queue.slice(0, WAITERS_SHOWN),
      ...(position !== undefined ? { position } : {}),
      granted: this.granted,
    };
  }

  /** The Web UI's "current details" of the group: its holders and first waiters. */
  private showDetails(): void {
    const lines = [`**Concurrency group** \`${this.input.key}\` (project ${this.input.project})`, '', `Holding (${this.holders.length}):`];
    for (const h of this.holders) lines.push(`- ${describeMember(h)} since ${h.heldSince ?? h.since}${h.supersededBy ? `, superseded by ${h.supersededBy}` : ''}`);
    lines.push('', `Waiting (${this.queue.length}):`);
    this.queue.slice(0, WAITERS_IN_DETAILS).forEach((w, i) => lines.push(`${i + 1}. ${describeMember(w)} since ${w.since} (limit ${w.limit})`));
    if (this.queue.length > WAITERS_IN_DETAILS) lines.push(`- … and ${this.queue.length - WAITERS_IN_DETAILS} more`);
    setCurrentDetails(lines.join('\n'));
  }
}

/** `run` or `run / job [matrix key]`. */
function describeMember(m: Pick<GroupMember, 'runId' | 'job' | 'matrixKey'>): string {
  return m.job ? `${m.runId} / ${m.job}${m.matrixKey ? ` [${m.matrixKey}]` : ''}` : m.runId;
}
