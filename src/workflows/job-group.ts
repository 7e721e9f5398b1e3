/**
 * A job's side of its concurrency group (docs/semantics.md, "Concurrency
 * groups"): render the key, ask for the slot and wait for it, then wait for a
 * job slot of the run. The job runner (`job-runner.ts`) holds what this
 * returns around its job loop and applies the ending when the job never
 * starts (refused, skipped, superseded, stopped while waiting).
 *
 * Workflow code: deterministic, no I/O.
 */
import { isCancellation, log } from '@temporalio/workflow';
import type { ErrorInfo } from '../engine/context.js';
import type { ConcurrencySpec, JobSpec } from '../engine/spec.js';
import { Status } from '../engine/status.js';
import type { ExpressionContext } from '../expressions/index.js';
import { DEFAULT_PROJECT, renderGroupKey, type GroupSlot, type GroupSlots, type SlotOwner } from './concurrency.js';
import type { JobRunInput } from './definitions.js';
import { toErrorInfo } from '../engine/render.js';
import { JOB_CANCELLED_REASON, StopMoment, type StopState } from './stop-state.js';

/** What a job with `concurrency:` needs from the execution it runs in. */
export interface JobGroupEnv {
  /** The execution's slots (one `slot` signal handler per execution). */
  readonly slots: GroupSlots;
  /** Resolves once the job may take one of the run's job slots (inline jobs; waiting for the group takes none). */
  readonly takeJobSlot?: () => Promise<void>;
}

/** How a job that never started ends: FAILED with an error, or CANCEL/SKIP with a reason. */
export type JobNotStarted = { readonly failed: ErrorInfo; readonly reason: string } | { readonly status: Status; readonly reason: string };

/** The job holds its group (and a job slot): run it, then release `slot` (none when it runs in its run's slot). */
export type GroupHold = { readonly holds: true; readonly slot?: GroupSlot } | { readonly holds: false; readonly ending: JobNotStarted };

/** What `holdJobGroup` reads of the job runner. */
export interface JobGroupAsk {
  readonly job: JobSpec & { readonly concurrency: ConcurrencySpec };
  readonly input: JobRunInput;
  readonly group: JobGroupEnv;
  readonly ctx: ExpressionContext;
  readonly runStop: StopState;
  /** Called when a newcomer with `cancel-in-progress` takes the group from the job. */
  readonly onSuperseded: (reason: string) => void;
  /** Called with the slot once asked for: the job's context shows it (`concurrency`). */
  readonly onSlot: (slot: GroupSlot) => void;
}

/**
 * Asks for the job's concurrency slot and waits for it (and then for a job
 * slot of the run). `holds: false` when the job ended instead.
 */
export async function holdJobGroup(ask: JobGroupAsk): Promise<GroupHold> {
  const { job, input, group, runStop } = ask;
  const spec = job.concurrency;
  let key: string;
  try {
    key = renderGroupKey(spec, ask.ctx);
  } catch (err) {
    return { holds: false, ending: { failed: toErrorInfo(err, { job: job.id, location: spec.loc }), reason: 'its concurrency group could not be rendered' } };
  }
  if (key === input.runGroup) {
    log.info(`job ${job.id}: concurrency group '${key}' is its run's; it runs in the run's slot`);
    return takeJobSlot(group, undefined, runStop);
  }
  const owner: SlotOwner = {
    project: input.project ?? DEFAULT_PROJECT,
    runId: input.runId,
    workflowName: input.workflowName,
    job: job.id,
    ...(input.matrixKey ? { matrixKey: input.matrixKey } : {}),
    ...(input.limits ? { limits: input.limits } : {}),
    onSuperseded: ask.onSuperseded,
  };
  const slot = group.slots.create(spec, key, owner);
  ask.onSlot(slot);
  let outcome;
  try {
    outcome = await slot.acquire();
  } catch (err) {
    if (!isCancellation(err)) throw err;
    return { holds: false, ending: { status: Status.CANCEL, reason: stoppedReason(runStop) } };
  }
  if (outcome.held) return takeJobSlot(group, slot, runStop);
  if ('superseded' in outcome) return { holds: false, ending: { status: Status.CANCEL, reason: outcome.superseded } };
  if (outcome.refused.skip) return { holds: false, ending: { status: Status.SKIP, reason: outcome.refused.error.message } };
  return { holds: false, ending: { failed: outcome.refused.error, reason: 'its concurrency group is full' } };
}

/** Waits for a job slot of the run, holding the group slot (running jobs never wait for a group, so this ends). */
async function takeJobSlot(group: JobGroupEnv, slot: GroupSlot | undefined, runStop: StopState): Promise<GroupHold> {
  try {
    await group.takeJobSlot?.();
  } catch (err) {
    if (!isCancellation(err)) throw err;
    await slot?.release();
    return { holds: false, ending: { status: Status.CANCEL, reason: stoppedReason(runStop) } };
  }
  return { holds: true, ...(slot ? { slot } : {}) };
}

function stoppedReason(runStop: StopState): string {
  return runStop.cause ? runStop.reason(StopMoment.BEFORE_JOB) : JOB_CANCELLED_REASON;
}
