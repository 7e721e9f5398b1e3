/**
 * Workflows of bench/peers: tempoflow's own (re-exported, so one worker serves
 * both sides with the same settings) and hand-written Temporal baselines that
 * call the same `bashStage` activity directly, with no interpreter around it.
 */
import { ActivityCancellationType, CancellationScope, patched, proxyActivities, proxyLocalActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../src/activities/index.js';
import type { JobContext, RunOutcome } from '../src/engine/context.js';
import { Status } from '../src/engine/status.js';
import { STAGE_ACTIVITY_RETRY } from '../src/workflows/stages/activity.js';
import { baselineStageInput } from './peers-inputs.js';

export * from '../src/workflows/index.js';

const remote = proxyActivities<Activities>({ startToCloseTimeout: '10 minutes', heartbeatTimeout: '10s' });
const local = proxyLocalActivities<Activities>({ startToCloseTimeout: '10 minutes' });

/** How the baseline dispatches its activities: one each (`activity`, `local`), or all in one (`batch`). */
export type BaselineDispatch = 'activity' | 'local' | 'batch';

/** The one activity of the `batch` baseline (`baselineBatchActivities` in bench/common.ts): `n` `bash: "true"` stages in a loop. */
export interface BaselineBatchActivities {
  baselineBashLoop(input: { runId: string; n: number }): Promise<number>;
}

const loop = proxyActivities<BaselineBatchActivities>({ startToCloseTimeout: '10 minutes', heartbeatTimeout: '10s' });

function bashTrue(runId: string, stageId: string, dispatch: BaselineDispatch): Promise<{ ok: boolean }> {
  const input = baselineStageInput(runId, stageId);
  return (dispatch === 'local' ? local : remote).bashStage(input);
}

/** `n` `bash: "true"` activities one after another; resolves with how many succeeded. */
export async function baselineBashChain(input: { runId: string; n: number; dispatch: BaselineDispatch }): Promise<number> {
  if (input.dispatch === 'batch') return loop.baselineBashLoop({ runId: input.runId, n: input.n });
  let ok = 0;
  for (let i = 0; i < input.n; i++) if ((await bashTrue(input.runId, `s${i}`, input.dispatch)).ok) ok++;
  return ok;
}

/**
 * A DAG of `layers` × `width` one-stage `bash: "true"` jobs where each layer
 * needs all of the previous one, at most `parallel` at once.
 */
export async function baselineBashDag(input: { runId: string; layers: number; width: number; parallel: number }): Promise<number> {
  let ok = 0;
  for (let layer = 0; layer < input.layers; layer++) {
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < input.width) {
        const i = next++;
        if ((await bashTrue(input.runId, `l${layer}-${i}`, 'activity')).ok) ok++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(input.parallel, input.width) }, lane));
  }
  return ok;
}

/** The `patched()` id of {@link baselineBashChainWithRunFeatures}: one marker a run, as a tempoflow run records. */
const FEATURES_PATCH = 'bench-run-features';

/**
 * The chain of {@link baselineBashChain} written by hand with what a tempoflow
 * run carries besides its stages, to tell what those cost from what the
 * interpreter costs (docs/benchmarks.md, "What a run's features cost"):
 *
 * - its definition in its input (bench/peers passes the workflow's normalized
 *   spec, the snapshot a tempoflow run carries), a summary and the
 *   `TfWorkflow` search attribute at start (bench/common.ts, `runFeatureStart`);
 * - a run-timeout timer in its own cancellation scope, cancelled at the end;
 * - one patch marker, which the SDK records with its `TemporalChangeVersion`
 *   search attribute upsert;
 * - each stage an activity with a tempoflow stage's options: a summary, the
 *   deadline's start-to-close backstop, retries of infrastructure failures only;
 * - the run's context as its result: each job's and stage's status, outputs
 *   and start and end times.
 *
 * What it leaves out is the interpreter: parsing the spec, deciding each job
 * and stage, rendering expressions, the status query and the signals.
 */
export async function baselineBashChainWithRunFeatures(input: { runId: string; n: number; definition?: unknown }): Promise<RunOutcome> {
  const deadlineMs = Date.now() + 3600_000;
  const timeoutScope = new CancellationScope();
  const timeout = timeoutScope.run(() => sleep(deadlineMs - Date.now(), { summary: 'run timeout' })).catch(() => undefined);
  patched(FEATURES_PATCH);
  const start = new Date().toISOString();
  const jobs: Record<string, JobContext> = {};
  let outputs: Record<string, unknown> = {};
  for (let i = 0; i < input.n; i++) {
    const id = `j${i}`;
    const jobStart = new Date().toISOString();
    const result = await remote.bashStage.executeWithOptions(
      {
        startToCloseTimeout: deadlineMs - Date.now() + 60_000,
        heartbeatTimeout: 10_000,
        cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        summary: `${id} / ${id}`,
        retry: STAGE_ACTIVITY_RETRY,
      },
      [baselineStageInput(input.runId, id)],
    );
    const end = new Date().toISOString();
    const status = result.ok ? Status.SUCCESS : Status.FAILED;
    outputs = result.outputs;
    jobs[id] = { status, start: jobStart, outputs, stages: { [id]: { status, name: id, outputs, start: jobStart, attempt: 1, end } }, errors: [], attempt: 1, end };
  }
  timeoutScope.cancel();
  await timeout;
  const status = Object.values(jobs).every((j) => j.status === Status.SUCCESS) ? Status.SUCCESS : Status.FAILED;
  return { status, runId: input.runId, context: { params: {}, jobs, status, start, errors: [], end: new Date().toISOString(), outputs }, errors: [] };
}
