/**
 * What a workflow execution waits for, as its current details (Temporal's
 * user metadata, shown by the Web UI on the run's page and read back by
 * `RunHandle.currentDetails()`): each waiting approval stage, its message and
 * the command that approves it (docs/semantics.md, "Approvals"), then the
 * concurrency groups its run or jobs hold or wait for (`concurrency.ts`). One
 * per execution, shared by the jobs that run in it: the only writer of the
 * execution's current details, so neither part hides the other.
 *
 * Workflow code: deterministic, no I/O. Current details are not a command:
 * setting them changes nothing a history records.
 */
import { setCurrentDetails } from '@temporalio/workflow';

/** An approval stage that waits. */
export interface WaitingApproval {
  /** The run to approve (the root run id). */
  readonly runId: string;
  /** The stage's address for `tempoflow approve`: `job.stage`, `job[matrix-key].stage`, `job.parent.key.stage`. */
  readonly address: string;
  /** Its rendered, masked message. */
  readonly message: string;
  readonly timeoutSeconds?: number;
}

/** The lines of current details that tell what one approval waits for and how to decide it. */
export function describeWaitingApproval(w: WaitingApproval): string {
  const timeout = w.timeoutSeconds !== undefined ? ` (times out after ${w.timeoutSeconds} s)` : '';
  return [
    `Waiting for approval of \`${w.address}\`${timeout}: ${w.message}`,
    `Approve: \`tempoflow approve ${w.runId} ${w.address}\``,
    `Reject: \`tempoflow reject ${w.runId} ${w.address} --reason "..."\``,
  ].join('\n');
}

/** See the module doc. */
export class WaitingDetails {
  private readonly approvals = new Map<string, WaitingApproval>();
  private groups = '';

  /** Notes an approval that starts waiting. */
  waitFor(approval: WaitingApproval): void {
    this.approvals.set(approval.address, approval);
    this.publish();
  }

  /** Notes that it no longer waits (decided, timed out, cancelled). */
  done(address: string): void {
    if (this.approvals.delete(address)) this.publish();
  }

  /** Replaces the concurrency groups' part (markdown; empty when no slot is held or waited for). */
  setGroups(text: string): void {
    if (text === this.groups) return;
    this.groups = text;
    this.publish();
  }

  private publish(): void {
    const parts = [...this.approvals.values()].map(describeWaitingApproval);
    if (this.groups) parts.push(this.groups);
    setCurrentDetails(parts.join('\n\n'));
  }
}
