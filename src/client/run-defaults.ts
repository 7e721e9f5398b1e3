/**
 * What a run gets when the caller does not say: its id, its timeout and how
 * many jobs run at once. `execute()`/`start()` and `rerun()` share them.
 */
import { randomBytes } from 'node:crypto';
import { WorkflowError } from '../errors.js';

/** A new run id: `<workflow>-<UTC yyyymmddTHHMMSS>Z-<6 hex>`. */
export function newRunId(workflowName: string, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${workflowName}-${stamp}-${randomBytes(3).toString('hex')}`;
}

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
