/**
 * The AES-256-GCM payload codec, its environment configuration, the
 * encoding failure converter, and the codec server over real HTTP.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure, DefaultFailureConverter, defaultPayloadConverter, type Payload } from '@temporalio/common';
import { AesGcmCodec, CodecError, codecFromEnv, dataConverterFromEnv, ENCRYPTED_ENCODING, failureConverterPath, keyFingerprint, parseKey } from '../../src/codec/index.js';
import { createCodecServer } from '../../src/codec/server.js';

const KEY = randomBytes(32);
const OLD = randomBytes(32);
const env = { TEMPOFLOW_CODEC_KEY: KEY.toString('base64'), TEMPOFLOW_CODEC_KEY_ID: 'k2', TEMPOFLOW_CODEC_PREVIOUS_KEYS: `k1=${OLD.toString('hex')}` };
const text = (p: Payload): string => Buffer.from(p.data ?? []).toString('utf8');
const meta = (p: Payload, k: string): string => Buffer.from(p.metadata?.[k] ?? []).toString('utf8');

describe('parseKey and codecFromEnv', () => {
  it('accepts 32 bytes as base64, base64url or hex', () => {
    expect(parseKey(KEY.toString('base64')).equals(KEY)).toBe(true);
    expect(parseKey(KEY.toString('base64url')).equals(KEY)).toBe(true);
    expect(parseKey(` ${KEY.toString('hex')}\n`).equals(KEY)).toBe(true);
  });

  it('refuses other lengths, naming the variable and how to make a key, never echoing it', () => {
    const bad = randomBytes(16).toString('base64');
    expect(() => codecFromEnv({ TEMPOFLOW_CODEC_KEY: bad })).toThrow(CodecError);
    try {
      codecFromEnv({ TEMPOFLOW_CODEC_KEY: bad });
    } catch (err) {
      expect((err as Error).message).toBe(
        'TEMPOFLOW_CODEC_KEY must be 32 random bytes written as base64 (44 characters) or hex (64 characters), got 24 characters; generate one with `openssl rand -base64 32`',
      );
      expect((err as Error).message).not.toContain(bad);
    }
    expect(() => codecFromEnv({ TEMPOFLOW_CODEC_KEY: KEY.toString('hex'), TEMPOFLOW_CODEC_PREVIOUS_KEYS: 'nokey' })).toThrow(/expected id=key entries/);
    expect(() => codecFromEnv({ TEMPOFLOW_CODEC_PREVIOUS_KEYS: `a=${OLD.toString('hex')}` })).toThrow(/TEMPOFLOW_CODEC_KEY is not/);
  });

  it('is off without a key, and ids default to a fingerprint', () => {
    expect(codecFromEnv({})).toBeUndefined();
    expect(dataConverterFromEnv({})).toBeUndefined();
    expect(codecFromEnv({ TEMPOFLOW_CODEC_KEY: KEY.toString('hex') })!.keyId).toBe(keyFingerprint(KEY));
    expect(keyFingerprint(KEY)).toMatch(/^[0-9a-f]{8}$/);
  });
});

describe('AesGcmCodec', () => {
  const codec = codecFromEnv(env)!;
  const plain = defaultPayloadConverter.toPayload({ password: 'correct horse battery staple' });

  it('round-trips and leaves no plaintext in the encoded payload', async () => {
    const [encoded] = await codec.encode([plain]);
    expect(meta(encoded!, 'encoding')).toBe(ENCRYPTED_ENCODING);
    expect(meta(encoded!, 'encryption-key-id')).toBe('k2');
    expect(text(encoded!)).not.toContain('correct horse');
    expect(Buffer.from(encoded!.data!).toString('base64')).not.toContain(Buffer.from('correct horse').toString('base64').slice(0, 12));
    const [decoded] = await codec.decode([encoded!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({ password: 'correct horse battery staple' });
    // A fresh IV each time.
    const [again] = await codec.encode([plain]);
    expect(Buffer.from(again!.data!).equals(Buffer.from(encoded!.data!))).toBe(false);
  });

  it('decodes payloads of a previous key, passes plain ones through, and refuses unknown keys and tampering', async () => {
    const old = new AesGcmCodec({ currentKeyId: 'k1', keys: new Map([['k1', OLD]]) });
    const [byOld] = await old.encode([plain]);
    expect(defaultPayloadConverter.fromPayload((await codec.decode([byOld!]))[0]!)).toEqual({ password: 'correct horse battery staple' });
    expect(await codec.decode([plain])).toEqual([plain]);

    const [byNew] = await codec.encode([plain]);
    await expect(old.decode([byNew!])).rejects.toThrow(
      "a payload is encrypted with the key id 'k2', which this process does not have (it has k1); add that key to TEMPOFLOW_CODEC_PREVIOUS_KEYS as k2=<key>",
    );
    const tampered = { ...byNew!, data: Uint8Array.from(byNew!.data!, (b, i) => (i === 20 ? b ^ 1 : b)) };
    await expect(codec.decode([tampered])).rejects.toThrow(/cannot decrypt a payload with key 'k2': the key is wrong or the payload was altered/);
    const relabelled = { ...byOld!, metadata: { ...byOld!.metadata, 'encryption-key-id': new TextEncoder().encode('k2') } };
    await expect(codec.decode([relabelled])).rejects.toThrow(/key is wrong or the payload was altered/);
  });
});

describe('the encoding failure converter', () => {
  it('is loadable by path with require(), as the SDK loads it, and moves the message into the encoded attributes', () => {
    const path = failureConverterPath();
    const loaded = createRequire(import.meta.url)(path) as { failureConverter: DefaultFailureConverter };
    expect(loaded.failureConverter.options.encodeCommonAttributes).toBe(true);
    const failure = loaded.failureConverter.errorToFailure(ApplicationFailure.create({ message: 'secret message', type: 'T' }), defaultPayloadConverter);
    expect(failure.message).toBe('Encoded failure');
    expect(JSON.stringify(failure)).not.toContain('secret message');
    expect(dataConverterFromEnv(env)).toMatchObject({ failureConverterPath: path, payloadCodecs: [expect.any(AesGcmCodec)] });
  });
});

describe('codec server', () => {
  const codec = codecFromEnv(env)!;
  const server = createCodecServer(codec, { origins: ['http://localhost:8233'], token: 'tok' });
  let base = '';
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const json = (p: Payload) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
    data: Buffer.from(p.data ?? []).toString('base64'),
  });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer tok', Origin: 'http://localhost:8233', ...headers }, body: JSON.stringify(body) });

  it('decodes and encodes over HTTP with CORS for the UI origin', async () => {
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload({ hello: 'world' })]);
    const res = await post('/decode', { payloads: [json(encrypted!)] });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    const body = (await res.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(Buffer.from(body.payloads[0]!.data, 'base64').toString()).toBe('{"hello":"world"}');
    expect(Buffer.from(body.payloads[0]!.metadata['encoding']!, 'base64').toString()).toBe('json/plain');

    const enc = (await (await post('/encode', { payloads: body.payloads })).json()) as { payloads: { metadata: Record<string, string> }[] };
    expect(Buffer.from(enc.payloads[0]!.metadata['encoding']!, 'base64').toString()).toBe(ENCRYPTED_ENCODING);

    const preflight = await fetch(`${base}/decode`, { method: 'OPTIONS', headers: { Origin: 'http://localhost:8233', 'Access-Control-Request-Method': 'POST' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/);
  });

  it('refuses a wrong token, other origins, bad bodies and unknown paths with clear errors', async () => {
    expect((await post('/decode', { payloads: [] }, { Authorization: 'Bearer nope' })).status).toBe(401);
    const other = await post('/decode', { payloads: [] }, { Origin: 'http://evil.example' });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const bad = await post('/decode', { nope: 1 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'the body must be { "payloads": [...] }' });
    expect((await post('/default/decode', { payloads: [] })).status).toBe(200);
    expect((await fetch(`${base}/decode`, { headers: { Authorization: 'Bearer tok' } })).status).toBe(405);
    const missing = await post('/nope', { payloads: [] });
    expect(missing.status).toBe(404);
    const wrongKey = await post('/decode', {
      payloads: [{ metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING).toString('base64'), 'encryption-key-id': Buffer.from('zz').toString('base64') }, data: 'AAAA' }],
    });
    expect(wrongKey.status).toBe(400);
    expect(((await wrongKey.json()) as { error: string }).error).toMatch(/key id 'zz'/);
  });
});
