/**
 * Webhooks (docs/api.md "Webhooks"): `POST /api/hooks/{name}` fires the
 * EVENT release of workflow `name`'s `webhook:` entry. The delivery proves
 * itself with the entry's secret (read by this server from
 * `TEMPOFLOW_SECRET_<NAME>` or the secrets file): an HMAC-SHA256 signature of
 * the raw body in `X-Hub-Signature-256` (GitHub style), or `Authorization:
 * Bearer <secret>`. Its delivery id header makes it idempotent: a retried
 * delivery gets the first one's run and starts nothing.
 *
 * Checks run in this order, and a refused delivery never reaches Temporal:
 * body size (the app's limit), hook exists, secret configured, signature or
 * token, delivery id, JSON body, params.
 */
import { createRoute } from '@hono/zod-openapi';
import { DELIVERY_ID_PATTERN } from '../client/webhooks.js';
import { Workflow } from '../client/workflow.js';
import { ConfigError, WorkflowNotFoundError } from '../config/errors.js';
import { secretEnvName } from '../config/secret-values.js';
import type { App, RouteContext } from './app.js';
import { bearerToken, sameSecret, SIGNATURE_HEADER, validSignature } from './auth.js';
import { HttpError } from './errors.js';
import { json, runLinks } from './route-helpers.js';
import { ErrorBody, HookAccepted, WorkflowNameParam } from './schemas.js';

/** Headers a delivery id is read from, in this order. */
export const DELIVERY_HEADERS = ['x-github-delivery', 'x-delivery-id', 'idempotency-key'] as const;

export function registerHookRoutes(app: App, ctx: RouteContext): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/hooks/{name}',
      tags: ['webhooks'],
      summary: 'A webhook delivery: fires the EVENT release of the workflow’s `webhook:` entry, once per delivery id',
      description:
        'The body is any JSON value; the entry’s `params:` map it (`${{ event.body.x }}`). Authenticated by the hook’s own secret, not the API token: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>` (auth hmac) or `Authorization: Bearer <secret>` (auth token). The delivery id is read from `X-GitHub-Delivery`, `X-Delivery-Id` or `Idempotency-Key`.',
      security: [],
      request: { params: WorkflowNameParam },
      responses: {
        202: json(HookAccepted, 'The release started'),
        200: json(HookAccepted, 'A delivery with this id was accepted before: nothing started (`duplicate: true`)'),
        400: json(ErrorBody, 'No delivery id, a body that is not JSON, or params that do not fit'),
        401: json(ErrorBody, 'Missing or wrong signature or token'),
        404: json(ErrorBody, 'No webhook of that name'),
        413: json(ErrorBody, 'The body is over the server’s limit'),
        503: json(ErrorBody, 'The hook’s secret (or its workflow’s YAML) is missing on this server'),
      },
    }),
    async (c) => {
      const { name } = c.req.valid('param');
      const noHook = new HttpError(404, 'not-found', `no webhook '${name}': the workflow needs \`- webhook: { secret: NAME, params: {...} }\` in its on:`);
      let wf: Workflow;
      try {
        wf = await Workflow.fromConf(name, { path: ctx.confPath });
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw noHook;
        if (err instanceof ConfigError) {
          ctx.log(`webhook ${name}: the workflow's YAML is invalid:\n${err.message}`);
          throw new HttpError(503, 'hook-not-configured', `webhook '${name}': its workflow's YAML is invalid on this server; the server's log has the problems`);
        }
        throw err;
      }
      const hook = wf.spec.webhook;
      if (!hook) throw noHook;
      let secret: string | undefined;
      try {
        secret = ctx.secrets.load().get(hook.secret);
      } catch (err) {
        ctx.log(`webhook ${name}: ${(err as Error).message}`);
      }
      if (!secret) {
        ctx.log(`webhook ${name}: secret ${hook.secret} is not set; set ${secretEnvName(hook.secret)} or add it to the secrets file (WORKFLOW_CORE_SECRETS_FILE)`);
        throw new HttpError(503, 'hook-not-configured', `webhook '${name}' is not configured on this server: its secret is missing (the server's log says which)`);
      }
      const body = new Uint8Array(await c.req.arrayBuffer());
      const authentic = hook.auth === 'hmac' ? validSignature(secret, body, c.req.header(SIGNATURE_HEADER)) : sameSecret(bearerToken(c.req.header('authorization')) ?? '', secret);
      if (!authentic) {
        throw new HttpError(
          401,
          'bad-signature',
          hook.auth === 'hmac'
            ? `webhook '${name}': ${c.req.header(SIGNATURE_HEADER) ? 'the X-Hub-Signature-256 header does not match the body' : 'the delivery needs X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body with the hook’s secret>'}`
            : `webhook '${name}': the delivery needs \`Authorization: Bearer <the hook’s secret>\``,
        );
      }
      const deliveryId = DELIVERY_HEADERS.map((h) => c.req.header(h)).find((v) => v !== undefined);
      if (deliveryId === undefined || !DELIVERY_ID_PATTERN.test(deliveryId)) {
        throw new HttpError(
          400,
          'invalid-request',
          deliveryId === undefined
            ? 'a delivery needs an id, so that a retried delivery does not start a second run: set X-GitHub-Delivery, X-Delivery-Id or Idempotency-Key'
            : 'the delivery id must be 1 to 128 letters, digits, `.`, `_`, `:` or `-`',
        );
      }
      let payload: unknown;
      try {
        payload = body.length === 0 ? {} : JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
      } catch (err) {
        throw new HttpError(400, 'invalid-json', `the body is not valid JSON (${(err as Error).message})`);
      }
      const headers: Record<string, string> = {};
      c.req.raw.headers.forEach((value, key) => {
        headers[key] = value;
      });
      const started = await wf.fireWebhook({ deliveryId, body: payload, headers }, { runtime: await ctx.runtime() });
      return c.json({ runId: started.runId, releaseWorkflowId: started.releaseWorkflowId, duplicate: started.duplicate, links: runLinks(started.runId) }, started.duplicate ? 200 : 202) as never;
    },
  );
}
