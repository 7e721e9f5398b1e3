/**
 * Approvals (docs/semantics.md, "Approvals"): a run routes each decision to
 * the job that owns the stage ({@link routeApproval}); a job run keeps its
 * decisions by stage path until the `approval` stage asks, and passes them on
 * to the chunk children of a large `foreach`, where nested approval stages
 * wait ({@link Approvals}).
 *
 * Workflow code: deterministic, no I/O.
 */
import { getExternalWorkflowHandle, log } from '@temporalio/workflow';
import type { JobContext } from '../engine/context.js';
import type { JobSpec } from '../engine/spec.js';
import { Status } from '../engine/status.js';
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

/** What a run routes its approvals to (`Interpreter`). */
export interface ApprovalRoutes {
  readonly jobs: readonly JobSpec[];
  /** Decisions per job id, kept for jobs and combinations that start later. */
  readonly kept: Map<string, ApprovalDecision[]>;
  /** Runners of inline jobs that are running or done. */
  readonly runners: ReadonlyMap<string, { decide(decision: ApprovalDecision): void }>;
  /** The run's job contexts (a matrix job's running combinations are its `strategies`). */
  readonly contexts: Readonly<Record<string, JobContext | undefined>>;
}

/**
 * Routes a run's approval to the job that owns the stage: an inline job's
 * runner, or the child workflows of a matrix job (one combination with
 * `job[key].stage`, else every one). Decisions are also kept for
 * combinations and jobs that start later.
 */
export function routeApproval(decision: ApprovalDecision, routes: ApprovalRoutes): void {
  const targets = approvalTargets(routes.jobs, decision.stage);
  if (targets.length === 0) log.warn(`approval for unknown stage '${decision.stage}' ignored`);
  for (const t of targets) {
    const relative: ApprovalDecision = { ...decision, stage: t.stage };
    const kept = routes.kept.get(t.job) ?? [];
    kept.push(relative);
    routes.kept.set(t.job, kept);
    routes.runners.get(t.job)?.decide(relative);
    for (const s of routes.contexts[t.job]?.strategies ?? []) {
      if (s.status !== Status.WAIT || (t.key && s.key !== t.key) || !s.workflowId) continue;
      forwardApproval(s.workflowId, relative);
    }
  }
}

/** Signals a decision to a running child workflow; a failed signal is logged, not thrown. */
function forwardApproval(workflowId: string, decision: ApprovalDecision): void {
  void getExternalWorkflowHandle(workflowId)
    .signal(approvalSignal, decision)
    .catch((err: unknown) => log.warn(`could not forward approval to ${workflowId}`, { error: String(err) }));
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
    for (const workflowId of this.children) forwardApproval(workflowId, decision);
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
