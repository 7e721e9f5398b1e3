/**
 * Values that workflow code renders from the YAML: counts and durations
 * written as literals or `${{ }}`, display text (secrets masked), a stage's
 * environment, retry backoff, and any thrown value as the `ErrorInfo` a
 * context records.
 *
 * Pure module: safe to import from workflow code and from activities.
 */
import type { ErrorInfo, RunContext } from './context.js';
import type { RetrySpec } from './spec.js';
import { DEFER_SECRETS, maskSecretTemplates, renderTemplate, type ExpressionContext } from '../expressions/index.js';

/** Where an error happened: the job, the stage path, and `file:line:col`. */
export interface ErrorWhere {
  readonly job?: string;
  readonly stage?: string;
  readonly location?: string;
}

/**
 * A count field (`retry`, `max-parallel`, `max-workers`, `concurrent`,
 * `max-loop`), literal or templated, rendered to a whole number from 0 to 1000.
 * @throws {TypeError} naming the field when it renders to anything else.
 */
export function renderCount(template: string | number, ctx: ExpressionContext, field: string): number {
  const value = renderTemplate(String(template), ctx);
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 1000) {
    throw new TypeError(`'${field}' must be a whole number from 0 to 1000, got ${JSON.stringify(value)}`);
  }
  return n;
}

/**
 * A duration field in seconds (`timeout`, `sleep`), literal or templated,
 * rendered to a non-negative number.
 * @throws {TypeError} naming the field when it renders to anything else.
 */
export function renderSeconds(template: string | number, ctx: ExpressionContext, field: string): number {
  const value = renderTemplate(String(template), ctx);
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
    throw new TypeError(`'${field}' must be a number of seconds, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** A rendered value as display text. */
export function display(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * Display text of a field that workflow code renders itself (names, `echo`,
 * `raise`, `approval`): secrets are never rendered here, so their templates
 * show as `***` instead of as template text.
 */
export function masked(value: unknown): string {
  return maskSecretTemplates(display(value));
}

/** A stage's `env`, rendered; templates of secrets stay for the worker. */
export function renderEnv(env: Record<string, string>, ctx: ExpressionContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) out[k] = display(renderTemplate(v, ctx, DEFER_SECRETS));
  return out;
}

/** Seconds before retry number `attempt` (1-based): exponential, capped. */
export function backoffSeconds(retry: RetrySpec, attempt: number): number {
  return Math.min(retry.initialIntervalSeconds * retry.backoffCoefficient ** (attempt - 1), retry.maximumIntervalSeconds);
}

/** Any thrown value as an `ErrorInfo` (an `ApplicationFailure` is named by its type). */
export function toErrorInfo(err: unknown, where: ErrorWhere): ErrorInfo {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    // An ApplicationFailure is named by its type (read by shape: this module imports no Temporal SDK).
    const type = err.name === 'ApplicationFailure' ? (err as { type?: unknown }).type : undefined;
    const name = typeof type === 'string' && type ? type : err.name;
    const message = err.message + (cause instanceof Error && !err.message.includes(cause.message) ? `: ${cause.message}` : '');
    return { name, message, ...where };
  }
  return { name: 'Error', message: String(err), ...where };
}

/** The message a failed run ends with: the failed jobs and the first error, where it happened. */
export function failureMessage(ctx: RunContext, failedJobs: string[]): string {
  const first = ctx.errors[0];
  const head = failedJobs.length ? `job${failedJobs.length > 1 ? 's' : ''} ${failedJobs.join(', ')} failed` : 'run failed';
  const where = first?.stage ? `${first.job}.${first.stage}: ` : first?.job ? `${first.job}: ` : '';
  return first ? `${head}: ${where}${first.message}`.slice(0, 2000) : head;
}
