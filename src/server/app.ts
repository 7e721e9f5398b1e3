/**
 * The HTTP face of tempoflow (docs/api.md): a Hono app with the API under
 * `/api`, its OpenAPI document at `/openapi.json` and the web view at `/`.
 * Like the CLI it is a thin wrapper over the client API: every route parses
 * and checks its input (zod, the same schemas the document is generated
 * from), calls the client, and shapes the answer.
 *
 * Order of the guards on every request: body size, then the bearer token (for
 * `/api` but the webhooks, which check their own secret), then validation.
 * A refused request never reaches Temporal.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import type { TempoflowRuntime } from '../client/runtime.js';
import type { SecretValues } from '../config/secret-values.js';
import { bearerToken, sameSecret } from './auth.js';
import { HttpError, sendError } from './errors.js';
import { registerHookRoutes } from './routes-hooks.js';
import { registerRunRoutes } from './routes-runs.js';
import { registerScheduleRoutes } from './routes-schedules.js';
import { registerWorkflowRoutes } from './routes-workflows.js';
import { registerWebRoutes, type WebAssets } from './web.js';

/** Default limit of a request body, bytes. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/** What the server is made of. */
export interface ServerOptions {
  /** The Temporal connection, asked for on first use (a refused request never asks). */
  readonly runtime: () => Promise<TempoflowRuntime>;
  /** The conf tree the workflows are read from (absolute or relative to the cwd). */
  readonly confPath: string;
  /** The API token; `undefined` runs open (only `tempoflow dev` on a loopback address does). */
  readonly token: string | undefined;
  /** Where webhook secrets are read (`TEMPOFLOW_SECRET_<NAME>`, the secrets file). */
  readonly secrets: SecretValues;
  /** Largest request body, bytes (default 1 MiB). */
  readonly bodyLimit?: number;
  /** Origins allowed to call the API from a browser; none by default (CORS off). */
  readonly corsOrigins?: readonly string[];
  /** The web view's files (`undefined`: the page says how to build them). */
  readonly web?: WebAssets;
  /** Where problems of the server itself go (stderr by default). */
  readonly log?: (message: string) => void;
  /** How often the live view (`/api/runs/{id}/events`) asks a running run for its status, ms (default 1000). */
  readonly pollMs?: number;
}

/** What the routes share. */
export interface RouteContext {
  readonly runtime: () => Promise<TempoflowRuntime>;
  readonly confPath: string;
  readonly secrets: SecretValues;
  readonly log: (message: string) => void;
  readonly pollMs: number;
}

export type App = OpenAPIHono;

/** The app: API, OpenAPI document and web view. */
export function createApp(options: ServerOptions): App {
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const ctx: RouteContext = { runtime: options.runtime, confPath: options.confPath, secrets: options.secrets, log, pollMs: options.pollMs ?? 1000 };
  const app = new OpenAPIHono({
    // A request that does not fit its schema: 400 with every problem.
    defaultHook: (result, c) => {
      if (result.success) return undefined;
      const problems = result.error.issues.map((i) => ({ code: i.code, path: i.path.join('.'), message: i.message }));
      return sendError(
        c,
        new HttpError(400, 'invalid-request', `the request does not fit ${c.req.method} ${c.req.routePath}: ${problems.map((p) => `${p.path || 'body'}: ${p.message}`).join('; ')}`, problems),
        log,
      );
    },
  });

  app.onError((err, c) => {
    if (err instanceof HTTPException) {
      const code = err.status === 400 ? 'invalid-json' : err.status === 415 ? 'unsupported-media-type' : 'invalid-request';
      const message = err.status === 400 ? `the body is not valid JSON (${err.message})` : err.status === 415 ? 'send the body as JSON with `Content-Type: application/json`' : err.message;
      return sendError(c, new HttpError(err.status as 400, code, message), log);
    }
    return sendError(c, err, log);
  });
  app.notFound((c) => sendError(c, new HttpError(404, 'not-found', `no route ${c.req.method} ${c.req.path}; the API is described at /openapi.json`), log));

  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
      },
      referrerPolicy: 'no-referrer',
      crossOriginResourcePolicy: 'same-origin',
    }),
  );
  if (options.corsOrigins?.length) {
    app.use('/api/*', cors({ origin: [...options.corsOrigins], allowHeaders: ['Authorization', 'Content-Type'], allowMethods: ['GET', 'POST'], maxAge: 600 }));
  }
  const maxSize = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  app.use(
    '/api/*',
    bodyLimit({
      maxSize,
      onError: (c) => sendError(c, new HttpError(413, 'payload-too-large', `the body is over the server's limit of ${maxSize} bytes (tempoflow serve --max-body-bytes)`), log),
    }),
  );
  app.use('/api/*', async (c, next) => {
    if (c.req.path.startsWith('/api/hooks/')) return next(); // a delivery proves itself with its hook's secret
    if (options.token === undefined) return next();
    const given = bearerToken(c.req.header('authorization'));
    if (given === undefined || !sameSecret(given, options.token)) {
      return refuse(c, given === undefined ? 'this route needs `Authorization: Bearer <token>` (the TEMPOFLOW_API_TOKEN of the server)' : 'the bearer token is not the API token of this server', log);
    }
    return next();
  });

  registerWorkflowRoutes(app, ctx);
  registerRunRoutes(app, ctx);
  registerScheduleRoutes(app, ctx);
  registerHookRoutes(app, ctx);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'The API token: TEMPOFLOW_API_TOKEN (or the secret of that name) of the server' });
  app.get('/openapi.json', (c) => c.json(openApiDocument(app)));
  app.get('/healthz', (c) => c.json({ ok: true }));
  registerWebRoutes(app, options.web, { open: options.token === undefined });
  return app;
}

function refuse(c: Context, message: string, log: (message: string) => void): Response {
  return sendError(c, new HttpError(401, 'unauthorized', message, undefined, { 'WWW-Authenticate': 'Bearer realm="tempoflow"' }), log);
}

/** The OpenAPI 3.1 document of the API. */
export function openApiDocument(app: App): ReturnType<App['getOpenAPI31Document']> {
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'tempoflow',
      version: '1',
      description:
        'Start and steer tempoflow runs, fire webhook releases and read run status over HTTP. Every /api route but the webhooks needs `Authorization: Bearer <TEMPOFLOW_API_TOKEN>`. Reference and curl examples: docs/api.md.',
    },
    security: [{ bearer: [] }],
  });
}
