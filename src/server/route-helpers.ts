/** Small helpers the route files share: response and body declarations, links to a run. */
import type { z } from 'zod';

/** A JSON response of a route. */
export function json<S extends z.ZodType>(schema: S, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

/** A JSON request body of a route (`required: false`: an empty body is `{}`). */
export function jsonBody<S extends z.ZodType>(schema: S, required = true) {
  return { required, content: { 'application/json': { schema } } };
}

/** Where a run is: its API resource and its page. */
export function runLinks(runId: string): { api: string; page: string } {
  const id = encodeURIComponent(runId);
  return { api: `/api/runs/${id}`, page: `/runs/${id}` };
}
