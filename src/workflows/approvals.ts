/**
 * The approval decisions of one job run, kept by stage path until the
 * `approval` stage asks, and passed on to the chunk children of a large
 * `foreach`, where nested approval stages wait (docs/semantics.md,
 * "Approvals").
 *
 * Workflow code: deterministic, no I/O.
 */
import { getExternalWorkflowHandle, log } from '@temporalio/workflow';
import type { JobSpec } from '../engine/spec.js';
import { walkStages } from '../engine/triggers.js';
import { approvalSignal, type ApprovalDecision } from './definitions.js';

/** Where a run's approval goes: a job, one of its combinations (`key`), and the stage path inside it. */
export interface ApprovalTarget {
  readonly job: string;
  readonly key?: string;
  readonly stage: string;
}

/**
 * The jobs an approval addressed to `stage` reaches: `job[key].stage` (one
 * combination), `job.stage`, or a bare stage id (every job with an approval
 * stage of that id).
 */
export function approvalTargets(jobs: readonly JobSpec[], stage: string): ApprovalTarget[] {
  const ids = new Set(jobs.map((j) => j.id));
  const keyed = /^([A-Za-z_][A-Za-z0-9_-]*)\[([^\]]+)\]\.(.+)$/.exec(stage);
  const dot = stage.indexOf('.');
  if (keyed && ids.has(keyed[1]!)) return [{ job: keyed[1]!, key: keyed[2]!, stage: keyed[3]! }];
  if (dot > 0 && ids.has(stage.slice(0, dot))) return [{ job: stage.slice(0, dot), stage: stage.slice(dot + 1) }];
  return jobs.filter((job) => [...walkStages(job.stages)].some((s) => s.kind === 'approval' && s.id === stage)).map((job) => ({ job: job.id, stage }));
}

/** See the module doc. */
export class Approvals {
  /** Decisions by stage path (relative to the job), kept until the stage takes them. */
  private readonly decisions = new Map<string, ApprovalDecision>();
  /** Running chunk children: decisions are forwarded to them. */
  private readonly children = new Set<string>();

  constructor(initial: readonly ApprovalDecision[] = []) {
    for (const d of initial) this.decisions.set(d.stage, d);
  }

  /** Records a decision for a stage path (`<stage>` or `<parent>.<key>.<stage>`) and forwards it to running chunk children. */
  decide(decision: ApprovalDecision): void {
    this.decisions.set(decision.stage, decision);
    for (const workflowId of this.children) {
      void getExternalWorkflowHandle(workflowId)
        .signal(approvalSignal, decision)
        .catch((err: unknown) => log.warn(`could not forward approval to ${workflowId}`, { error: String(err) }));
    }
  }

  /** True when a decision for the stage path is waiting. */
  has(path: string): boolean {
    return this.decisions.has(path);
  }

  /** Takes the decision for a stage path (call after {@link has}). */
  take(path: string): ApprovalDecision | undefined {
    const decision = this.decisions.get(path);
    this.decisions.delete(path);
    return decision;
  }

  /** Every decision kept, for a child that starts now. */
  all(): ApprovalDecision[] {
    return [...this.decisions.values()];
  }

  /** Forwards later decisions to a running chunk child, until {@link unwatch}. */
  watch(workflowId: string): void {
    this.children.add(workflowId);
  }

  unwatch(workflowId: string): void {
    this.children.delete(workflowId);
  }
}
