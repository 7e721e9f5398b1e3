/**
 * Optional payload encryption, keyed from the environment.
 *
 * - `TEMPOFLOW_CODEC_KEY`: 32 random bytes, base64 or hex (`openssl rand
 *   -base64 32`). Unset: no codec, payloads are plain JSON.
 * - `TEMPOFLOW_CODEC_KEY_ID`: the key's id, stored with every payload
 *   (default: a fingerprint of the key).
 * - `TEMPOFLOW_CODEC_PREVIOUS_KEYS`: `id=key,id=key` — older keys, for
 *   decoding history written before a rotation.
 *
 * The client, every worker and the codec server must share the keys.
 * {@link dataConverterFromEnv} gives the `dataConverter` of a client or
 * worker: the {@link AesGcmCodec} plus a failure converter that encodes
 * failure messages and stack traces, so they are encrypted too.
 */
import { existsSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { AesGcmCodec, CodecError, keyFingerprint, parseKey } from './aes-gcm.js';
import { failureConverter } from './failure-converter.js';

export { AesGcmCodec, CodecError, ENCRYPTED_ENCODING, keyFingerprint, METADATA_KEY_ID, parseKey, type AesGcmKeys } from './aes-gcm.js';

/** Environment variable holding the current key. */
export const CODEC_KEY_ENV = 'TEMPOFLOW_CODEC_KEY';
/** Environment variable holding the current key's id. */
export const CODEC_KEY_ID_ENV = 'TEMPOFLOW_CODEC_KEY_ID';
/** Environment variable holding older keys (`id=key,...`), for decoding only. */
export const CODEC_PREVIOUS_KEYS_ENV = 'TEMPOFLOW_CODEC_PREVIOUS_KEYS';

/**
 * The codec the environment configures, or `undefined` when
 * `TEMPOFLOW_CODEC_KEY` is unset.
 * @throws {CodecError} on a malformed key, id or previous key, naming the variable.
 */
export function codecFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): AesGcmCodec | undefined {
  const raw = env[CODEC_KEY_ENV]?.trim();
  if (!raw) {
    if (env[CODEC_PREVIOUS_KEYS_ENV]?.trim()) throw new CodecError(`${CODEC_PREVIOUS_KEYS_ENV} is set but ${CODEC_KEY_ENV} is not; set the current key too`);
    return undefined;
  }
  const key = parseKey(raw, CODEC_KEY_ENV);
  const id = env[CODEC_KEY_ID_ENV]?.trim() || keyFingerprint(key);
  const keys = new Map<string, Buffer>();
  for (const entry of (env[CODEC_PREVIOUS_KEYS_ENV] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new CodecError(`${CODEC_PREVIOUS_KEYS_ENV}: expected id=key entries separated by commas, got an entry without '='`);
    const prevId = entry.slice(0, eq).trim();
    keys.set(prevId, parseKey(entry.slice(eq + 1), `${CODEC_PREVIOUS_KEYS_ENV} (key '${prevId}')`));
  }
  const previous = keys.get(id);
  if (previous && !previous.equals(key)) throw new CodecError(`${CODEC_PREVIOUS_KEYS_ENV} has another key under the current id '${id}'; give the new key a new ${CODEC_KEY_ID_ENV}`);
  keys.set(id, key);
  return new AesGcmCodec({ currentKeyId: id, keys });
}

const here = fileURLToPath(import.meta.url);

/**
 * The path of the encoding failure converter, for `failureConverterPath`.
 *
 * The SDK loads that path with `require()`, which cannot load this ESM
 * package's TypeScript sources (tests, tsx) and warns on its compiled ESM.
 * So the module's already-imported exports are registered in `require.cache`
 * under its real path (Node documents adding entries to the cache), and the
 * path stays a real file for the workflow bundler.
 */
export function failureConverterPath(): string {
  const path = join(dirname(here), `failure-converter${extname(here)}`);
  if (!existsSync(path)) throw new Error(`the codec's failure converter is missing at ${path}; reinstall tempoflow`);
  const require = createRequire(import.meta.url);
  if (!require.cache[path]) {
    const module = new Module(path);
    module.filename = path;
    module.exports = { failureConverter };
    module.loaded = true;
    require.cache[path] = module;
  }
  return path;
}

/**
 * The data converter of a client or worker using `codec`: its payload
 * codec, and failure messages and stack traces encoded (so encrypted too).
 */
export function encryptingDataConverter(codec: AesGcmCodec): DataConverter {
  return { payloadCodecs: [codec], failureConverterPath: failureConverterPath() };
}

/**
 * The data converter the environment configures (see the module docs), or
 * `undefined` for Temporal's default (no encryption).
 * @throws {CodecError} on a malformed key.
 */
export function dataConverterFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): DataConverter | undefined {
  const codec = codecFromEnv(env);
  return codec ? encryptingDataConverter(codec) : undefined;
}
