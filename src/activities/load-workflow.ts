/**
 * A workflow by name, on the worker: its YAML loaded and validated from the
 * conf tree, its params coerced to their declared types — or why it cannot
 * run, in the words `tempoflow validate` and `tempoflow run` use (every
 * problem at its `file:line:col`). Workflow code never reads files, so the
 * three places that start a workflow from its name call this from an
 * activity: `trigger:` stages (`trigger.ts`), releases (`release.ts`) and
 * runs started by name from any Temporal client (`prepare-run.ts`).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, formatIssue, WorkflowNotFoundError } from '../config/errors.js';
import { defaultConfPath, loadWorkflowSpec } from '../config/loader.js';
import { parameterize } from '../config/params.js';
import type { ErrorInfo } from '../engine/context.js';
import type { WorkflowSpec } from '../engine/spec.js';
import { StageErrorName } from '../engine/stage-errors.js';
import { ParamError } from '../errors.js';

/** What to load. */
export interface LoadWorkflowRequest {
  readonly name: string;
  /**
   * The params before coercion, or how to build them once the spec is known
   * (a release adds its cron entry's and renders `release.*`; an `error`
   * refuses the run).
   */
  readonly params: Readonly<Record<string, unknown>> | ((spec: WorkflowSpec) => { readonly params: Readonly<Record<string, unknown>> } | { readonly error: ErrorInfo });
  /** The conf path of whoever asked (the parent run's, the releaser's); used when it exists on this worker. */
  readonly confPath?: string;
}

/** The workflow and its params, or why it cannot run (never retried: the same YAML gives the same answer). */
export type LoadedWorkflow =
  | {
      readonly ok: true;
      readonly spec: WorkflowSpec;
      readonly params: Record<string, unknown>;
      /** The conf path it was loaded from (absolute). */
      readonly confPath: string;
    }
  | { readonly ok: false; readonly error: ErrorInfo };

/**
 * Loads, validates and parameterizes a workflow from the request's conf path
 * when it exists here, else `workerConfPath` (the worker's
 * `WORKFLOW_CORE_CONF_PATH`, else `./conf`). A missing workflow, an invalid
 * YAML and bad params are returned as an error; anything else is thrown.
 */
export function loadWorkflowByName(request: LoadWorkflowRequest, workerConfPath: string = defaultConfPath()): LoadedWorkflow {
  const path = resolve(request.confPath && existsSync(request.confPath) ? request.confPath : workerConfPath);
  try {
    const { spec } = loadWorkflowSpec(request.name, { path });
    let raw: Readonly<Record<string, unknown>>;
    if (typeof request.params === 'function') {
      const built = request.params(spec);
      if ('error' in built) return { ok: false, error: built.error };
      raw = built.params;
    } else {
      raw = request.params;
    }
    const params = parameterize(spec.params, raw, { allowUndeclared: spec.allowUndeclaredParams });
    return { ok: true, spec, params, confPath: path };
  } catch (err) {
    if (err instanceof ConfigError) {
      return {
        ok: false,
        error: {
          name: StageErrorName.ConfigError,
          message: `workflow '${request.name}' is invalid:\n${err.issues
            .filter((i) => i.severity === 'error')
            .map(formatIssue)
            .join('\n')}`,
        },
      };
    }
    if (err instanceof WorkflowNotFoundError || err instanceof ParamError) return { ok: false, error: { name: err.name, message: err.message } };
    throw err;
  }
}
