/**
 * The bounded pool of workflow code: runs numbered units (branches, items,
 * chunks, combinations, batches) with at most `limit` at once, in order, each
 * in its own cancellation scope, so a failure can cancel the others without
 * touching the caller's scope.
 *
 * Workflow code: deterministic, no I/O. Units start in index order and the
 * pool waits with `Promise.race`, so the commands they issue come in the same
 * order on every replay.
 */
import { CancellationScope } from '@temporalio/workflow';
import { isFailure, type Status } from '../engine/status.js';

/** What to run; see the module doc. */
export interface PoolOptions {
  /** Units to run, numbered `0 … count-1`, started in that order. */
  readonly count: number;
  /** Most units running at once (at least 1). */
  readonly limit: number;
  /** Runs unit `i` inside its own cancellation scope; resolves with how it ended. */
  readonly unit: (i: number) => Promise<Status>;
  /** The first FAILED or TIMEOUT unit cancels the running ones, and no more start. */
  readonly stopOnFailure: boolean;
  /** Asked before each start: when true, no more units start (the running ones finish). */
  readonly stopping: () => boolean;
}

/** How a pool ended. */
export interface PoolOutcome {
  /** The first unit that ended FAILED or TIMEOUT. */
  readonly failedAt?: number;
  /** `stopping()` held when the last unit ended: some units may not have started. */
  readonly stopped: boolean;
}

/** Runs the units; see {@link PoolOptions}. Rejects only when a unit rejects. */
export async function runPool(options: PoolOptions): Promise<PoolOutcome> {
  const { count, unit, stopOnFailure, stopping } = options;
  const limit = Math.max(1, options.limit);
  const running = new Map<number, Promise<void>>();
  const scopes = new Map<number, CancellationScope>();
  let next = 0;
  let failedAt: number | undefined;
  while (next < count || running.size > 0) {
    while ((failedAt === undefined || !stopOnFailure) && !stopping() && running.size < limit && next < count) {
      const i = next++;
      const scope = new CancellationScope();
      scopes.set(i, scope);
      running.set(
        i,
        scope
          .run(() => unit(i))
          .then((status) => {
            if (isFailure(status) && failedAt === undefined) {
              failedAt = i;
              if (stopOnFailure) for (const [j, s] of scopes) if (j !== i) s.cancel();
            }
          })
          .finally(() => {
            running.delete(i);
            scopes.delete(i);
          }),
      );
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  return { ...(failedAt === undefined ? {} : { failedAt }), stopped: stopping() };
}
