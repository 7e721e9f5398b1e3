/**
 * The `needs.*` and `jobs.*` namespaces a run hands its jobs, built from the
 * run context as jobs finish (docs/context.md). Each finished job's `jobs.*`
 * entry is built once and the whole snapshot is capped (ARCHITECTURE.md,
 * "Scale"), so handing it to the thousandth job costs no more than to the
 * first.
 *
 * Workflow code: deterministic, no I/O.
 */
import { jsonBytes } from '../engine/caps.js';
import type { RunContext } from '../engine/context.js';
import { buildNeedsContext, type NeedSummary } from '../engine/decision.js';
import type { JobSpec } from '../engine/spec.js';
import { Status } from '../engine/status.js';
import type { StageContext } from '../engine/context.js';
import type { JobRunInput, RunInput } from './definitions.js';
import type { StageScope } from './stages/stage-kind.js';

/** Size of the `jobs.*` snapshot handed to a job, in bytes of JSON. */
const SNAPSHOT_CAP_BYTES = 512 * 1024;

/** See the module doc. */
export class RunValues {
  /** `jobs.*` entries of finished jobs, built once each (see `jobsValues`). */
  private readonly snapshots = new Map<string, Record<string, unknown>>();
  private snapshotBytes = 0;

  constructor(
    private readonly input: RunInput,
    /** The live run context (its `jobs` fill as the run goes). */
    private readonly context: RunContext,
  ) {}

  /** What a dependent's decision needs of a finished job. */
  needSummary(id: string): NeedSummary {
    const state = this.context.jobs[id]!;
    return { status: state.status, continueOnError: state.continueOnError ?? false };
  }

  /** `needs.*` of a job: result, outcome, outputs and (matrix) strategies of each need. */
  needsValues(needs: readonly string[]): Record<string, unknown> {
    const summaries: Record<string, NeedSummary> = {};
    const outputs: Record<string, unknown> = {};
    const strategies: Record<string, unknown> = {};
    for (const n of needs) {
      const s = this.context.jobs[n];
      if (!s) continue;
      summaries[n] = this.needSummary(n);
      outputs[n] = s.outputs;
      if (s.strategies) strategies[n] = s.strategies.map((c) => ({ matrix: c.matrix, status: c.status, outputs: c.outputs }));
    }
    return buildNeedsContext(summaries, outputs, strategies);
  }

  /**
   * `jobs.*`: status, outputs and stage outputs of every job decided so far.
   * Each finished job's entry is built once; once the snapshot reaches its
   * cap, later entries keep statuses and replace outputs by markers.
   */
  jobsValues(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [id, job] of Object.entries(this.context.jobs)) {
      if (job.status === Status.WAIT) continue;
      let cached = this.snapshots.get(id);
      if (!cached) {
        const stages: Record<string, unknown> = {};
        for (const [sid, st] of Object.entries(job.stages)) stages[sid] = { status: st.status, outputs: st.outputs };
        let entry: Record<string, unknown> = { status: job.status, outputs: job.outputs, stages };
        let bytes = jsonBytes(entry);
        if (this.snapshotBytes + bytes > SNAPSHOT_CAP_BYTES) {
          const truncated = { __truncated: true, bytes, message: `jobs.${id} did not fit the ${SNAPSHOT_CAP_BYTES / 1024} KB snapshot of finished jobs` };
          entry = { status: job.status, outputs: truncated, stages: Object.fromEntries(Object.entries(job.stages).map(([sid, st]) => [sid, { status: st.status, outputs: truncated }])) };
          bytes = jsonBytes(entry);
        }
        cached = entry;
        this.snapshots.set(id, cached);
        this.snapshotBytes += bytes;
      }
      out[id] = cached;
    }
    return out;
  }

  /** Values of a job's own expressions (`if`, strategy, `continue-on-error`). */
  jobValues(job: JobSpec, needs: readonly string[]): Record<string, unknown> {
    return {
      params: this.input.params,
      env: { ...this.input.spec.env, ...job.env },
      extras: this.input.extras,
      needs: this.needsValues(needs),
      jobs: this.jobsValues(),
      workflow: { name: this.input.spec.name, run_id: this.input.runId, file: this.input.spec.file },
      job: { id: job.id },
      ...(this.input.release ? { release: this.input.release } : {}),
    };
  }
}

/**
 * The values a stage's expressions see in a job (docs/context.md): the run's
 * namespaces, the job's `env`, `matrix` and `job`, the stages so far (of the
 * enclosing lists too, in `scope`), the nested stages' `item`/`loop`/...
 * (`scope.extra`), then `extra` on top.
 */
export function stageValues(input: JobRunInput, jobStages: Record<string, StageContext>, extra: Record<string, unknown>, scope?: StageScope): Record<string, unknown> {
  const job = input.job;
  return {
    params: input.params,
    env: { ...input.workflowEnv, ...job.env },
    extras: input.extras,
    needs: input.needs,
    jobs: input.jobs,
    matrix: input.matrix ?? {},
    stages: scope ? { ...scope.outer, ...scope.stages } : jobStages,
    workflow: { name: input.workflowName, run_id: input.runId, file: input.file },
    job: { id: job.id, ...(input.matrixKey ? { matrix_key: input.matrixKey } : {}) },
    ...(input.release ? { release: input.release } : {}),
    ...scope?.extra,
    ...extra,
  };
}
