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
export { Workflow, type ExecuteOptions, type StartInfo, type StartOptions, type WorkflowExtras, type WorkflowSpec, type JobSpec, type ParamSpec, type StageSpec } from './client/workflow.js';
export { listRuns, type ListRunsOptions, type RunSummary } from './client/runs.js';
export { getRun, RunHandle, type DecisionOptions, type GetRunOptions, type RunDescription, type WaitingApproval, type WatchOptions } from './client/run-handle.js';
export type { ActiveStage, OutputLine, RunSnapshot } from './client/run-output.js';
export type { LogsOptions, RunLogs, StageLog } from './client/run-logs.js';
export { Result } from './client/result.js';
export { TempoflowRuntime, closeSharedRuntime } from './client/runtime.js';
export { WorkflowError, ParamError, WorkflowTimeoutError, WorkflowCancelledError, RunNotFoundError, RunEndedError, RunQueryTimeoutError } from './errors.js';
export { ConfigError, WorkflowNotFoundError, type ConfigIssue } from './config/errors.js';
export { Status, isFailure, type NeedResult } from './engine/status.js';
export { StageErrorName } from './engine/stage-errors.js';
export type { RunContext, JobContext, StageContext, ErrorInfo } from './engine/context.js';
export { createWorker, DEFAULT_TASK_QUEUE } from './worker/index.js';
export { defineTask, TaskRegistry, type TaskDefinition, type TaskContext } from './activities/registry.js';
export { ReleaseType, type ReleaseInfo } from './workflows/definitions.js';
export { ReleaseResult, type ReleaseOptions, type RerunOptions } from './client/release.js';
export { defaultFilters, FilterRegistry } from './expressions/filters.js';
export { evaluateExpression, renderTemplate, evaluateCondition, ExpressionError } from './expressions/index.js';
