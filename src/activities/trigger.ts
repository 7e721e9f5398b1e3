/**
 * Loads the target of a `trigger:` stage on the worker: workflow code never
 * reads files, so the YAML of the workflow to trigger is loaded, validated
 * and parameterized here.
 */
import { existsSync } from 'node:fs';
import { ConfigError, formatIssue, WorkflowNotFoundError } from '../config/errors.js';
import { defaultConfPath, loadWorkflowSpec } from '../config/loader.js';
import { parameterize } from '../config/params.js';
import type { ErrorInfo } from '../engine/context.js';
import type { WorkflowSpec } from '../engine/spec.js';
import { StageErrorName } from '../engine/stage-errors.js';
import { ParamError } from '../errors.js';

/** Input of `prepareTriggeredRun`. */
export interface PrepareTriggerInput {
  readonly name: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** The conf path the parent run was loaded from; used when it exists on this worker. */
  readonly confPath?: string;
}

/** The validated target and its params, or why it cannot run (never retried). */
export type PrepareTriggerResult = { readonly ok: true; readonly spec: WorkflowSpec; readonly params: Record<string, unknown> } | { readonly ok: false; readonly error: ErrorInfo };

/** Loads, validates and parameterizes a workflow to trigger. */
export function prepareTriggeredRun(input: PrepareTriggerInput, defaultPath: () => string = () => defaultConfPath()): PrepareTriggerResult {
  const path = input.confPath && existsSync(input.confPath) ? input.confPath : defaultPath();
  try {
    const { spec } = loadWorkflowSpec(input.name, { path });
    const params = parameterize(spec.params, input.params, { allowUndeclared: spec.allowUndeclaredParams });
    return { ok: true, spec, params };
  } catch (err) {
    if (err instanceof ConfigError) {
      return {
        ok: false,
        error: {
          name: StageErrorName.ConfigError,
          message: `workflow '${input.name}' is invalid:\n${err.issues
            .filter((i) => i.severity === 'error')
            .map(formatIssue)
            .join('\n')}`,
        },
      };
    }
    if (err instanceof WorkflowNotFoundError || err instanceof ParamError) {
      return { ok: false, error: { name: err.name, message: err.message } };
    }
    throw err;
  }
}
