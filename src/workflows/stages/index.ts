/**
 * The stage dispatch: one switch from a stage's kind to the file that runs
 * it (see `stage-kind.ts` for the interface). It only dispatches.
 *
 * Workflow code: deterministic, no I/O.
 */
import type { StageAttemptResult } from '../../activities/types.js';
import type { StageSpec } from '../../engine/spec.js';
import { StageErrorName } from '../../engine/stage-errors.js';
import { activityStage } from './activity.js';
import { approvalStage } from './approval.js';
import { caseStage } from './case.js';
import { echoStage } from './echo.js';
import { foreachStage } from './foreach.js';
import { parallelStage } from './parallel.js';
import { raiseStage } from './raise.js';
import type { StageEnv, StageKind, StageOf } from './stage-kind.js';
import { triggerStage } from './trigger.js';
import { untilStage } from './until.js';

export type { NestedOutcome, StageEnv, StageKind, StageOf, StageScope } from './stage-kind.js';

/** Runs one attempt of a stage's action; see {@link StageKind}. */
export function runStageAction(stage: StageSpec, env: StageEnv): Promise<StageAttemptResult> {
  switch (stage.kind) {
    case 'echo':
      return echoStage.run(stage, env);
    case 'raise':
      return raiseStage.run(stage, env);
    case 'bash':
    case 'run':
    case 'uses':
      return env.fewerHops ? activityStage.run(stage, env) : inOwnFrame(activityStage, stage, env);
    case 'trigger':
      return inOwnFrame(triggerStage, stage, env);
    case 'parallel':
      return inOwnFrame(parallelStage, stage, env);
    case 'foreach':
      return inOwnFrame(foreachStage, stage, env);
    case 'until':
      return inOwnFrame(untilStage, stage, env);
    case 'case':
      return inOwnFrame(caseStage, stage, env);
    case 'approval':
      return inOwnFrame(approvalStage, stage, env);
    default:
      return unsupportedStage(stage, env);
  }
}

/**
 * Runs a kind one async frame down. These kinds ran one call deeper than
 * the others before they had files of their own; the frame keeps the number
 * of promise hops between a command resolving and the next command, which
 * decides the order of commands that jobs running side by side issue in one
 * workflow activation — recorded histories replay only with that order.
 */
async function inOwnFrame<K extends StageSpec['kind']>(kind: StageKind<K>, stage: StageOf<K>, env: StageEnv): Promise<StageAttemptResult> {
  return kind.run(stage, env);
}

/** A spec written by a newer client than this worker. */
async function unsupportedStage(stage: never, env: StageEnv): Promise<StageAttemptResult> {
  const unknown = stage as { kind: string; id: string; loc: string };
  return {
    ok: false,
    nonRetryable: true,
    outputs: {},
    error: {
      name: StageErrorName.UnsupportedStageError,
      message: `'${unknown.kind}' stages are not supported by this worker version; upgrade the workers`,
      job: env.input.job.id,
      stage: unknown.id,
      location: unknown.loc,
    },
  };
}
