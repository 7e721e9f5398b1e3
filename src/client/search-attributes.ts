/**
 * Search attributes on the client side. The typed pairs a start passes are
 * built by `toTypedPairs` of the workflow contract (workflow code starts
 * children with them too). The names, types and registration live in `engine/search-attributes.ts`
 * (docs/operations.md "Search attributes"), re-exported here for the client
 * and the CLI.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export { toTypedPairs } from '../workflows/definitions.js';
export {
  ensureSearchAttributes,
  registrationHint,
  runSearchAttributeValues,
  TEMPOFLOW_SEARCH_ATTRIBUTES,
  type OperatorConnection,
  type RunAttributeValues,
  type SearchAttributeStatus,
  type SearchAttributeValue,
  type TempoflowSearchAttribute,
} from '../engine/search-attributes.js';

/** Typed keys of the attributes, to read them from a description or a listing. */
export const SEARCH_ATTRIBUTE_KEYS = {
  workflow: defineSearchAttributeKey('TfWorkflow', SearchAttributeType.KEYWORD),
  releaseType: defineSearchAttributeKey('TfReleaseType', SearchAttributeType.KEYWORD),
  releaseTime: defineSearchAttributeKey('TfReleaseTime', SearchAttributeType.DATETIME),
} as const;

/** What the server answers a start whose search attribute its namespace cache does not know yet. */
const NOT_YET_MAPPED = /no mapping defined for search attribute/i;

/** How long a start waits for attributes to reach the server's namespace cache (Temporal refreshes it every 10 s). */
export const NEW_ATTRIBUTE_WAIT_MS = 15_000;

/**
 * Runs `start` (a workflow start that sets tempoflow's search attributes) and, while the
 * server refuses it because an attribute is not mapped in the namespace yet, runs it
 * again, for up to `waitMs`. On a cluster, attributes that `connect` has just registered
 * in a namespace reach every service's namespace cache within its 10-second refresh
 * (docs/deploy.md); until then a start naming them is refused as INVALID_ARGUMENT and
 * starts nothing, so running it again is safe. Any other error, and this one after
 * `waitMs`, is thrown as it came.
 */
export async function startOnceAttributesAreMapped<T>(start: () => Promise<T>, waitMs = NEW_ATTRIBUTE_WAIT_MS, sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (let delay = 200; ; delay = Math.min(delay * 2, 2000)) {
    try {
      return await start();
    } catch (err) {
      if (!notYetMapped(err) || Date.now() + delay > deadline) throw err;
      await sleep(delay);
    }
  }
}

function notYetMapped(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (NOT_YET_MAPPED.test(e.message)) return true;
  }
  return false;
}
