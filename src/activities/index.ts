/**
 * Every side effect of a run lives in this folder; this module puts the
 * activities of a worker together. Subprocess stages (`bash`, `run`:
 * `stage-activities.ts`) and registered TypeScript tasks (`uses`: `uses.ts`)
 * share a runtime (`stage-runtime.ts`: settings, secrets, trace, the
 * process supervisor); a stage batch (`stage-batch.ts`) runs several of them
 * in one activity; workflows started by name are loaded by
 * `load-workflow.ts` for `trigger.ts` (triggered workflows), `release.ts`
 * (releases) and `prepare-run.ts` (runs started by name from any Temporal
 * client); audit records are written by `audit.ts`. Workflow
 * code reaches these only through `proxyActivities`, importing this module
 * as a type.
 */
import { Context } from '@temporalio/activity';
import { createAuditActivities } from './audit.js';
import { findEndedHolders, requestConcurrencySlot, type HolderRef, type SlotRequestInput } from './concurrency.js';
import type { ActivityConfig } from './config.js';
import { createPrepareRunActivities } from './prepare-run.js';
import { createReleaseActivities } from './release.js';
import { availableAttributesCache } from './search-attributes.js';
import { maskedActivity } from './secrets.js';
import { bashStage, pythonStage } from './stage-activities.js';
import { stageBatch, type StageFunctions } from './stage-batch.js';
import { createStageRuntime } from './stage-runtime.js';
import { prepareTriggeredRun, type PrepareTriggerInput, type PrepareTriggerResult } from './trigger.js';
import type { BashStageInput, PythonStageInput, StageAttemptResult, StageBatchInput, StageBatchResult, UsesStageInput } from './types.js';
import { usesStage } from './uses.js';

export { activityConfigFromEnv, type ActivityConfig } from './config.js';
export { TRACE_STAGE_BYTES } from './trace.js';

/** Builds the activities for a worker. */
export function createActivities(config: ActivityConfig) {
  const rt = createStageRuntime(config);
  const availableAttributes = availableAttributesCache();
  const activities = {
    /**
     * Requests cancellation of a run through the client API. The interpreter
     * uses it for the `cancel` signal: Temporal refuses a workflow's request
     * to cancel itself, but not a client's, and only a real cancel request
     * lets the execution end Cancelled.
     */
    async requestRunCancellation(input: { workflowId: string; runId: string; reason?: string }): Promise<void> {
      await Context.current().client.workflow.getHandle(input.workflowId, input.runId).cancel();
    },

    /** Asks a concurrency group for a slot (signal-with-start); the group answers by signal. */
    requestConcurrencySlot: (input: SlotRequestInput): Promise<void> => requestConcurrencySlot(input),

    /** A concurrency group's check: which of its holders no longer run. */
    findEndedHolders: (holders: readonly HolderRef[]): Promise<string[]> => findEndedHolders(holders),

    /** Loads, validates and parameterizes the target of a `trigger:` stage. */
    async prepareTriggeredRun(input: PrepareTriggerInput): Promise<PrepareTriggerResult> {
      return prepareTriggeredRun(input, config.confPath);
    },

    /** Runs a `bash` stage attempt. Non-zero exit and timeout are returned, not thrown. */
    bashStage: (input: BashStageInput): Promise<StageAttemptResult> => bashStage(rt, input),

    /** Runs a `run` (Python) stage attempt. Exceptions, non-zero exits and timeouts are returned, not thrown. */
    pythonStage: (input: PythonStageInput): Promise<StageAttemptResult> => pythonStage(rt, input),

    /** Runs a `uses` stage attempt: a registered task. */
    usesStage: (input: UsesStageInput): Promise<StageAttemptResult> => usesStage(rt, input),
  };
  // Whatever a stage activity returns or throws is masked (docs/security.md: secrets never leave the worker).
  const stageFunctions: StageFunctions = {
    bashStage: maskedActivity(rt.secrets, activities.bashStage),
    pythonStage: maskedActivity(rt.secrets, activities.pythonStage),
    usesStage: maskedActivity(rt.secrets, activities.usesStage),
  };
  return {
    ...activities,
    ...stageFunctions,
    /** Runs consecutive action stages of a job in order (`dispatch: batch`, docs/semantics.md "Batch dispatch"). */
    stageBatch: maskedActivity(rt.secrets, (input: StageBatchInput): Promise<StageBatchResult> => stageBatch(stageFunctions, config.heartbeatIntervalMs, input)),
    // Runs started by name from any Temporal client: load the YAML on the worker.
    ...createPrepareRunActivities(config, availableAttributes),
    // Releases: load the YAML for a release, check and write audit records.
    ...createReleaseActivities(config, availableAttributes),
    ...createAuditActivities(config, rt.secrets),
  };
}

/** The activity functions' types, for `proxyActivities` in workflow code. */
export type Activities = ReturnType<typeof createActivities>;
