/**
 * The job paths with fewer promises, each behind a patch. For runs started
 * since `tempoflow-fewer-promise-hops`:
 *
 * - an attempt of a job with no `timeout:` and no `concurrency:` runs its
 *   stages without its own cancellation scopes (nothing could cancel them but
 *   the run, whose scope still covers the stages; `job-runner.ts`);
 * - an action stage hands its activity's promise straight back instead of
 *   running in its own async frame (`stages/index.ts`);
 * - the interpreter's walk waits for its jobs on one promise instead of a race
 *   over all of them (`interpreter.ts`, {@link whenJobEnds}).
 *
 * For runs started since `tempoflow-direct-stage-await`, also:
 *
 * - the job's stage loop awaits each stage's first attempt itself, instead of
 *   awaiting a stage function that awaits the attempt (`stage-list.ts`,
 *   `StageList.run`); retries still run in a frame of their own;
 * - a job attempt without scopes of its own awaits its stage list in the
 *   job's attempt loop (`JobRunner.run`) instead of in an attempt function;
 * - the walk keeps a plain job's runner promise itself, not that of an
 *   `async` function awaiting it (`Interpreter.walk`, {@link promiseOf}).
 *
 * The SDK's stack-trace hook records every promise workflow code creates, and
 * each promise hop costs the workflow thread V8's promise machinery too: a
 * 3-job chain creates 56 promises (124 on the original path), 200 sequential
 * local-activity stages cost about half as much workflow-thread time above
 * the hand-written loop as before the direct path (docs/benchmarks.md,
 * "Promises per run"). Fewer promise hops change the order of commands issued
 * in one workflow task, so runs recorded before each patch replay on their
 * own path (ARCHITECTURE.md, "Changing workflow code safely"). A new run
 * records only the newest patch's marker.
 *
 * Workflow code: deterministic, no I/O.
 */
import { patched } from '@temporalio/workflow';

/** `patched()` id of the path with fewer promise hops; see the module doc. */
export const FEWER_HOPS_PATCH = 'tempoflow-fewer-promise-hops';

/** `patched()` id of the path where the stage loop awaits each first attempt itself; see the module doc. */
export const DIRECT_STAGE_PATCH = 'tempoflow-direct-stage-await';

/** The job path a workflow execution takes, oldest first. */
export type JobPath = 'original' | 'fewer-hops' | 'direct-stages';

/**
 * The job path of this workflow execution: the newest patch a new run
 * records (one marker), else the one its history recorded.
 */
export function jobPath(): JobPath {
  if (patched(DIRECT_STAGE_PATCH)) return 'direct-stages';
  return patched(FEWER_HOPS_PATCH) ? 'fewer-hops' : 'original';
}

/**
 * Calls `start` and returns its promise, a synchronous throw becoming a
 * rejection: what an `async` wrapper does, without the promise hop it adds.
 */
export function promiseOf<T>(start: () => Promise<T>): Promise<T> {
  try {
    return start();
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * A running job's promise as the walk keeps it: `failed` on a rejection, then
 * `ended` either way. On the patched path one `then`; before it
 * `.catch().finally()`, whose extra hops recorded runs depend on.
 */
export function whenJobEnds(run: Promise<unknown>, failed: (err: unknown) => void, ended: () => void, fewerHops: boolean): Promise<void> {
  if (!fewerHops) return (run as Promise<void>).catch(failed).finally(ended);
  return run.then(ended, (err: unknown) => {
    failed(err);
    ended();
  });
}
