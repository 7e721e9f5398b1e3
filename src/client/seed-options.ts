/**
 * ddeutil-workflow's keyword arguments given as option keys. A JavaScript
 * caller porting `execute(params, max_job_parallel=4)` writes
 * `{ max_job_parallel: 4 }`: TypeScript refuses it, JavaScript would
 * silently ignore it and run with the default. These keys are refused with
 * tempoflow's name for them (docs/coming-from-ddeutil.md "Methods and their
 * arguments"); every other key is left to the method's own checks.
 */
import { WorkflowError } from '../errors.js';

/** The seed's argument names whose value has an option of another name. */
const RENAMED: Readonly<Record<string, string>> = {
  run_id: 'runId',
  parent_run_id: 'parentRunId',
  max_job_parallel: 'maxJobParallel',
  release_type: 'releaseType',
  override_log_name: 'overrideLogName',
};

/** Why `release()` has no `result` option, and what to pass instead. */
const RELEASE_RESULT =
  "release() has no 'result' option: it resolves with a new ReleaseResult rather than filling one in; to link the release to an earlier run pass parentRunId: earlier.runId, to rerun what failed in a release pass releaseType: RERUN";

/** The methods whose options are checked, as the messages name them. */
export type SeedOptionsCall = 'execute' | 'start' | 'executeJob' | 'release' | 'rerun';

/**
 * Throws `WorkflowError` when `options` holds a key of the seed's spelling
 * (`run_id`, `max_job_parallel`, `event`, ...; `result` and a non-boolean
 * `audit` for `release()`), naming the option to use instead. Called before
 * anything starts.
 */
export function refuseSeedOptions(call: SeedOptionsCall, options: object): void {
  const given = options as Readonly<Record<string, unknown>>;
  const problems: string[] = [];
  for (const key of Object.keys(given)) {
    const renamed = RENAMED[key];
    if (renamed !== undefined) problems.push(`'${key}' is ddeutil-workflow's name: pass ${renamed} instead`);
    else if (key === 'event') problems.push("'event' is ddeutil-workflow's threading.Event: pass signal (an AbortSignal; aborting it cancels the run) instead");
    else if (key === 'result' && call === 'release') problems.push(RELEASE_RESULT);
  }
  if (call === 'release' && given['audit'] !== undefined && typeof given['audit'] !== 'boolean') {
    problems.push("audit is true or false (write the record or not); the worker's store writes it (WORKFLOW_CORE_AUDIT_STORE where the worker runs), there is no audit class to pass");
  }
  if (problems.length > 0) {
    throw new WorkflowError(`${call}(): ${problems.join('; ')} (docs/coming-from-ddeutil.md)`);
  }
}
