/**
 * tempoflow: YAML-defined workflows run durably on Temporal.
 *
 * ```ts
 * import { Workflow } from 'tempoflow';
 * const wf = await Workflow.fromConf('data-pipeline');
 * const result = await wf.execute({ processing_date: '2024-01-01' });
 * result.unwrap();
 * ```
 *
 * @module
 */
export { Workflow, type ExecuteOptions, type WorkflowExtras } from './client/workflow.js';
export { Result } from './client/result.js';
export { TempoflowRuntime, closeSharedRuntime } from './client/runtime.js';
export { WorkflowError, ParamError, WorkflowTimeoutError, WorkflowCancelledError } from './errors.js';
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
