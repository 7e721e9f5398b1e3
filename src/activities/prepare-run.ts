/**
 * Resolves a run started by name from any Temporal client (docs/clients.md):
 * `{ "workflow": "hello-world", "params": {...} }` sent by the Temporal CLI,
 * the Web UI or another SDK becomes the spec, coerced params and settings a
 * tempoflow client would have started the run with. The YAML comes from the
 * worker's conf tree; the timeout and job parallelism default to the
 * worker's `WORKFLOW_CORE_TIMEOUT` and `WORKFLOW_CORE_MAX_JOB_PARALLEL`.
 *
 * The result is recorded in the run's history once, so a replay never reads
 * the files again, and it is the run's YAML snapshot (a rerun reads it back).
 */
import { checkOnlyJobs, checkRunInputSize, runSettings } from '../config/run-settings.js';
import type { ErrorInfo } from '../engine/context.js';
import type { PreparedRun, RunByNameInput } from '../engine/run-request.js';
import { runSearchAttributeValues } from '../engine/search-attributes.js';
import { WorkflowError } from '../errors.js';
import { loadWorkflowByName } from './load-workflow.js';
import type { AvailableAttributes } from './search-attributes.js';

/** What `prepareRun` gets: the by-name request, its `runId` already checked by workflow code. */
export type PrepareRunInput = Omit<RunByNameInput, 'runId'>;

/** The resolved run, or why it cannot run (never retried). */
export type PrepareRunResult = ({ readonly ok: true } & PreparedRun) | { readonly ok: false; readonly error: ErrorInfo };

/** Worker settings the activity reads. */
export interface PrepareRunConfig {
  /** The worker's environment (`WORKFLOW_CORE_TIMEOUT`, `WORKFLOW_CORE_MAX_JOB_PARALLEL`). */
  readonly baseEnv: NodeJS.ProcessEnv;
  /** The worker's conf tree (default `WORKFLOW_CORE_CONF_PATH`, else `./conf`). */
  readonly confPath?: string;
}

/**
 * Loads, validates and parameterizes the workflow, checks the picked jobs,
 * settles the timeout and job parallelism, and checks the result fits a
 * Temporal payload. Problems with the request are returned, with the
 * messages `tempoflow validate` and `tempoflow run` print.
 */
export function prepareRun(input: PrepareRunInput, config: PrepareRunConfig, available: ReadonlySet<string>): PrepareRunResult {
  const loaded = loadWorkflowByName({ name: input.workflow, params: input.params ?? {} }, config.confPath);
  if (!loaded.ok) return loaded;
  const { spec, params, confPath } = loaded;
  try {
    if (input.jobs) checkOnlyJobs(spec, input.jobs);
    const prepared: PreparedRun = {
      spec,
      params,
      confPath,
      ...runSettings(spec, input, config.baseEnv),
      ...(input.jobs ? { onlyJobs: input.jobs } : {}),
      searchAttributes: runSearchAttributeValues(available, { workflow: spec.name }),
    };
    checkRunInputSize(prepared);
    return { ok: true, ...prepared };
  } catch (err) {
    if (err instanceof WorkflowError) return { ok: false, error: { name: err.name, message: err.message } };
    throw err;
  }
}

/** The `prepareRun` activity of a worker. */
export function createPrepareRunActivities(config: PrepareRunConfig, availableAttributes: AvailableAttributes) {
  return {
    /** Resolves a run started by name; see {@link prepareRun}. */
    async prepareRun(input: PrepareRunInput): Promise<PrepareRunResult> {
      return prepareRun(input, config, await availableAttributes());
    },
  };
}
