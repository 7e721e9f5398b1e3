/**
 * The entry of `tempoflowRun`: which of its two inputs it got, before
 * anything else (`engine/run-request.ts`, docs/clients.md).
 *
 * - **The full spec** (`RunInput`), built by tempoflow's client from the
 *   YAML, by a parent run (`trigger:`, releases) or by continue-as-new: the
 *   interpreter runs it, exactly as before this entry existed.
 * - **A by-name request** (`{ "workflow": "<name>", "params": {...} }`), sent
 *   by any Temporal client: the `prepareRun` activity loads, validates and
 *   parameterizes the YAML on the worker (recorded in history once, so a
 *   replay never reads files), `TfWorkflow` is upserted when the starter did
 *   not set it, and the interpreter runs the resolved spec with the workflow
 *   id as run id. Until then the `status` query answers WAIT with no jobs,
 *   and signals wait for the interpreter's handlers. A bad name, YAML or
 *   param ends the run FAILED at once.
 * - **Anything else** ends the run FAILED at once, naming both shapes.
 *
 * Every refusal is a non-retryable `TempoflowRunFailed` whose details are a
 * FAILED context holding the error, so `getRun(id).result()`, `tempoflow
 * status` and other clients read it like any failed run.
 *
 * Deterministic workflow code: no I/O, no Node built-ins, SDK time only.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { log, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { capContext, FAILURE_DETAILS_CAP_BYTES } from '../engine/caps.js';
import type { ErrorInfo, RunContext, RunOutcome } from '../engine/context.js';
import { RUN_INPUT_ERROR, runInputShape, type RunByNameInput } from '../engine/run-request.js';
import { Status } from '../engine/status.js';
import { endingFailure } from './child-outcome.js';
import { RunFailureType, runInputOfPrepared, statusQuery, toTypedPairs, type RunInput, type RunStartInput, type SearchAttributeValue } from './definitions.js';
import { Interpreter } from './interpreter.js';

const { prepareRun } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 5 },
});

/** `tempoflowRun`; see the module doc. */
export async function tempoflowRun(input: RunStartInput): Promise<RunOutcome> {
  const started = new Date().toISOString();
  const shape = runInputShape(input, workflowInfo().workflowId);
  switch (shape.kind) {
    case 'spec':
      return new Interpreter(input as RunInput).execute();
    case 'by-name':
      return runByName(shape.input, started);
    case 'invalid':
      throw refusal({ name: RUN_INPUT_ERROR, message: shape.message }, {}, started);
  }
}

/** A run started by name: resolve it on the worker, then interpret it. */
async function runByName(request: RunByNameInput, started: string): Promise<RunOutcome> {
  const runId = workflowInfo().workflowId;
  // Clients may ask right after the start: until the interpreter answers, the run waits for its YAML.
  setHandler(statusQuery, (): RunContext => ({ params: { ...request.params }, jobs: {}, status: Status.WAIT, start: started, errors: [] }));
  const prepared = await prepareRun.executeWithOptions({ startToCloseTimeout: '1 minute', summary: `load ${request.workflow}`.slice(0, 200) }, [
    {
      workflow: request.workflow,
      ...(request.params !== undefined ? { params: request.params } : {}),
      ...(request.timeout !== undefined ? { timeout: request.timeout } : {}),
      ...(request.maxJobParallel !== undefined ? { maxJobParallel: request.maxJobParallel } : {}),
      ...(request.jobs !== undefined ? { jobs: request.jobs } : {}),
    },
  ]);
  if (!prepared.ok) {
    throw refusal({ ...prepared.error, message: `cannot run workflow '${request.workflow}': ${prepared.error.message}` }, request.params ?? {}, started);
  }
  upsertMissing(prepared.searchAttributes);
  log.info(`run ${runId}: '${prepared.spec.name}' started by name, loaded from ${prepared.confPath}`);
  return new Interpreter(runInputOfPrepared(prepared, runId)).execute();
}

/** Sets the run's search attributes that its starter did not set (so `tempoflow runs --workflow` finds it). */
function upsertMissing(values: readonly SearchAttributeValue[]): void {
  const current = workflowInfo().typedSearchAttributes;
  const missing = values.filter((v) => current.get(defineSearchAttributeKey(v.name, v.type === 'DATETIME' ? SearchAttributeType.DATETIME : SearchAttributeType.KEYWORD)) === undefined);
  if (missing.length > 0) upsertSearchAttributes(toTypedPairs(missing));
}

/** The run ends FAILED before any job: a non-retryable failure carrying a context with the error. */
function refusal(error: ErrorInfo, params: Readonly<Record<string, unknown>>, started: string): Error {
  const context: RunContext = { params: { ...params }, jobs: {}, status: Status.FAILED, start: started, end: new Date().toISOString(), errors: [error] };
  return endingFailure(RunFailureType.FAILED, error.message, capContext(context, FAILURE_DETAILS_CAP_BYTES));
}
