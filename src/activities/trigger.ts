/**
 * Loads the target of a `trigger:` stage on the worker: workflow code never
 * reads files, so the YAML of the workflow to trigger is loaded, validated
 * and parameterized here (`load-workflow.ts`).
 */
import type { ErrorInfo } from '../engine/context.js';
import type { WorkflowSpec } from '../engine/spec.js';
import { loadWorkflowByName } from './load-workflow.js';

/** Input of `prepareTriggeredRun`. */
export interface PrepareTriggerInput {
  readonly name: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** The conf path the parent run was loaded from; used when it exists on this worker. */
  readonly confPath?: string;
}

/** The validated target and its params, or why it cannot run (never retried). */
export type PrepareTriggerResult = { readonly ok: true; readonly spec: WorkflowSpec; readonly params: Record<string, unknown> } | { readonly ok: false; readonly error: ErrorInfo };

/** Loads, validates and parameterizes a workflow to trigger; `workerConfPath` is used when the parent's conf path is not on this worker. */
export function prepareTriggeredRun(input: PrepareTriggerInput, workerConfPath?: string): PrepareTriggerResult {
  const loaded = loadWorkflowByName(input, workerConfPath);
  return loaded.ok ? { ok: true, spec: loaded.spec, params: loaded.params } : loaded;
}
