/**
 * Activity stages — `bash`, `run` (Python) and `uses` (a registered task):
 * one activity per attempt, labelled `job / stage` so the Web UI reads like
 * the YAML. Workflow code renders every template but those of secrets, which
 * the activity renders on the worker, limited to the secrets the stage's own
 * YAML names (docs/security.md). With `dispatch: local` (the stage's, else
 * its job's) the attempt is a local activity instead (docs/semantics.md,
 * "Local dispatch"); without it the commands are those of older versions.
 *
 * Workflow code: deterministic, no I/O.
 */
import { ActivityCancellationType, proxyActivities, proxyLocalActivities, type ActivityOptions, type LocalActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { NON_RETRYABLE_ACTIVITY_ERRORS } from '../../engine/stage-errors.js';
import { actionStageCall } from '../../engine/stage-input.js';
import type { JobRunInput } from '../definitions.js';
import type { StageAttemptResult } from '../../activities/types.js';
import type { StageEnv, StageKind, StageOf } from './stage-kind.js';

const remoteActivities = proxyActivities<Activities>({ startToCloseTimeout: '1 hour' });
const localActivities = proxyLocalActivities<Activities>({ startToCloseTimeout: '1 hour' });

/**
 * `bash`, `run` and `uses` stages: see the module doc. Not `async`: the
 * activity's own promise comes back, and a stage whose input cannot be
 * rendered throws (the job runner records both alike). Runs recorded before
 * `fewer-hops.ts` call it in its own async frame (`stages/index.ts`).
 */
export const activityStage: StageKind<'bash' | 'run' | 'uses'> = { run: stageActivity };

/** Starts the stage's activity (or local activity). */
function stageActivity(stage: StageOf<'bash' | 'run' | 'uses'>, env: StageEnv): Promise<StageAttemptResult> {
  const { input, ctx, name, attempt, timeoutSeconds } = env;
  const call = actionStageCall(input, stage, { stageId: env.scope.prefix + stage.id, name, attempt, ctx, timeoutSeconds, jobStages: env.jobStages });
  const local = (stage.dispatch ?? input.job.dispatch) === 'local';
  const options = local ? localActivityOptions(input, name, timeoutSeconds) : activityOptions(input, name, timeoutSeconds);
  const activities = local ? localActivities : remoteActivities;
  switch (call.activity) {
    case 'bashStage':
      return activities.bashStage.executeWithOptions(options, [call.input]);
    case 'pythonStage':
      return activities.pythonStage.executeWithOptions(options, [call.input]);
    case 'usesStage':
      return activities.usesStage.executeWithOptions(options, [call.input]);
  }
}

/**
 * Temporal's retry policy of a stage activity: infrastructure failures only (a
 * stage's own failure is returned, and retried per its `retry:`), never an
 * invalid stage.
 */
export const STAGE_ACTIVITY_RETRY: NonNullable<ActivityOptions['retry']> = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  nonRetryableErrorTypes: [...NON_RETRYABLE_ACTIVITY_ERRORS],
};

/**
 * Options of a stage activity. The stage's own timeout is enforced inside
 * the activity (so it is a stage failure, retried per `retry:`);
 * start-to-close is only a backstop, and Temporal's retry policy covers
 * infrastructure failures only (worker lost, heartbeat timeout), whatever the
 * stage's `retry:` says, until the run's deadline.
 */
export function activityOptions(input: JobRunInput, stageName: string, timeoutSeconds: number | undefined): ActivityOptions {
  return {
    ...localActivityOptions(input, stageName, timeoutSeconds),
    heartbeatTimeout: input.activity?.heartbeatTimeoutMs ?? 10_000,
    ...(input.activity?.taskQueue ? { taskQueue: input.activity.taskQueue } : {}),
  };
}

/**
 * Options of a stage's local activity (`dispatch: local`): those of
 * {@link activityOptions} without the ones a local activity has no use for
 * (heartbeat timeout, task queue: it runs on the worker running the run).
 */
function localActivityOptions(input: JobRunInput, stageName: string, timeoutSeconds: number | undefined): ActivityOptions & LocalActivityOptions {
  const remainingMs = Math.max(1000, input.deadlineMs - Date.now());
  const startToCloseMs = timeoutSeconds !== undefined ? Math.min(timeoutSeconds * 1000 + 60_000, remainingMs + 60_000) : remainingMs + 60_000;
  const label = `${input.job.id}${input.matrixKey ? ` [${input.matrixKey}]` : ''} / ${stageName}`;
  return {
    startToCloseTimeout: startToCloseMs,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    summary: label.slice(0, 200),
    retry: STAGE_ACTIVITY_RETRY,
  };
}
