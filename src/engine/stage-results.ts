/**
 * The one walk over a job's stage results, nested stages included.
 *
 * Nested stages keep the results of the stages inside them in their own
 * `outputs` (docs/context.md): `parallel.<branch>`, `foreach.<item key>`,
 * `until.<loop>` and, for `case`, `branches.<branch>` — each entry with its
 * `status` and `stages`. (`outputs.case` is the value matched, not a nest.)
 * Everything that lists stage results — waiting approvals, `tempoflow logs`,
 * `tempoflow status` — walks them here, so they agree on which keys nest and
 * on the dotted paths (`<parent>.<key>.<stage>`) that `approve` takes.
 *
 * Pure module: safe to import from workflow code.
 */
import type { RunContext, StageContext } from './context.js';

/** Keys of a nested stage's `outputs` whose entries hold inner stage results, by stage kind. */
export const NESTED_RESULT_KEYS = {
  parallel: 'parallel',
  foreach: 'foreach',
  until: 'until',
  case: 'branches',
} as const;
export type NestedResultKey = (typeof NESTED_RESULT_KEYS)[keyof typeof NESTED_RESULT_KEYS];

/** One stage result met by the walk. */
export interface StageResultVisit {
  /**
   * Dotted path from the job: `<stage>` for a top-level stage,
   * `<parent>.<key>.<stage>` inside a nested one (the path approvals take).
   */
  readonly path: string;
  /** The stage's own id (the path's last segment). */
  readonly id: string;
  readonly stage: StageContext;
  /** 0 for a top-level stage, 1 inside one nested stage, and so on. */
  readonly depth: number;
}

/** One stage result of a run, with the job that holds it. */
export interface RunStageResultVisit extends StageResultVisit {
  readonly job: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The nested entries of one stage result: for each nesting key its entries
 * (branch, item key, loop) that hold a `stages` map. Entries that never ran
 * (a `foreach` item cancelled before it started) have no `stages` and are
 * left out, as is a user output that merely shares a key's name.
 */
export function nestedStageLists(stage: StageContext): { readonly key: string; readonly stages: Record<string, StageContext> }[] {
  const out: { key: string; stages: Record<string, StageContext> }[] = [];
  const outputs: unknown = stage.outputs;
  if (!isRecord(outputs)) return out;
  for (const nestKey of Object.values(NESTED_RESULT_KEYS)) {
    const nest = outputs[nestKey];
    if (!isRecord(nest)) continue;
    for (const [key, entry] of Object.entries(nest)) {
      if (isRecord(entry) && typeof entry.status === 'string' && isRecord(entry.stages)) out.push({ key, stages: entry.stages as Record<string, StageContext> });
    }
  }
  return out;
}

/**
 * Every stage result of a stage map, each before the stages nested in it,
 * in the order they were recorded. `prefix` is prepended to every path
 * (e.g. the path of the list inside a `foreach` chunk child).
 */
export function* stageResults(stages: Readonly<Record<string, StageContext>>, prefix = '', depth = 0): Generator<StageResultVisit> {
  for (const [id, stage] of Object.entries(stages)) {
    const path = `${prefix}${id}`;
    yield { path, id, stage, depth };
    for (const nested of nestedStageLists(stage)) yield* stageResults(nested.stages, `${path}.${nested.key}.`, depth + 1);
  }
}

/** Every stage result of every inline job of a run, in job order. */
export function* runStageResults(context: Pick<RunContext, 'jobs'>): Generator<RunStageResultVisit> {
  for (const [job, jobContext] of Object.entries(context.jobs)) {
    for (const visit of stageResults(jobContext.stages)) yield { ...visit, job };
  }
}
