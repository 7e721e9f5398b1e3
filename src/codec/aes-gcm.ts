/**
 * An AES-256-GCM {@link PayloadCodec}: every payload the client and the
 * workers send to Temporal (workflow and activity inputs and results,
 * signal and query arguments, failure details — and, with
 * `encodeCommonAttributes`, failure messages and stack traces) is stored
 * encrypted, so the server, its database and anyone reading the history
 * without the key see only ciphertext.
 *
 * An encrypted payload has the metadata `encoding: binary/encrypted` and
 * `encryption-key-id: <id>`; its data is `iv (12 bytes) | ciphertext | tag
 * (16 bytes)` of the original payload serialised as a
 * `temporal.api.common.v1.Payload` protobuf, with the key id as additional
 * authenticated data. Decoding leaves payloads that are not encrypted as
 * they are (history written before the codec was turned on stays readable)
 * and picks the key by id, so keys can rotate: encode with the new key,
 * keep the old ones for decoding.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';

const ProtoPayload = proto.temporal.api.common.v1.Payload;

/** `encoding` metadata of an encrypted payload. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata key naming the key a payload was encrypted with. */
export const METADATA_KEY_ID = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const fromUtf8 = (bytes: Uint8Array | null | undefined): string => (bytes ? new TextDecoder().decode(bytes) : '');

/** A key or payload the codec cannot use; the message says which and how to fix it. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
}

/**
 * Parses a 256-bit key written as base64 (44 characters, standard or URL
 * alphabet) or hex (64 characters).
 * @throws {CodecError} naming `source` (e.g. `TEMPOFLOW_CODEC_KEY`) and the accepted forms; never the key.
 */
export function parseKey(text: string, source = 'the key'): Buffer {
  const t = text.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(t)) key = Buffer.from(t, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) key = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (!key || key.length !== KEY_BYTES) {
    throw new CodecError(`${source} must be 32 random bytes written as base64 (44 characters) or hex (64 characters), got ${t.length} characters; generate one with \`openssl rand -base64 32\``);
  }
  return key;
}

/** A short, stable id of a key (the first 8 hex digits of its SHA-256), for when no id is configured. */
export function keyFingerprint(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** Keys of an {@link AesGcmCodec}. */
export interface AesGcmKeys {
  /** Id of the key new payloads are encrypted with. */
  readonly currentKeyId: string;
  /** Every key that may decrypt, by id (the current one included). */
  readonly keys: ReadonlyMap<string, Buffer>;
}

/** AES-256-GCM payload encryption (see the module docs for the format). */
export class AesGcmCodec implements PayloadCodec {
  private readonly current: Buffer;

  constructor(private readonly config: AesGcmKeys) {
    const current = config.keys.get(config.currentKeyId);
    if (!current) throw new CodecError(`no key with the id '${config.currentKeyId}' among the codec's keys`);
    for (const [id, key] of config.keys) {
      if (key.length !== KEY_BYTES) throw new CodecError(`codec key '${id}' is ${key.length} bytes; AES-256 needs 32`);
      if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(id)) throw new CodecError(`codec key id '${id}' must be 1 to 64 of A-Z a-z 0-9 _ . : -`);
    }
    this.current = current;
  }

  /** Id of the key new payloads are encrypted with. */
  get keyId(): string {
    return this.config.currentKeyId;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.current, iv);
      cipher.setAAD(Buffer.from(this.config.currentKeyId, 'utf8'));
      const plain = ProtoPayload.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: utf8(ENCRYPTED_ENCODING),
          [METADATA_KEY_ID]: utf8(this.config.currentKeyId),
        },
        data: new Uint8Array(data),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (fromUtf8(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
      const keyId = fromUtf8(payload.metadata?.[METADATA_KEY_ID]);
      const key = this.config.keys.get(keyId);
      if (!key) {
        throw new CodecError(
          `a payload is encrypted with the key id '${keyId}', which this process does not have (it has ${[...this.config.keys.keys()].join(', ')}); add that key to TEMPOFLOW_CODEC_PREVIOUS_KEYS as ${keyId}=<key>`,
        );
      }
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw new CodecError(`an encrypted payload is ${data.length} bytes, shorter than its IV and tag; it is corrupt`);
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(keyId, 'utf8'));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch (err) {
        throw new CodecError(`cannot decrypt a payload with key '${keyId}': the key is wrong or the payload was altered`, { cause: err } as never);
      }
      const decoded = ProtoPayload.decode(plain);
      return { metadata: decoded.metadata ?? {}, data: decoded.data ?? new Uint8Array() };
    });
  }
}
