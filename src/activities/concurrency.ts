/**
 * The two side effects of concurrency groups (docs/semantics.md,
 * "Concurrency groups"), through the worker's client:
 *
 * - `requestConcurrencySlot`: a run (or job) asks its group for a slot by
 *   signal-with-start, so the group workflow starts with the first request
 *   and every later request reaches the running one (or its continuation).
 *   Workflow code cannot signal-with-start, hence this activity; it returns
 *   once the server has the signal, without waiting for the group, and the
 *   group answers with a `tempoflow.concurrency.slot` signal.
 * - `findEndedHolders`: the group asks which of its holders no longer run (a
 *   run terminated by hand cannot release its slot itself).
 *
 * Both run as local activities: short RPCs that need no activity slot.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/common';
import { GROUP_WORKFLOW_TYPE, GroupSignalName } from '../engine/concurrency.js';

/** Input of `requestConcurrencySlot`. */
export interface SlotRequestInput {
  readonly groupWorkflowId: string;
  /** Task queue of the group workflow when it has to start (the asking run's). */
  readonly taskQueue: string;
  /** The group's input when it has to start. */
  readonly group: { readonly project: string; readonly key: string };
  /** The `acquire` signal's argument (`SlotRequest`). */
  readonly request: unknown;
}

/** A holder to check. */
export interface HolderRef {
  readonly workflowId: string;
  readonly firstRunId: string;
}

/** Signal-with-start of the group's `acquire` signal. */
export async function requestConcurrencySlot(input: SlotRequestInput): Promise<void> {
  await Context.current().client.workflow.signalWithStart(GROUP_WORKFLOW_TYPE, {
    workflowId: input.groupWorkflowId,
    taskQueue: input.taskQueue,
    args: [input.group],
    signal: GroupSignalName.ACQUIRE,
    signalArgs: [input.request],
    staticSummary: `tempoflow concurrency group ${input.group.key}`.slice(0, 200),
  });
}

/**
 * The holders whose execution has ended: closed, gone, or replaced by
 * another execution under the same id. A holder that cannot be described for
 * another reason (the server is busy) counts as running: it is checked again.
 */
export async function findEndedHolders(holders: readonly HolderRef[]): Promise<string[]> {
  const client = Context.current().client;
  const ended: string[] = [];
  await Promise.all(
    holders.map(async (h) => {
      try {
        const d = await client.workflow.getHandle(h.workflowId).describe();
        const firstRunId = d.raw.workflowExecutionInfo?.firstRunId;
        if (d.status.name !== 'RUNNING' || (firstRunId && firstRunId !== h.firstRunId)) ended.push(h.workflowId);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) ended.push(h.workflowId);
      }
    }),
  );
  return ended.sort();
}
