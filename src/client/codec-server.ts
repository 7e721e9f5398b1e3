/**
 * The remote codec endpoint of the Web UI (`tempoflow codec-server`),
 * decrypting payloads with the keys of `TEMPOFLOW_CODEC_KEY` /
 * `TEMPOFLOW_CODEC_PREVIOUS_KEYS` (docs/security.md).
 */
import type { AddressInfo } from 'node:net';
import { codecFromEnv, CODEC_KEY_ENV } from '../codec/index.js';
import { createCodecServer } from '../codec/server.js';
import { WorkflowError } from '../errors.js';

/** Thrown by `startCodecServer()` when the environment holds no usable key. */
export class CodecKeyError extends WorkflowError {
  override readonly name: string = 'CodecKeyError';
}

/** Options of `startCodecServer()`. */
export interface StartCodecServerOptions {
  readonly port: number;
  readonly host: string;
  /** Web UI origins allowed by CORS. */
  readonly origins: readonly string[];
  /** Require `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** One line per request. */
  readonly log?: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}

/** A listening codec server. */
export interface RunningCodecServer {
  /** `http://<host>:<port>`, the port being the one bound. */
  readonly url: string;
  /** Id of the key it encrypts with. */
  readonly keyId: string;
  close(): Promise<void>;
}

/**
 * Starts listening. Throws `CodecKeyError` when `TEMPOFLOW_CODEC_KEY` is unset
 * or malformed, and `Error` naming the address when it cannot listen.
 */
export async function startCodecServer(options: StartCodecServerOptions): Promise<RunningCodecServer> {
  let codec;
  try {
    codec = codecFromEnv(options.env ?? process.env);
  } catch (err) {
    throw new CodecKeyError((err as Error).message, { cause: err });
  }
  if (!codec) throw new CodecKeyError(`${CODEC_KEY_ENV} is not set; set it to the key the workers use (32 bytes, base64 or hex)`);
  const server = createCodecServer(codec, { origins: options.origins, ...(options.token ? { token: options.token } : {}), ...(options.log ? { log: options.log } : {}) });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`cannot listen on ${options.host}:${options.port}: ${err.code ?? err.message}${err.code === 'EADDRINUSE' ? '; pick another --port' : ''}`, { cause: err })),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}`,
    keyId: codec.keyId,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
