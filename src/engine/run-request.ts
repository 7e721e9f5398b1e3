/**
 * The two inputs `tempoflowRun` accepts (docs/clients.md):
 *
 * - **the full spec** a tempoflow client builds from the YAML (`RunInput` of
 *   `workflows/definitions.ts`: `{ spec, params, runId, ... }`);
 * - **a by-name request**, `{ workflow, params?, timeout?, maxJobParallel?,
 *   jobs?, runId? }`, which any Temporal client can send (the Temporal CLI,
 *   the Web UI's Start Workflow form, the Go/Python/Java SDKs): the worker
 *   loads the YAML by name (`prepareRun`) and the interpreter runs it.
 *
 * {@link runInputShape} tells them apart, and checks the by-name fields,
 * before anything else runs: anything else fails the run at once with a
 * message that names both shapes. {@link PreparedRun} is what the worker
 * resolves a by-name request to, recorded in history as the result of the
 * `prepareRun` activity (clients read it back to rerun such a run).
 *
 * Pure module: safe to import from workflow code.
 */
import { didYouMean } from '../expressions/suggest.js';
import type { SearchAttributeValue } from './search-attributes.js';
import type { WorkflowSpec } from './spec.js';

/** A by-name request: what another Temporal client sends as the input of `tempoflowRun`. */
export interface RunByNameInput {
  /** The workflow's name in the worker's conf tree (`WORKFLOW_CORE_CONF_PATH`). */
  readonly workflow: string;
  /** Params, coerced to their declared types as `tempoflow run -p` does (default `{}`). */
  readonly params?: Readonly<Record<string, unknown>>;
  /** Run timeout, seconds (default: the YAML's `timeout:`, else the worker's `WORKFLOW_CORE_TIMEOUT`, else 3600). */
  readonly timeout?: number;
  /** Jobs running at once (default: the worker's `WORKFLOW_CORE_MAX_JOB_PARALLEL`, else 2). */
  readonly maxJobParallel?: number;
  /** Run only these jobs (`tempoflow run --job`). */
  readonly jobs?: readonly string[];
  /** The run id; it is the Temporal workflow id, so when given it must equal it. */
  readonly runId?: string;
}

/** The keys of a by-name request, in the order the docs list them. */
export const RUN_BY_NAME_KEYS: readonly (keyof RunByNameInput)[] = ['workflow', 'params', 'timeout', 'maxJobParallel', 'jobs', 'runId'];

/** Error name of a `tempoflowRun` input that is neither accepted shape (in the failed run's context). */
export const RUN_INPUT_ERROR = 'RunInputError';

/** Name of the activity that resolves a by-name request on the worker (clients find its result in history). */
export const PREPARE_RUN_ACTIVITY = 'prepareRun';

/** The two accepted shapes, as every refusal words them. */
export const ACCEPTED_RUN_INPUTS =
  'tempoflowRun takes one input, either a by-name request {"workflow": "<name>", "params": {...}, "timeout": <seconds>, "maxJobParallel": <n>, "jobs": ["<job>"], "runId": "<the workflow id>"} ' +
  '(only "workflow" is required; docs/clients.md) or the full spec a tempoflow client builds from the YAML ({"spec": {...}, "params": {...}, "runId": "...", ...})';

/** What `prepareRun` resolves a by-name request to: everything the interpreter needs but the run id. */
export interface PreparedRun {
  /** The validated, normalized workflow (the run's YAML snapshot). */
  readonly spec: WorkflowSpec;
  /** Params after coercion (`parameterize()`). */
  readonly params: Record<string, unknown>;
  /** The conf path the worker loaded it from (absolute); `trigger:` targets are read there. */
  readonly confPath: string;
  readonly timeoutSeconds: number;
  readonly maxJobParallel: number;
  readonly onlyJobs?: readonly string[];
  /** The run's search attributes (`TfWorkflow`), limited to those the server has. */
  readonly searchAttributes: readonly SearchAttributeValue[];
}

