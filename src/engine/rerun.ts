/**
 * What a rerun keeps from a previous run (docs/operations.md "Rerun"): every job that
 * did not succeed reruns, and so does every job that depends on one of them;
 * the other SUCCESS jobs are kept as they were. A matrix job that reruns
 * because it failed keeps its SUCCESS combinations. `fromStage` restarts one
 * failed job from a stage, keeping the stages before it.
 *
 * Pure module: safe to import from workflow code.
 */
import type { JobContext, RunContext, StageContext, StrategyContext } from './context.js';
import { descendants } from './dag.js';
import type { WorkflowSpec } from './spec.js';

/** A rerun that cannot be planned (unknown job or stage, nothing to restart). */
export class RerunPlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RerunPlanError';
  }
}

export interface PlanRerunOptions {
  /** The previous run's id (recorded as `reusedFrom`). */
  readonly fromRunId: string;
  /** `<job>.<stage>`: restart that failed job from that stage. */
  readonly fromStage?: string;
}

/** Where a rerun restarts one job (the shape of `ReusePlan.fromStage`). */
export interface RestartPoint {
  readonly job: string;
  readonly stage: string;
  /** The stages before it, kept from the previous run. */
  readonly stages: Readonly<Record<string, StageContext>>;
}

/**
 * The plan: structurally a `ReusePlan` (workflows/definitions.ts), plus which
 * jobs rerun (for messages).
 */
export interface RerunPlan {
  readonly fromRunId: string;
  /** Jobs kept as they were (not run again). */
  readonly jobs: Readonly<Record<string, JobContext>>;
  /** Matrix jobs that rerun: their SUCCESS combinations, kept. */
  readonly combinations: Readonly<Record<string, readonly StrategyContext[]>>;
  readonly fromStage?: RestartPoint;
  /** Jobs that run again, in YAML order. */
  readonly rerun: readonly string[];
}

/**
 * Plans a rerun of `context` (the previous run's final context) for `spec`
 * (that run's YAML snapshot). Throws `RerunPlanError` when `fromStage` names
 * an unknown or succeeded job, a matrix job, or an unknown stage, and when
 * nothing would rerun.
 */
export function planRerun(spec: WorkflowSpec, context: RunContext, options: PlanRerunOptions): RerunPlan {
  const graph = Object.fromEntries(spec.jobs.map((j) => [j.id, { needs: j.needs }]));
  const notSucceeded = spec.jobs.filter((j) => context.jobs[j.id]?.status !== 'SUCCESS').map((j) => j.id);
  const downstream = descendants(graph, notSucceeded);
  const rerunSet = new Set([...notSucceeded, ...downstream]);
  const rerun = spec.jobs.map((j) => j.id).filter((id) => rerunSet.has(id));
  if (rerun.length === 0) {
    throw new RerunPlanError(`every job of run ${options.fromRunId} succeeded; there is nothing to rerun (start a new run instead)`);
  }

  const jobs: Record<string, JobContext> = {};
  for (const job of spec.jobs) {
    const previous = context.jobs[job.id];
    if (!rerunSet.has(job.id) && previous) jobs[job.id] = previous;
  }

  // A matrix job that failed itself (not merely downstream of another
  // rerun, whose outputs may change) keeps its SUCCESS combinations.
  const combinations: Record<string, StrategyContext[]> = {};
  for (const id of notSucceeded) {
    if (downstream.has(id)) continue;
    const kept = (context.jobs[id]?.strategies ?? []).filter((s) => s.status === 'SUCCESS');
    if (kept.length > 0) combinations[id] = kept;
  }

  const plan: RerunPlan = { fromRunId: options.fromRunId, jobs, combinations, rerun };
  if (options.fromStage === undefined) return plan;
  return { ...plan, fromStage: restartPoint(spec, context, options.fromStage, rerunSet) };
}

function restartPoint(spec: WorkflowSpec, context: RunContext, fromStage: string, rerunSet: ReadonlySet<string>): RestartPoint {
  const dot = fromStage.indexOf('.');
  if (dot <= 0 || dot === fromStage.length - 1) {
    throw new RerunPlanError(`--from-stage '${fromStage}' must be <job>.<stage>, e.g. 'load.insert'`);
  }
  const jobId = fromStage.slice(0, dot);
  const stageId = fromStage.slice(dot + 1);
  const job = spec.jobs.find((j) => j.id === jobId);
  if (!job) throw new RerunPlanError(`--from-stage '${fromStage}': the workflow has no job '${jobId}' (jobs: ${spec.jobs.map((j) => j.id).join(', ')})`);
  const previous = context.jobs[jobId];
  if (!rerunSet.has(jobId) || previous?.status === 'SUCCESS') {
    throw new RerunPlanError(`--from-stage '${fromStage}': job '${jobId}' succeeded and does not rerun; name a job that failed (or depends on one)`);
  }
  if (job.strategy) {
    throw new RerunPlanError(`--from-stage '${fromStage}': '${jobId}' is a matrix job; a rerun repeats its failed combinations whole, so drop --from-stage`);
  }
  const index = job.stages.findIndex((s) => s.id === stageId);
  if (index < 0) {
    throw new RerunPlanError(`--from-stage '${fromStage}': job '${jobId}' has no stage '${stageId}' (stages: ${job.stages.map((s) => s.id).join(', ')})`);
  }
  const stages: Record<string, StageContext> = {};
  for (const stage of job.stages.slice(0, index)) {
    const kept = previous?.stages[stage.id];
    if (!kept) {
      throw new RerunPlanError(`--from-stage '${fromStage}': stage '${stage.id}' before it never ran in the previous run, so there is nothing to keep; restart from '${jobId}.${stage.id}' or earlier`);
    }
    if (kept.status !== 'SUCCESS' && kept.status !== 'SKIP') {
      throw new RerunPlanError(`--from-stage '${fromStage}': stage '${jobId}.${stage.id}' before it ended ${kept.status}; restart from '${jobId}.${stage.id}' instead`);
    }
    stages[stage.id] = kept;
  }
  return { job: jobId, stage: stageId, stages };
}
