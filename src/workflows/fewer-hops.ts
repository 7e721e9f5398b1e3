/**
 * The `tempoflow-fewer-promise-hops` patch: the job path with fewer promises.
 * For runs started since it:
 *
 * - an attempt of a job with no `timeout:` and no `concurrency:` runs its
 *   stages without its own cancellation scopes (nothing could cancel them but
 *   the run, whose scope still covers the stages; `job-runner.ts`);
 * - an action stage hands its activity's promise straight back instead of
 *   running in its own async frame (`stages/index.ts`);
 * - the interpreter's walk waits for its jobs on one promise instead of a race
 *   over all of them (`interpreter.ts`, {@link whenJobEnds}).
 *
 * The SDK's stack-trace hook records every promise workflow code creates: a
 * 3-job chain creates 73 instead of 124, a 10-job DAG 173 instead of 344
 * (docs/benchmarks.md, "Promises per run", with what it saves in CPU and
 * time). Fewer promise hops change the order of commands issued in one
 * workflow task, so runs recorded before the patch replay on the old path
 * (ARCHITECTURE.md, "Changing workflow code safely").
 *
 * Workflow code: deterministic, no I/O.
 */
import { patched } from '@temporalio/workflow';

/** `patched()` id of the path; see the module doc. */
export const FEWER_HOPS_PATCH = 'tempoflow-fewer-promise-hops';

/** Whether this workflow execution takes the path (records the patch marker in a new run). */
export function takesFewerHops(): boolean {
  return patched(FEWER_HOPS_PATCH);
}

/**
 * A running job's promise as the walk keeps it: `failed` on a rejection, then
 * `ended` either way. On the patched path one `then`; before it
 * `.catch().finally()`, whose extra hops recorded runs depend on.
 */
export function whenJobEnds(run: Promise<void>, failed: (err: unknown) => void, ended: () => void, fewerHops: boolean): Promise<void> {
  if (!fewerHops) return run.catch(failed).finally(ended);
  return run.then(ended, (err: unknown) => {
    failed(err);
    ended();
  });
}
