/**
 * A remote codec endpoint for the Temporal Web UI and CLI
 * (`temporal ... --codec-endpoint`): `POST /encode` and `POST /decode` take
 * `{ "payloads": [{ "metadata": { k: base64 }, "data": base64 }] }` (also
 * under a namespace segment, `/<namespace>/decode`) and
 * answer the same shape (Temporal's remote codec protocol). CORS answers
 * the configured UI origins only, credentials included, so the browser of
 * someone using the UI can call it; an optional bearer token restricts who
 * may decrypt.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Payload, PayloadCodec } from '@temporalio/common';

/** Options of {@link createCodecServer}. */
export interface CodecServerOptions {
  /** Origins allowed by CORS (the Web UI's, e.g. `http://localhost:8233`); `*` allows any (no credentials then). */
  readonly origins: readonly string[];
  /** When set, requests must carry `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** Largest request body, in bytes (default 16 MiB). */
  readonly maxBodyBytes?: number;
  /** Called with one line per request (method, path, status, payload count). */
  readonly log?: (line: string) => void;
}

/** JSON form of a payload in the remote codec protocol. */
interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function fromJson(p: unknown, i: number): Payload {
  if (typeof p !== 'object' || p === null) throw new HttpError(400, `payloads[${i}] must be an object { metadata, data }`);
  const { metadata = {}, data = '' } = p as JsonPayload;
  if (typeof metadata !== 'object' || metadata === null || typeof data !== 'string') throw new HttpError(400, `payloads[${i}]: metadata must be an object of base64 strings and data a base64 string`);
  const out: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new HttpError(400, `payloads[${i}].metadata.${k} must be a base64 string`);
    out[k] = new Uint8Array(Buffer.from(v, 'base64'));
  }
  return { metadata: out, data: new Uint8Array(Buffer.from(data, 'base64')) };
}

function toJson(p: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) if (v) metadata[k] = Buffer.from(v).toString('base64');
  return { metadata, data: Buffer.from(p.data ?? new Uint8Array()).toString('base64') };
}

async function readBody(req: IncomingMessage, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new HttpError(413, `request body over ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** An HTTP server (not yet listening) serving `/encode` and `/decode` with `codec`. */
export function createCodecServer(codec: PayloadCodec, options: CodecServerOptions): Server {
  const maxBody = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const anyOrigin = options.origins.includes('*');
  const cors = (req: IncomingMessage, res: ServerResponse): void => {
    const origin = req.headers.origin;
    if (anyOrigin) res.setHeader('Access-Control-Allow-Origin', '*');
    else if (origin && options.origins.includes(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
    }
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
    res.setHeader('Access-Control-Max-Age', '600');
  };
  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.statusCode = status;
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Cache-Control', 'no-store');
    res.end(JSON.stringify(body));
  };
  return createServer((req, res) => {
    cors(req, res);
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
    const done = (status: number, count = 0): void => options.log?.(`${req.method} ${path} ${status}${count ? ` (${count} payloads)` : ''}`);
    if (req.method === 'OPTIONS') {
      res.statusCode = 204;
      res.end();
      return done(204);
    }
    void (async () => {
      try {
        // `/decode`, or `/<namespace>/decode` (the CLI's `--codec-endpoint 'http://host/{namespace}'` templating).
        const op = /^(?:\/[^/]+)?\/(encode|decode)$/.exec(path)?.[1];
        if (!op) throw new HttpError(404, `no such endpoint '${path}'; use POST /encode or POST /decode`);
        if (req.method !== 'POST') throw new HttpError(405, `${path} takes POST`);
        if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) throw new HttpError(401, 'missing or wrong Authorization: Bearer token');
        const text = await readBody(req, maxBody);
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          throw new HttpError(400, 'the body is not JSON; send { "payloads": [...] }');
        }
        const list = (body as { payloads?: unknown } | null)?.payloads;
        if (!Array.isArray(list)) throw new HttpError(400, 'the body must be { "payloads": [...] }');
        const payloads = list.map(fromJson);
        const out = op === 'encode' ? await codec.encode(payloads) : await codec.decode(payloads);
        send(res, 200, { payloads: out.map(toJson) });
        done(200, payloads.length);
      } catch (err) {
        const status = err instanceof HttpError ? err.status : 400;
        send(res, status, { error: err instanceof Error ? err.message : String(err) });
        done(status);
      }
    })();
  });
}
