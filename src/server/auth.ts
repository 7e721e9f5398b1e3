/**
 * Who may call the server (docs/api.md "Security"): every `/api` route but the
 * webhooks needs `Authorization: Bearer <token>` with the API token
 * (`TEMPOFLOW_API_TOKEN`, else the secret `TEMPOFLOW_API_TOKEN` of the
 * secrets store); a webhook delivery proves itself with its own secret (an
 * HMAC signature of the body, or a bearer token). Every comparison takes the
 * same time whatever the input.
 */
import { createHmac, createHash, timingSafeEqual } from 'node:crypto';
import { SecretValues } from '../config/secret-values.js';

/** The environment variable (and secret name) of the API token. */
export const API_TOKEN_ENV = 'TEMPOFLOW_API_TOKEN';

/** Shortest API token accepted: a guessable token is worse than none, because it looks safe. */
export const MIN_TOKEN_LENGTH = 16;

/** Compares two secrets in constant time (their digests, so lengths do not leak either). */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

/** The API token the environment sets, or `undefined`. Throws `Error` for one too short to be safe. */
export function apiTokenFrom(env: NodeJS.ProcessEnv, secrets: SecretValues = SecretValues.fromEnv(env).load()): string | undefined {
  const token = env[API_TOKEN_ENV]?.trim() || secrets.get(API_TOKEN_ENV)?.trim() || undefined;
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH) {
    throw new Error(`${API_TOKEN_ENV} is ${token.length} characters long; use at least ${MIN_TOKEN_LENGTH} random ones, e.g. \`openssl rand -hex 32\``);
  }
  return token;
}

/** The token of an `Authorization: Bearer <token>` header, or `undefined`. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = header ? /^Bearer[ ]+([^\s]+)\s*$/i.exec(header) : null;
  return m?.[1];
}

/** The header GitHub (and many senders) sign a delivery's body in: `sha256=<hex of HMAC-SHA256(secret, body)>`. */
export const SIGNATURE_HEADER = 'x-hub-signature-256';

/** The signature header value of a body (what a sender computes). */
export function signBody(secret: string, body: Uint8Array | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** True when `header` is the HMAC-SHA256 signature of `body` with `secret`. */
export function validSignature(secret: string, body: Uint8Array, header: string | undefined): boolean {
  if (!header || !/^sha256=[0-9a-f]{64}$/i.test(header.trim())) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = Buffer.from(header.trim().slice('sha256='.length), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
