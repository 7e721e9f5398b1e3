/**
 * How errors become HTTP responses (docs/api.md "Errors"): each known error
 * class of the client API has a status and a code, and its problems become a
 * list, each with its `file:line:col`. Anything else is a 500 whose body says
 * only that the server's log has the details, so no message of an unknown
 * error (which could quote anything) reaches a client.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { RerunPlanError } from '../client/release.js';
import { UnknownScheduleError } from '../client/schedules.js';
import { ConfigError, formatLocation, WorkflowNotFoundError } from '../config/errors.js';
import { ParamError, RunEndedError, RunNotFoundError, RunQueryTimeoutError, WorkflowError } from '../errors.js';
import type { ErrorBody, Problem } from './schemas.js';

/** An error the server raises itself, with its status and code. */
export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly problems?: readonly Problem[],
    /** Extra response headers (`WWW-Authenticate`). */
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
  }
}

/** The status and body of an error. */
export function errorResponse(err: unknown, log: (message: string) => void): { status: ContentfulStatusCode; body: ErrorBody; headers?: Readonly<Record<string, string>> } {
  const body = (code: string, message: string, problems?: readonly Problem[]): ErrorBody => ({ error: { code, message, ...(problems?.length ? { problems: [...problems] } : {}) } });
  if (err instanceof HttpError) return { status: err.status, body: body(err.code, err.message, err.problems), ...(err.headers ? { headers: err.headers } : {}) };
  if (err instanceof ConfigError) {
    const problems = err.issues.map((i) => ({
      code: i.code,
      severity: i.severity,
      message: i.message,
      location: formatLocation(i),
      ...(i.path ? { path: i.path } : {}),
      ...(i.hint ? { hint: i.hint } : {}),
    }));
    const errors = err.issues.filter((i) => i.severity === 'error').length;
    return { status: 400, body: body('invalid-config', `the workflow's YAML has ${errors} error${errors === 1 ? '' : 's'}; nothing ran (fix them, \`tempoflow validate\` lists them)`, problems) };
  }
  if (err instanceof ParamError) {
    const problems = err.problems.map((p) => ({ param: p.paramName, message: p.validationError, ...(p.location ? { location: p.location } : {}) }));
    return { status: 400, body: body('invalid-params', `${err.problems.length} bad param${err.problems.length === 1 ? '' : 's'}; nothing ran`, problems) };
  }
  if (err instanceof WorkflowNotFoundError) return { status: 404, body: body('workflow-not-found', err.message) };
  if (err instanceof RunNotFoundError) return { status: 404, body: body('run-not-found', err.message) };
  if (err instanceof UnknownScheduleError) return { status: 404, body: body('not-found', err.message) };
  if (err instanceof RunEndedError) return { status: 409, body: body('run-ended', err.message) };
  if (err instanceof RunQueryTimeoutError) return { status: 503, body: body('no-worker', err.message) };
  if (err instanceof WorkflowError || err instanceof RerunPlanError || (err instanceof Error && err.name === 'ExpressionError')) {
    return { status: 400, body: body('rejected', err.message) };
  }
  log(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  return { status: 500, body: body('internal', "internal error; the server's log has the details") };
}

/** Sends an error as JSON. */
export function sendError(c: Context, err: unknown, log: (message: string) => void): Response {
  const { status, body, headers } = errorResponse(err, log);
  for (const [name, value] of Object.entries(headers ?? {})) c.header(name, value);
  return c.json(body, status);
}
