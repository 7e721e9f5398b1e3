/**
 * `trigger:` runs another workflow of the conf tree as a child `tempoflowRun`
 * (id `<run>.<job>[.<matrix key>].<stage path>`): an activity loads and
 * validates the target's YAML on the worker, then the child runs with the
 * parent's deadline. The child's status becomes the stage's; its outputs are
 * `{ run_id, status, jobs: { <id>: { status, outputs } } }`. A cycle
 * (`A → B → A`) is refused (docs/semantics.md, "Jobs, matrices and
 * triggers").
 *
 * Workflow code: deterministic, no I/O.
 */
import { executeChild, proxyActivities, type ChildWorkflowFailure } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { RunContext, RunOutcome } from '../../engine/context.js';
import { StageErrorName } from '../../engine/stage-errors.js';
import { Status } from '../../engine/status.js';
import { renderDeep, renderTemplate } from '../../expressions/index.js';
import { ChildEndedBy, childEnding } from '../child-outcome.js';
import { RUN_WORKFLOW_TYPE, type RunInput } from '../definitions.js';
import { display } from '../../engine/render.js';
import type { StageKind } from './stage-kind.js';

const activities = proxyActivities<Activities>({ startToCloseTimeout: '1 hour' });

/** See the module doc. */
export const triggerStage: StageKind<'trigger'> = {
  async run(stage, { input, ctx, name, scope, where }) {
    const target = display(renderTemplate(stage.trigger, ctx));
    const chain = [...input.triggerChain, input.workflowName];
    if (chain.includes(target)) {
      return {
        ok: false,
        nonRetryable: true,
        outputs: {},
        error: { name: StageErrorName.TriggerCycleError, message: `trigger cycle refused: ${[...chain, target].join(' → ')}`, ...where },
      };
    }
    const params = renderDeep(stage.params, ctx) as Record<string, unknown>;
    const prepared = await activities.prepareTriggeredRun.executeWithOptions(
      { startToCloseTimeout: '1 minute', summary: `${input.job.id} / ${name}: load ${target}`.slice(0, 200), taskQueue: input.activity?.taskQueue, retry: { maximumAttempts: 5 } },
      [{ name: target, params, ...(input.confPath ? { confPath: input.confPath } : {}) }],
    );
    if (!prepared.ok) {
      return { ok: false, nonRetryable: true, outputs: {}, error: { ...prepared.error, ...where } };
    }
    const childId = `${input.runId}.${input.job.id}${input.matrixKey ? `.${input.matrixKey}` : ''}.${scope.prefix}${stage.id}`;
    const childInput: RunInput = {
      spec: prepared.spec,
      params: prepared.params,
      runId: childId,
      parentRunId: input.runId,
      timeoutSeconds: Math.max(1, Math.floor((input.deadlineMs - Date.now()) / 1000)),
      deadlineMs: prepared.spec.timeoutSeconds !== undefined ? Math.min(input.deadlineMs, Date.now() + prepared.spec.timeoutSeconds * 1000) : input.deadlineMs,
      maxJobParallel: 2,
      extras: input.extras,
      ...(input.activity ? { activity: input.activity } : {}),
      triggerChain: chain,
      ...(input.confPath ? { confPath: input.confPath } : {}),
      ...(input.project ? { project: input.project } : {}),
    };
    try {
      const outcome = await executeChild<(input: RunInput) => Promise<RunOutcome>>(RUN_WORKFLOW_TYPE, {
        workflowId: childId,
        args: [childInput],
        ...(input.activity?.taskQueue ? { taskQueue: input.activity.taskQueue } : {}),
        staticSummary: `tempoflow: ${target} (triggered by ${input.workflowName} / ${input.job.id} / ${name})`.slice(0, 200),
      });
      return { ok: outcome.status === Status.SUCCESS || outcome.status === Status.SKIP, outputs: triggerOutputs(outcome.status, childId, outcome.context) };
    } catch (err) {
      // A cancelled child (the run is stopping) is thrown on: the stage records CANCEL.
      const ending = childEnding<RunContext>(err);
      if (!ending || ending.endedBy === ChildEndedBy.CANCELLATION) throw err;
      const status = ending.endedBy === ChildEndedBy.FAILURE ? ending.status : Status.FAILED;
      const cause = (err as ChildWorkflowFailure).cause;
      return {
        ok: false,
        nonRetryable: false,
        outputs: triggerOutputs(status, childId, ending.context),
        error: { name: StageErrorName.TriggeredRunFailed, message: `triggered run ${childId} of '${target}' ended ${status}: ${cause?.message ?? (err as Error).message}`, ...where },
      };
    }
  },
};

/** The outputs of a `trigger` stage: the child run's id, status and per-job outputs. */
function triggerOutputs(status: Status, runId: string, context: RunContext | undefined): Record<string, unknown> {
  const jobs: Record<string, unknown> = {};
  for (const [id, job] of Object.entries(context?.jobs ?? {})) jobs[id] = { status: job.status, outputs: job.outputs };
  return { run_id: runId, status, jobs };
}
