/**
 * tempoflow: YAML-defined workflows run durably on Temporal.
 *
 * ```ts
 * import { Workflow } from 'tempoflow';
 * const wf = await Workflow.fromConf('data-pipeline');
 * const result = await wf.execute({ processing_date: '2024-01-01' });
 * result.unwrap();
 *
 * // Or start it, steer it, and collect the result later (from any process):
 * const run = await wf.start({ processing_date: '2024-01-02' });
 * const again = await getRun(run.runId);
 * for (const waiting of await again.waitingApprovals()) await again.approve(waiting.path, { by: 'me' });
 * (await again.result()).unwrap();
 * ```
 *
 * @module
 */
export {
  Workflow,
  type ExecuteOptions,
  type ExecuteJobOptions,
  type JobsContext,
  type StartInfo,
  type StartOptions,
  type WorkflowExtras,
  type WorkflowTriggers,
  type WorkflowSpec,
  type JobSpec,
  type ParamSpec,
  type StageSpec,
  type CronTriggerSpec,
} from './client/workflow.js';
export { listRuns, type ListRunsOptions, type RunSummary } from './client/runs.js';
export { getRun, RunHandle, type DecisionOptions, type GetRunOptions, type RunDescription, type RunUiLinks, type WaitingApproval, type WatchOptions } from './client/run-handle.js';
export type { ActiveStage, OutputLine, RunSnapshot } from './client/run-output.js';
export type { LogsOptions, RunLogs, StageLog } from './client/run-logs.js';
export { Result } from './client/result.js';
export { TempoflowRuntime, closeSharedRuntime } from './client/runtime.js';
export { WorkflowError, ParamError, type ParamProblem, WorkflowTimeoutError, WorkflowCancelledError, RunNotFoundError, RunEndedError, RunQueryTimeoutError } from './errors.js';
export { ConfigError, WorkflowNotFoundError, type ConfigIssue } from './config/errors.js';
export { Status, isFailure, type NeedResult } from './engine/status.js';
export { StageErrorName } from './engine/stage-errors.js';
export type { RunContext, JobContext, StageContext, ErrorInfo } from './engine/context.js';
export { SlotState, type ConcurrencyContext } from './engine/concurrency.js';
export { createWorker, DEFAULT_TASK_QUEUE } from './worker/index.js';
export { defineTask, TaskRegistry, type TaskDefinition, type TaskContext } from './activities/registry.js';
export { ReleaseType, type ReleaseInfo } from './workflows/definitions.js';
/** The release types under the seed's top-level names: `releaseType: NORMAL` is `releaseType: ReleaseType.NORMAL`. */
export { NORMAL, RERUN, EVENT, FORCE, DRYRUN } from './engine/release.js';
/**
 * Audit records, for reading what releases wrote (docs/operations.md "Audit"):
 * `openAuditReader()` opens the store this process's environment names;
 * `FileAuditStore` and `SqliteAuditStore` open one at a path. Workers write
 * them; a release's `audit` option only says whether.
 */
export { openAuditReader } from './client/audit.js';
export { FileAuditStore, SqliteAuditStore, type AuditRecord, type AuditStore } from './audit/index.js';
export { ReleaseResult, startRerun, type ReleaseHandle, type ReleaseOptions, type RerunOptions, type RerunStart } from './client/release.js';
export { webhookEvent, webhookParams, type WebhookDelivery } from './client/webhooks.js';
export { describeWorkflow, listWorkflows, type WorkflowDescription, type WorkflowListing } from './client/catalog.js';
export { defaultFilters, FilterRegistry } from './expressions/filters.js';
export { evaluateExpression, renderTemplate, evaluateCondition, ExpressionError } from './expressions/index.js';
