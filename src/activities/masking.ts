/**
 * Masking secret values: a {@link Masker} replaces every value the worker
 * knows — plain, JSON-escaped (also `\uXXXX`-escaped), URL-encoded and
 * base64 (at each of the three byte alignments, standard and URL-safe
 * alphabets) — with `***` in text, JSON values and errors, and streams
 * subprocess output without letting a secret through split across two reads
 * (docs/security.md, "Masking").
 *
 * Values shorter than {@link MIN_SECRET_LENGTH} characters are never masked
 * (masking `ab` would garble every output); a stage that references one
 * fails instead, so a short secret never reaches a stage unmasked.
 */
import { StringDecoder } from 'node:string_decoder';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MASK } from '../expressions/index.js';
import type { SecretStore } from './secret-store.js';

/** Shortest secret value that is masked; shorter ones cannot be used by stages. */
export const MIN_SECRET_LENGTH = 4;

/** Base64 text that depends only on `bytes`, as they would appear at byte offset ≡ `shift` (mod 3) inside a longer stream. */
function base64Core(bytes: Buffer, shift: number): string {
  const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
  const first = Math.ceil((8 * shift) / 6);
  const end = Math.floor((8 * (shift + bytes.length)) / 6);
  return encoded.slice(first, end);
}

/** `JSON.stringify` body with non-ASCII as `\uXXXX` (Python's `json.dumps` default). */
function asciiJson(value: string): string {
  return JSON.stringify(value)
    .slice(1, -1)
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The forms of a value that are masked. */
export function secretForms(value: string): string[] {
  const forms = new Set<string>([value, JSON.stringify(value).slice(1, -1), asciiJson(value)]);
  try {
    forms.add(encodeURIComponent(value));
  } catch {
    /* lone surrogates */
  }
  const bytes = Buffer.from(value, 'utf8');
  // The whole value encoded on its own (with its last partial character and padding) ...
  forms.add(bytes.toString('base64'));
  forms.add(bytes.toString('base64').replace(/=+$/, ''));
  forms.add(bytes.toString('base64url'));
  // ... and the characters that depend only on the value, wherever it sits in longer data.
  for (let shift = 0; shift < 3; shift++) {
    const b64 = base64Core(bytes, shift);
    forms.add(b64);
    forms.add(b64.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  if (value.includes('\n')) {
    for (const line of value.split(/\r?\n/)) if (line.trim().length >= MIN_SECRET_LENGTH * 2) forms.add(line.trim());
  }
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Above this many characters without a newline, a {@link MaskingStream} flushes anyway. */
const STREAM_FLUSH_CHARS = 64 * 1024;

/**
 * Replaces secret values with `***` in text, JSON values and errors. Built
 * by {@link SecretStore.masker} from every value the worker knows.
 */
export class Masker {
  private readonly pattern: RegExp | undefined;
  private readonly forms: readonly string[];
  /** Longest masked form, in characters. */
  readonly maxLength: number;
  /** True when some form contains a line break (a multi-line secret). */
  private readonly multiline: boolean;

  constructor(values: Iterable<string>) {
    const forms = new Set<string>();
    for (const v of values) if (v.length >= MIN_SECRET_LENGTH) for (const f of secretForms(v)) forms.add(f);
    this.forms = [...forms].sort((a, b) => b.length - a.length);
    this.pattern = this.forms.length ? new RegExp(this.forms.map(escapeRegExp).join('|'), 'g') : undefined;
    this.maxLength = this.forms[0]?.length ?? 0;
    this.multiline = this.forms.some((f) => /[\r\n]/.test(f));
  }

  /** True when there is nothing to mask. */
  get empty(): boolean {
    return this.pattern === undefined;
  }

  /** `text` with every secret form replaced by `***`. */
  mask(text: string): string {
    if (!this.pattern || typeof text !== 'string' || text.length < MIN_SECRET_LENGTH) return text;
    return text.replace(this.pattern, MASK);
  }

  /**
   * {@link mask}, and also a secret's end at the very start of the text (a
   * tail cut through a secret keeps only its last characters). A leading
   * `[... N bytes truncated]` line is skipped.
   */
  maskTail(text: string): string {
    const masked = this.mask(text);
    if (!this.pattern) return masked;
    const marker = /^\[\.\.\. \d+ bytes truncated\]\n/.exec(masked)?.[0] ?? '';
    const rest = masked.slice(marker.length);
    for (const form of this.forms) {
      for (let k = Math.min(form.length - 1, rest.length); k >= 2; k--) {
        if (rest.startsWith(form.slice(form.length - k))) return `${marker}${MASK}${rest.slice(k)}`;
      }
    }
    return masked;
  }

  /** A copy of a JSON-like value with every string (and key) masked. */
  maskValue<T>(value: T): T {
    if (!this.pattern) return value;
    const seen = new Set<object>();
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return this.mask(v);
      if (v === null || typeof v !== 'object') return v;
      if (seen.has(v)) return v;
      seen.add(v);
      try {
        if (Array.isArray(v)) return v.map(walk);
        const proto = Object.getPrototypeOf(v) as object | null;
        if (proto !== Object.prototype && proto !== null) return v;
        const out: Record<string, unknown> = {};
        for (const [k, item] of Object.entries(v)) out[this.mask(k)] = walk(item);
        return out;
      } finally {
        seen.delete(v);
      }
    };
    return walk(value) as T;
  }

  /**
   * An error safe to throw out of an activity: a `CancelledFailure` as it is
   * (its message is ours), an `ApplicationFailure` or any other error as an
   * `ApplicationFailure` of the same type with a masked message and details.
   */
  maskError(err: unknown): unknown {
    if (!this.pattern || err instanceof CancelledFailure) return err;
    if (err instanceof ApplicationFailure) {
      return ApplicationFailure.create({
        message: this.mask(err.message),
        type: err.type ?? 'Error',
        nonRetryable: err.nonRetryable ?? false,
        details: err.details ? this.maskValue([...err.details]) : undefined,
      });
    }
    const message = err instanceof Error ? err.message : String(err);
    const type = err instanceof Error ? err.name : 'Error';
    const masked = this.mask(message);
    if (masked === message && err instanceof Error && !(err.stack ?? '').match(this.pattern)) return err;
    return ApplicationFailure.create({ message: masked, type, nonRetryable: false });
  }

  /** A streaming masker: text pushed in chunks comes out masked, never with a secret split across two outputs. */
  stream(): MaskingStream {
    return new MaskingStream(this, this.pattern, this.maxLength, this.multiline);
  }
}

/**
 * Masks text that arrives in chunks (a subprocess's output). It holds back
 * the end of the text that could be the start of a secret: everything after
 * the last line break (forms contain no line break unless a secret does),
 * or, for multi-line secrets and long lines, the last `maxLength - 1`
 * characters.
 */
export class MaskingStream {
  private buffer = '';

  constructor(
    private readonly masker: Masker,
    private readonly pattern: RegExp | undefined,
    private readonly maxLength: number,
    private readonly multiline: boolean,
  ) {}

  /** Masked text that is safe to emit now ('' when everything is held back). */
  push(text: string): string {
    if (!this.pattern) return text;
    this.buffer += text;
    const nl = text.lastIndexOf('\n');
    let cut = nl < 0 ? 0 : this.buffer.length - text.length + nl + 1;
    if (this.multiline) cut = Math.min(cut, this.buffer.length - (this.maxLength - 1));
    if (cut <= 0 && this.buffer.length > STREAM_FLUSH_CHARS) cut = this.buffer.length - (this.maxLength - 1);
    if (cut <= 0) return '';
    // Never cut through a complete occurrence.
    this.pattern.lastIndex = 0;
    for (let m = this.pattern.exec(this.buffer); m; m = this.pattern.exec(this.buffer)) {
      if (m.index >= cut) break;
      if (m.index + m[0].length > cut) {
        cut = m.index;
        break;
      }
    }
    this.pattern.lastIndex = 0;
    const out = this.masker.mask(this.buffer.slice(0, cut));
    this.buffer = this.buffer.slice(cut);
    return out;
  }

  /** The rest, masked. */
  end(): string {
    const out = this.masker.mask(this.buffer);
    this.buffer = '';
    return out;
  }
}

/** A byte stream (a subprocess's stdout) decoded as UTF-8 and masked. */
export class MaskingDecoder {
  private readonly decoder = new StringDecoder('utf8');
  private readonly stream: MaskingStream;

  constructor(masker: Masker) {
    this.stream = masker.stream();
  }

  write(chunk: Buffer | string): string {
    return this.stream.push(typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
  }

  end(): string {
    return this.stream.push(this.decoder.end()) + this.stream.end();
  }
}

/**
 * Wraps an activity so that what it returns and what it throws carry no
 * secret value: results are masked with {@link Masker.maskValue}, errors
 * with {@link Masker.maskError}.
 */
export function maskedActivity<A extends unknown[], R>(store: SecretStore, fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A): Promise<R> => {
    try {
      return store.masker().maskValue(await fn(...args));
    } catch (err) {
      throw store.masker().maskError(err);
    }
  };
}
