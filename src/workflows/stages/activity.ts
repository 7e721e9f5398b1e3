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
import type { StageAddress } from '../../activities/types.js';
import { NON_RETRYABLE_ACTIVITY_ERRORS } from '../../engine/stage-errors.js';
import { DEFER_SECRETS, renderDeep, renderTemplate, secretNamesIn } from '../../expressions/index.js';
import type { JobRunInput } from '../definitions.js';
import { display, renderEnv } from '../../engine/render.js';
import type { StageKind, StageOf } from './stage-kind.js';

const remoteActivities = proxyActivities<Activities>({ startToCloseTimeout: '1 hour' });
const localActivities = proxyLocalActivities<Activities>({ startToCloseTimeout: '1 hour' });

/** `bash`, `run` and `uses` stages: see the module doc. */
export const activityStage: StageKind<'bash' | 'run' | 'uses'> = {
  async run(stage, env) {
    const { input, ctx, name, attempt, timeoutSeconds } = env;
    const address: StageAddress = {
      runId: input.runId,
      workflowName: input.workflowName,
      jobId: input.job.id,
      stageId: env.scope.prefix + stage.id,
      stageName: name,
      location: stage.loc,
      attempt,
      secretNames: authoredSecrets(input, stage),
    };
    const stageEnv = (): Record<string, string> => renderEnv({ ...input.workflowEnv, ...input.job.env, ...stage.env }, ctx);
    const matrix = input.matrix ? { matrix: input.matrix } : {};
    const timeout = timeoutSeconds !== undefined ? { timeoutSeconds } : {};
    const local = (stage.dispatch ?? input.job.dispatch) === 'local';
    const options = local ? localActivityOptions(input, name, timeoutSeconds) : activityOptions(input, name, timeoutSeconds);
    const activities = local ? localActivities : remoteActivities;
    switch (stage.kind) {
      case 'bash':
        return activities.bashStage.executeWithOptions(options, [
          {
            ...address,
            script: display(renderTemplate(stage.bash, ctx, DEFER_SECRETS)),
            env: stageEnv(),
            ...(stage.cwd ? { cwd: stage.cwd } : {}),
            params: input.params,
            ...matrix,
            ...timeout,
          },
        ]);
      case 'run':
        return activities.pythonStage.executeWithOptions(options, [
          {
            ...address,
            code: display(renderTemplate(stage.run, ctx, DEFER_SECRETS)),
            codeLine: stage.codeLine,
            file: input.file,
            env: stageEnv(),
            params: input.params,
            ...matrix,
            vars: renderDeep(stage.vars, ctx, DEFER_SECRETS) as Record<string, unknown>,
            context: {
              attempt,
              run_id: input.runId,
              workflow: input.workflowName,
              job: input.job.id,
              stage: stage.id,
              stages: env.jobStages,
              needs: input.needs,
            },
            ...timeout,
          },
        ]);
      case 'uses':
        return activities.usesStage.executeWithOptions(options, [
          {
            ...address,
            uses: display(renderTemplate(stage.uses, ctx)),
            with: renderDeep(stage.with, ctx, DEFER_SECRETS) as Record<string, unknown>,
            env: stageEnv(),
            params: input.params,
            ...matrix,
            ...timeout,
          },
        ]);
    }
  },
};

/**
 * Names of the secrets a stage's YAML itself references (its script or code,
 * `vars`, `with`, and the workflow, job and stage `env`): the worker renders
 * no other secret, so a spliced value cannot smuggle `${{ secrets.X }}` in.
 */
function authoredSecrets(input: JobRunInput, stage: StageOf<'bash' | 'run' | 'uses'>): string[] {
  const texts: string[] = [...Object.values(input.workflowEnv), ...Object.values(input.job.env), ...Object.values(stage.env)];
  const collect = (value: unknown): void => {
    if (typeof value === 'string') texts.push(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === 'object') Object.values(value).forEach(collect);
  };
  if (stage.kind === 'bash') texts.push(stage.bash);
  if (stage.kind === 'run') {
    texts.push(stage.run);
    collect(stage.vars);
  }
  if (stage.kind === 'uses') collect(stage.with);
  return [...new Set(texts.flatMap(secretNamesIn))];
}

/**
 * Options of a stage activity. The stage's own timeout is enforced inside
 * the activity (so it is a stage failure, retried per `retry:`);
 * start-to-close is only a backstop, and Temporal's retry policy covers
 * infrastructure failures only (worker lost, heartbeat timeout), whatever the
 * stage's `retry:` says, until the run's deadline.
 */
function activityOptions(input: JobRunInput, stageName: string, timeoutSeconds: number | undefined): ActivityOptions {
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
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      nonRetryableErrorTypes: [...NON_RETRYABLE_ACTIVITY_ERRORS],
    },
  };
}
