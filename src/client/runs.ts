/**
 * Listing runs: recent `tempoflowRun` executions from Temporal's visibility
 * store, newest first, with the workflow, release type and release time
 * their search attributes carry (docs/operations.md "Run control").
 */
import { WorkflowError } from '../errors.js';
import { RUN_WORKFLOW_TYPE } from '../workflows/definitions.js';
import { withSharedRuntime, type TempoflowRuntime } from './runtime.js';
import { registrationHint, SEARCH_ATTRIBUTE_KEYS } from './search-attributes.js';

/** Status filters: Temporal's execution statuses, or tempoflow's words for them. */
export const RUN_STATUS_FILTERS: Readonly<Record<string, string>> = {
  running: 'Running',
  wait: 'Running',
  completed: 'Completed',
  success: 'Completed',
  skip: 'Completed',
  failed: 'Failed',
  timeout: 'Failed',
  canceled: 'Canceled',
  cancelled: 'Canceled',
  cancel: 'Canceled',
  terminated: 'Terminated',
  timedout: 'TimedOut',
};

/** Options of `listRuns()`. */
export interface ListRunsOptions {
  /** Only runs of this workflow (needs the `TfWorkflow` search attribute). */
  readonly workflow?: string;
  /** One of {@link RUN_STATUS_FILTERS}' keys (case-insensitive). */
  readonly status?: string;
  /** At most this many runs (default 20). */
  readonly limit?: number;
  readonly runtime?: TempoflowRuntime;
}

/** One run in a listing. */
export interface RunSummary {
  readonly runId: string;
  /** Temporal's execution status: `RUNNING`, `COMPLETED`, `FAILED`, ... */
  readonly status: string;
  readonly start: Date;
  readonly close?: Date;
  readonly workflow?: string;
  readonly releaseType?: string;
  readonly releaseTime?: Date;
}

/** A visibility query string literal. */
function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * Recent runs, newest first, with the visibility query that found them.
 * Throws `WorkflowError` for an unknown status word, or for a `workflow`
 * filter on a namespace without the `TfWorkflow` attribute.
 */
export async function listRuns(options: ListRunsOptions = {}): Promise<{ query: string; runs: RunSummary[] }> {
  const limit = options.limit ?? 20;
  const list = async (runtime: TempoflowRuntime) => {
    const clauses = [`WorkflowType = ${quote(RUN_WORKFLOW_TYPE)}`];
    if (options.workflow !== undefined) {
      if (!runtime.searchAttributes.available.has('TfWorkflow')) {
        throw new WorkflowError(`a workflow filter needs the TfWorkflow search attribute, which namespace ${runtime.namespace} does not have; ${registrationHint(runtime.namespace)}`);
      }
      clauses.push(`TfWorkflow = ${quote(options.workflow)}`);
    }
    if (options.status !== undefined) {
      const status = RUN_STATUS_FILTERS[options.status.toLowerCase()];
      if (!status) throw new WorkflowError(`run status '${options.status}' is not one of ${Object.keys(RUN_STATUS_FILTERS).join(', ')}`);
      clauses.push(`ExecutionStatus = ${quote(status)}`);
    }
    const query = clauses.join(' AND ');
    const runs: RunSummary[] = [];
    for await (const wf of runtime.client.workflow.list({ query, pageSize: Math.min(limit, 1000) })) {
      const workflow = wf.typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS.workflow);
      const releaseType = wf.typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS.releaseType);
      const releaseTime = wf.typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS.releaseTime);
      runs.push({
        runId: wf.workflowId,
        status: wf.status.name,
        start: wf.startTime,
        ...(wf.closeTime ? { close: wf.closeTime } : {}),
        ...(workflow ? { workflow } : {}),
        ...(releaseType ? { releaseType } : {}),
        ...(releaseTime ? { releaseTime } : {}),
      });
      if (runs.length >= limit) break;
    }
    return { query, runs };
  };
  return options.runtime ? list(options.runtime) : withSharedRuntime(list);
}
