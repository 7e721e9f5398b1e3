/**
 * A run's settings when the caller does not say (its timeout and how many
 * jobs run at once, from `WORKFLOW_CORE_*`), the jobs a caller may pick, and
 * the size a run's input may reach. One home for the client, which starts
 * runs from the YAML, and the worker, which resolves runs started by name
 * from any Temporal client (docs/clients.md).
 */
import type { WorkflowSpec } from '../engine/spec.js';
import { WorkflowError } from '../errors.js';

/** A positive number from the environment, else `fallback`; throws `WorkflowError` naming the variable when it is not one. */
function envPositive(name: string, fallback: number, env: NodeJS.ProcessEnv): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new WorkflowError(`${name}=${raw} is not a positive number; set it to a number of ${name.endsWith('TIMEOUT') ? 'seconds' : 'jobs'} above 0, or unset it`);
  return n;
}

/** Run timeout in seconds when nothing else sets one: `WORKFLOW_CORE_TIMEOUT`, else 3600. */
export function defaultTimeoutSeconds(env: NodeJS.ProcessEnv = process.env): number {
  return envPositive('WORKFLOW_CORE_TIMEOUT', 3600, env);
}

/** Jobs running at once when nothing else sets it: `WORKFLOW_CORE_MAX_JOB_PARALLEL`, else 2. */
export function defaultMaxJobParallel(env: NodeJS.ProcessEnv = process.env): number {
  return envPositive('WORKFLOW_CORE_MAX_JOB_PARALLEL', 2, env);
}

/**
 * The run's timeout (the caller's, else the YAML's `timeout:`, else the
 * environment's) and job parallelism (the caller's, else the environment's).
 * @throws {WorkflowError} when a `WORKFLOW_CORE_*` default it needs is not a positive number.
 */
export function runSettings(
  spec: WorkflowSpec,
  request: { timeout?: number | undefined; maxJobParallel?: number | undefined },
  env: NodeJS.ProcessEnv = process.env,
): { timeoutSeconds: number; maxJobParallel: number } {
  return {
    timeoutSeconds: request.timeout ?? spec.timeoutSeconds ?? defaultTimeoutSeconds(env),
    maxJobParallel: request.maxJobParallel ?? defaultMaxJobParallel(env),
  };
}

/**
 * Checks that every job a caller picked (`--job`, `jobs`) is a job of the workflow.
 * @throws {WorkflowError} naming the unknown job and the workflow's jobs.
 */
export function checkOnlyJobs(spec: WorkflowSpec, jobs: readonly string[]): void {
  for (const id of jobs) {
    if (!spec.jobs.some((j) => j.id === id)) throw new WorkflowError(`workflow '${spec.name}' has no job '${id}' (jobs: ${spec.jobs.map((j) => j.id).join(', ')})`);
  }
}

/**
 * Largest run input accepted, in bytes of JSON: Temporal refuses payloads over
 * 2 MB, and retrying such a start only wastes time.
 */
export const MAX_RUN_INPUT_BYTES = 1.5 * 1024 * 1024;

/**
 * Refuses a run whose input (YAML snapshot and params) would not fit a Temporal payload.
 * @throws {WorkflowError} with the size, the largest param when it is most of it, and how to pass large data.
 */
export function checkRunInputSize(input: { readonly params: Readonly<Record<string, unknown>> }): void {
  const total = Buffer.byteLength(JSON.stringify(input), 'utf8');
  if (total <= MAX_RUN_INPUT_BYTES) return;
  const biggest = Object.entries(input.params)
    .map(([name, value]) => ({ name, bytes: Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8') }))
    .sort((a, b) => b.bytes - a.bytes)[0];
  const hint = biggest && biggest.bytes > total / 2 ? `param '${biggest.name}' alone is ${biggest.bytes} bytes; ` : '';
  throw new WorkflowError(
    `the run's input is ${total} bytes, over the ${MAX_RUN_INPUT_BYTES} byte limit of a Temporal payload; ${hint}pass large data by reference (a file path or an object-storage URL) instead of as a param`,
  );
}
