/**
 * Which of tempoflow's search attributes the server has, asked on the
 * worker's own connection (and registered when missing, as every client
 * connect does: `engine/search-attributes.ts`), so that workflow code never
 * starts a run with, or upserts, an attribute the server would refuse.
 * Releases and runs started by name ask it; the answer is kept a minute per
 * namespace.
 */
import { Context } from '@temporalio/activity';
import { ensureSearchAttributes, type OperatorConnection } from '../engine/search-attributes.js';

/** How long the worker trusts its answer about registered search attributes. */
const SEARCH_ATTRIBUTE_CACHE_MS = 60_000;

/** The attributes the current activity's namespace has; call it from inside an activity. */
export type AvailableAttributes = () => Promise<ReadonlySet<string>>;

/** One cache per worker (`createActivities`), shared by the activities that need it. */
export function availableAttributesCache(): AvailableAttributes {
  const known = new Map<string, { at: number; available: ReadonlySet<string> }>();
  return async () => {
    const ctx = Context.current();
    const namespace = ctx.info.namespace;
    const cached = known.get(namespace);
    if (cached && Date.now() - cached.at < SEARCH_ATTRIBUTE_CACHE_MS) return cached.available;
    const status = await ensureSearchAttributes(ctx.client.connection as unknown as OperatorConnection, namespace);
    if (status.problem) ctx.log.warn(status.problem);
    known.set(namespace, { at: Date.now(), available: status.available });
    return status.available;
  };
}
