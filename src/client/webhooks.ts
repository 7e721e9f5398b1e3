/**
 * Webhook deliveries (docs/api.md "Webhooks"): the `webhook:` entry of a
 * workflow's `on:` maps a delivery's JSON body to the params of an EVENT
 * release. `Workflow.fireWebhook()` starts that release once per delivery id:
 * the release's workflow id and its run's id are made from the delivery id,
 * so a retried delivery finds the first one and starts nothing.
 *
 * Authenticating the delivery (HMAC signature or token) is the caller's job
 * (`tempoflow serve` does it before calling this).
 */
import type { WorkflowSpec } from '../engine/spec.js';
import { WorkflowError } from '../errors.js';
import { escapeDeep, renderDeep } from '../expressions/index.js';

/** A delivery id: what a sender sets in `X-GitHub-Delivery` (or `X-Delivery-Id`, `Idempotency-Key`). */
export const DELIVERY_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** Headers never shown to templates: they carry credentials. */
const HIDDEN_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-hub-signature', 'x-hub-signature-256']);

/** One delivery of a webhook. */
export interface WebhookDelivery {
  /** Its id, unique per delivery and the same when the sender retries it (see {@link DELIVERY_ID_PATTERN}). */
  readonly deliveryId: string;
  /** The parsed JSON body. */
  readonly body: unknown;
  /** Request headers (names in any case; credentials are never shown to templates). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The `event` namespace of a delivery: `event.body`, `event.headers` (lower-case names), `event.delivery`. */
export function webhookEvent(delivery: WebhookDelivery): { body: unknown; headers: Record<string, string>; delivery: string } {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(delivery.headers ?? {})) {
    const key = name.toLowerCase();
    if (!HIDDEN_HEADERS.has(key)) headers[key] = value;
  }
  return { body: delivery.body, headers, delivery: delivery.deliveryId };
}

/**
 * The release params a delivery maps to: the entry's `params:` rendered with
 * `event` (templates that read `release.*` are left to the worker). Text from
 * the delivery is escaped first, so a `${{` in the body is never evaluated,
 * here or on the worker. Throws `WorkflowError` when the workflow has no
 * webhook entry, `ExpressionError` when a template fails.
 */
export function webhookParams(spec: WorkflowSpec, delivery: WebhookDelivery): Record<string, unknown> {
  if (!spec.webhook) throw new WorkflowError(`workflow '${spec.name}' has no webhook entry in its on: (${spec.loc}); add \`- webhook: { secret: NAME, params: {...} }\``);
  const event = escapeDeep(webhookEvent(delivery));
  return renderDeep(spec.webhook.params, { values: { event } }, { defer: ['release'] }) as Record<string, unknown>;
}

/** Refuses a delivery id that could not name a workflow id. */
export function checkDeliveryId(deliveryId: string): void {
  if (!DELIVERY_ID_PATTERN.test(deliveryId)) {
    throw new WorkflowError(`delivery id '${deliveryId.slice(0, 40)}' must be 1 to 128 letters, digits, '.', '_', ':' or '-'`);
  }
}

/** Workflow id of the release of one delivery. */
export function webhookReleaseId(workflow: string, deliveryId: string): string {
  return `tf-hook:${workflow}:${deliveryId}`;
}

/** Run id of the run of one delivery. */
export function webhookRunId(workflow: string, deliveryId: string): string {
  return `tf:${workflow}:hook:${deliveryId}`;
}