/** Which input `tempoflowRun` got. */
export type RunInputShape =
  /** The full spec: `{ spec, params, runId, ... }` (a tempoflow client, a parent run, continue-as-new). */
  | { readonly kind: 'spec' }
  | { readonly kind: 'by-name'; readonly input: RunByNameInput }
  /** Neither, or a by-name request with a bad field: why, naming both shapes. */
  | { readonly kind: 'invalid'; readonly message: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short description of a value for error messages (never the value itself: it may be large). */
function describe(value: unknown): string {
  if (value === undefined) return 'no input';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (isRecord(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0) return 'an empty object';
    const shown = keys.slice(0, 8).map((k) => JSON.stringify(k.slice(0, 40)));
    return `an object with key${keys.length === 1 ? '' : 's'} ${shown.join(', ')}${keys.length > 8 ? `, ... (${keys.length} keys)` : ''}`;
  }
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)}`;
  return `${typeof value} ${String(value)}`;
}

/** Keys people reach for when they mean `workflow`. */
const NAME_KEYS = ['name', 'workflowName', 'workflow_name', 'workflowType', 'type'];

/** When an object names its workflow under another key: the request it was meant to be. */
function nameHint(input: unknown): string {
  if (!isRecord(input)) return '';
  const key = NAME_KEYS.find((k) => typeof input[k] === 'string' && input[k] !== '');
  if (key === undefined) return '';
  const name = String(input[key]).slice(0, 60);
  return ` (the workflow's name goes under "workflow": {"workflow": ${JSON.stringify(name)}, "params": {...}})`;
}

/**
 * Tells the two accepted inputs apart and checks a by-name request's fields
 * (their types, unknown keys, `runId` against `workflowId`). A full-spec
 * input is only recognised here (it is built by tempoflow's own code).
 */
export function runInputShape(input: unknown, workflowId: string): RunInputShape {
  if (isRecord(input) && 'spec' in input) {
    if (isRecord(input.spec) && Array.isArray(input.spec.jobs)) return { kind: 'spec' };
    return { kind: 'invalid', message: `the input's "spec" is not a workflow spec (got ${describe(input.spec)}); ${ACCEPTED_RUN_INPUTS}` };
  }
  if (!isRecord(input) || !('workflow' in input)) return { kind: 'invalid', message: `${ACCEPTED_RUN_INPUTS}; got ${describe(input)}${nameHint(input)}` };

  const problems: string[] = [];
  const unknown = Object.keys(input).filter((k) => !(RUN_BY_NAME_KEYS as readonly string[]).includes(k));
  for (const key of unknown.slice(0, 5)) {
    const hint = didYouMean(key, RUN_BY_NAME_KEYS);
    problems.push(`unknown key ${JSON.stringify(key.slice(0, 40))}${hint ? ` (did you mean "${hint}"?)` : ''}`);
  }
  if (unknown.length > 5) problems.push(`and ${unknown.length - 5} more unknown keys`);
  const { workflow, params, timeout, maxJobParallel, jobs, runId } = input;
  if (typeof workflow !== 'string' || workflow.trim() === '') problems.push(`"workflow" must be the name of a workflow (a non-empty string), got ${describe(workflow)}`);
  if (params !== undefined && !isRecord(params)) problems.push(`"params" must be an object of param names to values, got ${describe(params)}`);
  if (timeout !== undefined && !(typeof timeout === 'number' && Number.isFinite(timeout) && timeout > 0)) problems.push(`"timeout" must be a number of seconds above 0, got ${describe(timeout)}`);
  if (maxJobParallel !== undefined && !(typeof maxJobParallel === 'number' && Number.isSafeInteger(maxJobParallel) && maxJobParallel > 0)) {
    problems.push(`"maxJobParallel" must be a whole number above 0, got ${describe(maxJobParallel)}`);
  }
  if (jobs !== undefined && !(Array.isArray(jobs) && jobs.every((j) => typeof j === 'string' && j !== ''))) problems.push(`"jobs" must be a list of job ids, got ${describe(jobs)}`);
  if (runId !== undefined && runId !== workflowId) {
    problems.push(
      `"runId" must equal the workflow id (the workflow id is the run id), got ${describe(runId)} for workflow id ${JSON.stringify(workflowId)}: leave "runId" out, or start the workflow with that id`,
    );
  }
  if (problems.length > 0) return { kind: 'invalid', message: `bad by-name request: ${problems.join('; ')}. ${ACCEPTED_RUN_INPUTS}` };
  return { kind: 'by-name', input: input as unknown as RunByNameInput };
}
