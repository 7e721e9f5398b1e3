/**
 * The last line of defence of every tempoflow workflow: an error that is not
 * one of Temporal's own (an engine bug, a malformed input sent by hand)
 * fails the execution with a non-retryable `TempoflowEngineError` instead of
 * failing its workflow task, which Temporal would retry forever.
 */
import { ApplicationFailure, ContinueAsNew, TemporalFailure, isCancellation } from '@temporalio/workflow';

/** Failure type of an unexpected error inside workflow code. */
export const ENGINE_ERROR_TYPE = 'TempoflowEngineError';

/** Wraps a workflow function; see the module doc. */
export function guarded<A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A): Promise<R> => {
    try {
      return await fn(...args);
    } catch (err) {
      if (err instanceof TemporalFailure || err instanceof ContinueAsNew || isCancellation(err)) throw err;
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      throw ApplicationFailure.create({
        type: ENGINE_ERROR_TYPE,
        nonRetryable: true,
        message: `${name} could not run: ${message} (a malformed input, or a tempoflow bug — please report it with the run's history)`,
      });
    }
  };
}
