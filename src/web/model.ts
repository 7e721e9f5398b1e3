/**
 * From the API's answers to what the page draws: the API shapes the page
 * reads (types of `src/server`, erased at build time), each job's and stage's
 * look, and the graph's nodes of a run or of a workflow that has not run.
 */
import type { z } from 'zod';
import type { RunViewData } from '../server/routes-runs.js';
import type { Definition, RunLinks, WorkflowDetail, WorkflowListing } from '../server/schemas.js';
import { duration } from './dom.js';
import type { GraphCombination, GraphJob } from './graph.js';
import { lookOf, type Look } from './status.js';

export type RunView = RunViewData;
export type DefinitionData = z.infer<typeof Definition>;
export type Links = z.infer<typeof RunLinks>;
export type WorkflowDetailData = z.infer<typeof WorkflowDetail>;
export type Listing = z.infer<typeof WorkflowListing>;
export type JobContext = NonNullable<RunView['context']>['jobs'][string];
export type StageContext = JobContext['stages'][string];

/** True when an approval waits in job `jobId` (inline, nested, or in one of its combinations). */
function waitsForApproval(view: RunView, jobId: string): boolean {
  return view.waitingApprovals.some((w) => w.path.startsWith(`${jobId}.`) || w.path.startsWith(`${jobId}[`));
}

/** A job's look in a run: not started until the run decides it. */
export function jobLook(view: RunView | undefined, jobId: string): Look {
  const job = view?.context?.jobs[jobId];
  if (!job) return 'pending';
  if (job.status === 'WAIT') return view && waitsForApproval(view, jobId) ? 'approval' : 'running';
  return lookOf(job.status);
}

/** A stage's look: a WAIT stage that waits for a decision is `approval`. */
export function stageLook(view: RunView, jobId: string, stageId: string, stage: StageContext | undefined): Look {
  if (!stage) return 'pending';
  if (stage.status === 'WAIT') return view.waitingApprovals.some((w) => w.path === `${jobId}.${stageId}`) ? 'approval' : 'running';
  return lookOf(stage.status);
}

/** `region=us, shard=1`. */
export function matrixLabel(matrix: Readonly<Record<string, unknown>>): string {
  return Object.entries(matrix)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}

/** The stage ids a job declares, in order. */
function declaredStages(definition: DefinitionData | undefined, jobId: string): { id: string; name: string; kind: string }[] {
  return definition?.jobs.find((j) => j.id === jobId)?.stages.map((st) => ({ id: st.id, name: st.name, kind: st.kind })) ?? [];
}

/** The stages of a job as the page lists them: declared ones in order (with what ran), then any the context adds. */
export function stagesOf(definition: DefinitionData | undefined, jobId: string, job: JobContext | undefined): { id: string; name: string; kind?: string; stage?: StageContext }[] {
  const out: { id: string; name: string; kind?: string; stage?: StageContext }[] = declaredStages(definition, jobId).map((d) => ({
    ...d,
    ...(job?.stages[d.id] ? { stage: job.stages[d.id]!, name: job.stages[d.id]!.name } : {}),
  }));
  for (const [id, stage] of Object.entries(job?.stages ?? {})) if (!out.some((o) => o.id === id)) out.push({ id, name: stage.name, stage });
  return out;
}

/** The graph of a run: its definition's jobs with their live looks (or the context's jobs when the definition cannot be read). */
export function runGraph(view: RunView, definition: DefinitionData | undefined, expanded: ReadonlySet<string>): GraphJob[] {
  const jobs = definition?.jobs ?? Object.keys(view.context?.jobs ?? {}).map((id) => ({ id, needs: [] as string[], strategy: undefined }));
  return jobs.map((def) => {
    const job = view.context?.jobs[def.id];
    const look = jobLook(view, def.id);
    const combinations: GraphCombination[] = (job?.strategies ?? []).map((c) => ({
      key: c.key,
      label: matrixLabel(c.matrix),
      look: c.status === 'WAIT' ? (view.waitingApprovals.some((w) => w.path.startsWith(`${def.id}[${c.key}]`)) ? 'approval' : 'running') : lookOf(c.status),
      ...(combinationLink(c) ? { href: combinationLink(c)! } : {}),
    }));
    const isMatrix = def.strategy !== undefined || job?.strategies !== undefined;
    const detail = job ? duration(job.start, job.end) : undefined;
    return {
      id: def.id,
      needs: def.needs,
      look,
      ...(detail ? { detail } : {}),
      ...(job && view.uiUrl ? { href: view.uiUrl } : {}),
      ...(isMatrix ? { matrix: { combinations, expanded: expanded.has(def.id) } } : {}),
    };
  });
}

/** The graph of a workflow that has not run: every job not started. */
export function workflowGraph(definition: DefinitionData): GraphJob[] {
  return definition.jobs.map((def) => ({ id: def.id, needs: def.needs, look: 'pending' as Look, ...(def.strategy !== undefined ? { matrix: { combinations: [], expanded: false } } : {}) }));
}

/** A combination's child workflow in the Temporal Web UI (the server adds `uiUrl` to each). */
export function combinationLink(combination: NonNullable<JobContext['strategies']>[number]): string | undefined {
  const url = (combination as { uiUrl?: unknown }).uiUrl;
  return typeof url === 'string' ? url : undefined;
}

/** The Temporal Web UI link of a stage: its activity's event, else the run. */
export function stageLink(view: RunView, links: Links | undefined, jobId: string, stageName: string): string | undefined {
  return links?.activities[`${jobId} / ${stageName}`] ?? view.uiUrl;
}
