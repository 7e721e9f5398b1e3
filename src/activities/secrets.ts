/**
 * Secrets on the worker (docs/security.md "Secrets").
 *
 * Workflow code never sees a secret: it renders every template except the
 * ones that read `secrets.*`, which reach the activity verbatim. The stage
 * activities then, right before running, render only those templates with
 * {@link renderSecrets} — in `bash`, `run` (code and `vars`), `env` and
 * `with` — from a {@link SecretStore}: `TEMPOFLOW_SECRET_<NAME>` variables of
 * the worker, or the JSON / dotenv file named by `WORKFLOW_CORE_SECRETS_FILE`.
 *
 * Whatever an activity writes or returns passes through a {@link Masker},
 * which replaces every secret value the worker knows — plain, JSON-escaped
 * (also `\uXXXX`-escaped), URL-encoded and base64 (at each of the three
 * byte alignments, standard and URL-safe alphabets) — with `***`.
 *
 * Values shorter than {@link MIN_SECRET_LENGTH} characters are never masked
 * (masking `ab` would garble every output); a stage that references one
 * fails instead, so a short secret never reaches a stage unmasked.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { analyzeExpression, evaluateExpression, parseTemplate, toDisplayString, type ExpressionPart } from '../expressions/index.js';

/** Prefix of the worker's environment variables that hold secrets. */
export const SECRET_ENV_PREFIX = 'TEMPOFLOW_SECRET_';
/** Environment variable naming a secrets file (JSON object or dotenv). */
export const SECRETS_FILE_ENV = 'WORKFLOW_CORE_SECRETS_FILE';
/** Shortest secret value that is masked; shorter ones cannot be used by stages. */
export const MIN_SECRET_LENGTH = 4;
/** What replaces a secret. */
export const MASK = '***';

/** The key of a secret name: upper-cased, `-` → `_` (`secrets.db-pass` → `DB_PASS`). */
export function secretKey(name: string): string {
  return name.toUpperCase().replace(/-/g, '_');
}

/** The worker variable that provides a secret (`TEMPOFLOW_SECRET_DB_PASS`). */
export function secretEnvName(name: string): string {
  return `${SECRET_ENV_PREFIX}${secretKey(name)}`;
}

/** A secrets file that cannot be read or parsed. Thrown by `SecretStore.load`. */
export class SecretsFileError extends Error {
  override readonly name = 'SecretsFileError';
  constructor(
    message: string,
    /** The file, as resolved. */
    readonly file: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Why {@link renderSecrets} refused a template. */
export const SecretErrorCode = {
  /** A referenced secret is not set on this worker. */
  missing: 'missing',
  /** A referenced secret is shorter than {@link MIN_SECRET_LENGTH} (it could not be masked). */
  tooShort: 'too-short',
  /** `secrets` read without a literal name (`secrets[x]`, `secrets.*`, `toJson(secrets)`). */
  dynamic: 'dynamic',
  /** A template reads `secrets` and another namespace, which the worker cannot see. */
  mixed: 'mixed',
  /** A template around a secret does not parse. */
  syntax: 'syntax',
  /** A secret the stage's YAML does not name, e.g. in a value spliced into its script. */
  notReferenced: 'not-referenced',
} as const;
export type SecretErrorCode = (typeof SecretErrorCode)[keyof typeof SecretErrorCode];

/**
 * A template that reads secrets cannot be rendered. Thrown by
 * {@link renderSecrets}; the message names the field, the template and how
 * to fix it, never a value. Stage activities turn it into a non-retryable
 * stage failure.
 */
export class SecretError extends Error {
  override readonly name = 'SecretError';
  constructor(
    readonly code: SecretErrorCode,
    message: string,
    /** Names involved (as written in the YAML). */
    readonly secrets: readonly string[] = [],
  ) {
    super(message);
  }
}

/** Where a store's values come from. */
export interface SecretSources {
  /** Variables scanned for `TEMPOFLOW_SECRET_<NAME>` (typically the worker's environment). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A JSON object or dotenv file of `NAME: value` (resolved from `cwd`). Environment variables win over it. */
  readonly file?: string;
  /** Extra values (tests, embedding applications); the environment and the file win over them. */
  readonly values?: Readonly<Record<string, string>>;
  /** Base of a relative `file` (default: the process's cwd). */
  readonly cwd?: string;
}

/**
 * The secrets a worker can render. Values come from `values`, then the
 * secrets file, then `TEMPOFLOW_SECRET_*` variables (later wins). The file is
 * re-read by {@link SecretStore.load} when its size or mtime changes, so a
 * rotated file is picked up by the next stage without restarting the worker.
 */
export class SecretStore {
  private fileValues = new Map<string, string>();
  private fileStamp: string | undefined;
  private cachedMasker: Masker | undefined;
  /** Problems that do not stop the worker (loose file permissions, values too short to mask). */
  readonly warnings: string[] = [];
  private readonly warned = new Set<string>();
  readonly file: string | undefined;

  constructor(private readonly sources: SecretSources = {}) {
    this.file = sources.file ? resolve(sources.cwd ?? process.cwd(), sources.file) : undefined;
  }

  /** A store over `env`: its `TEMPOFLOW_SECRET_*` variables and the file named by its `WORKFLOW_CORE_SECRETS_FILE`. */
  static fromEnv(env: Readonly<Record<string, string | undefined>> = process.env, options: { cwd?: string } = {}): SecretStore {
    const file = env[SECRETS_FILE_ENV]?.trim();
    return new SecretStore({ env, ...(file ? { file } : {}), ...(options.cwd ? { cwd: options.cwd } : {}) });
  }

  /**
   * (Re)reads the secrets file when it changed since the last call.
   * @throws {SecretsFileError} when the file cannot be read or parsed.
   */
  load(): this {
    if (!this.file) return this;
    let stamp: string;
    let mode: number;
    try {
      const st = statSync(this.file);
      stamp = `${st.size}:${st.mtimeMs}:${st.ino}`;
      mode = st.mode;
    } catch (err) {
      throw new SecretsFileError(
        `cannot read the secrets file ${this.file} (${SECRETS_FILE_ENV}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; create it (a JSON object or NAME=value lines, mode 0600) or unset ${SECRETS_FILE_ENV}`,
        this.file,
        { cause: err },
      );
    }
    if (stamp === this.fileStamp) return this;
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      throw new SecretsFileError(`cannot read the secrets file ${this.file} (${SECRETS_FILE_ENV}): ${(err as Error).message}`, this.file, { cause: err });
    }
    this.fileValues = parseSecretsFile(text, this.file);
    this.fileStamp = stamp;
    this.cachedMasker = undefined;
    if ((mode & 0o077) !== 0) {
      this.warn(`the secrets file ${this.file} is readable by group or others (mode ${(mode & 0o777).toString(8).padStart(3, '0')}); run \`chmod 600 ${this.file}\``);
    }
    return this;
  }

  private warn(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.warnings.push(message);
  }

  /** Every secret by key (values, then file, then environment). */
  private all(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [k, v] of Object.entries(this.sources.values ?? {})) out.set(secretKey(k), v);
    for (const [k, v] of this.fileValues) out.set(k, v);
    for (const [k, v] of Object.entries(this.sources.env ?? {})) {
      if (k.startsWith(SECRET_ENV_PREFIX) && v !== undefined && k.length > SECRET_ENV_PREFIX.length) out.set(secretKey(k.slice(SECRET_ENV_PREFIX.length)), v);
    }
    return out;
  }

  /** The value of `secrets.<name>` (case-insensitive, `-` = `_`), or `undefined`. */
  get(name: string): string | undefined {
    return this.all().get(secretKey(name));
  }

  /** Keys of every known secret, sorted. */
  names(): string[] {
    return [...this.all().keys()].sort();
  }

  /** A masker of every known value of at least {@link MIN_SECRET_LENGTH} characters. */
  masker(): Masker {
    if (this.cachedMasker) return this.cachedMasker;
    const values: string[] = [];
    for (const [key, value] of this.all()) {
      if (value.length >= MIN_SECRET_LENGTH) values.push(value);
      else if (value.length > 0) this.warn(`secret ${key} is shorter than ${MIN_SECRET_LENGTH} characters: it is not masked, and stages that reference it fail`);
    }
    this.cachedMasker = new Masker(values);
    return this.cachedMasker;
  }
}

/**
 * Parses a secrets file: a JSON object of strings (when the text starts with
 * `{`), else dotenv lines (`NAME=value`, `export NAME=value`, `# comments`,
 * single quotes literal, double quotes with `\n \r \t \" \\` escapes).
 * Names may carry the `TEMPOFLOW_SECRET_` prefix.
 * @throws {SecretsFileError} naming the line or key at fault.
 */
export function parseSecretsFile(text: string, file = '<secrets>'): Map<string, string> {
  const out = new Map<string, string>();
  const put = (name: string, value: string): void => {
    const bare = name.startsWith(SECRET_ENV_PREFIX) ? name.slice(SECRET_ENV_PREFIX.length) : name;
    out.set(secretKey(bare), value);
  };
  const body = text.replace(/^\uFEFF/, '');
  if (body.trimStart().startsWith('{')) {
    let data: unknown;
    try {
      data = JSON.parse(body);
    } catch (err) {
      throw new SecretsFileError(`the secrets file ${file} is not valid JSON: ${(err as Error).message}`, file, { cause: err });
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new SecretsFileError(`the secrets file ${file} must hold a JSON object of "NAME": "value"`, file);
    for (const [name, value] of Object.entries(data)) {
      if (!NAME.test(name)) throw new SecretsFileError(`the secrets file ${file}: '${name}' is not a valid secret name (letters, digits, _ and -, not starting with a digit)`, file);
      if (typeof value !== 'string') throw new SecretsFileError(`the secrets file ${file}: the value of '${name}' is a ${value === null ? 'null' : typeof value}; write it as a JSON string`, file);
      put(name, value);
    }
    return out;
  }
  const lines = body.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new SecretsFileError(`the secrets file ${file}:${i + 1}: expected NAME=value (or a JSON object)`, file);
    const name = m[1]!;
    let raw = m[2]!;
    let value: string;
    if (raw.startsWith("'")) {
      const end = raw.indexOf("'", 1);
      if (end < 0) throw new SecretsFileError(`the secrets file ${file}:${i + 1}: unterminated ' quote for ${name}`, file);
      value = raw.slice(1, end);
    } else if (raw.startsWith('"')) {
      // A double-quoted value may span lines; `\n \r \t \" \\` are escapes.
      value = '';
      let j = 1;
      for (;;) {
        if (j >= raw.length) {
          if (i + 1 >= lines.length) throw new SecretsFileError(`the secrets file ${file}:${i + 1}: unterminated " quote for ${name}`, file);
          value += '\n';
          raw = lines[++i]!;
          j = 0;
          continue;
        }
        const c = raw[j]!;
        if (c === '"') break;
        if (c === '\\' && j + 1 < raw.length) {
          const n = raw[++j]!;
          value += n === 'n' ? '\n' : n === 'r' ? '\r' : n === 't' ? '\t' : n;
        } else value += c;
        j++;
      }
    } else {
      value = raw.replace(/\s+#.*$/, '').trim();
    }
    put(name, value);
  }
  return out;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

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

/** What a template of secrets reads, or why it cannot be rendered. */
function secretNames(part: ExpressionPart, field: string): string[] | undefined {
  const analysis = analyzeExpression(part.source);
  const secrets = analysis.references.filter((r) => String(r.path[0]).toLowerCase() === 'secrets');
  if (secrets.length === 0) return undefined;
  const others = [...new Set(analysis.references.filter((r) => String(r.path[0]).toLowerCase() !== 'secrets').map((r) => String(r.path[0])))];
  if (others.length > 0) {
    throw new SecretError(
      SecretErrorCode.mixed,
      `${field}: the template ${part.raw} reads secrets and ${others.join(', ')}; a template that reads secrets is rendered on the worker, which sees only secrets. Split it into two templates, e.g. \${{ secrets.NAME }}-\${{ ${others[0]}... }}`,
    );
  }
  const names: string[] = [];
  for (const ref of secrets) {
    const name = ref.path[1];
    if (name === undefined || name === '*') {
      throw new SecretError(SecretErrorCode.dynamic, `${field}: the template ${part.raw} reads secrets without a literal name; write secrets.NAME for each secret you use`);
    }
    names.push(String(name));
  }
  return names;
}

/** Options of {@link renderSecrets}. */
export interface RenderSecretsOptions {
  /** The field being rendered, for messages (`bash`, `env.TOKEN`, `with.password`). */
  readonly field?: string;
  /**
   * Secrets the stage's YAML names (computed by workflow code from the
   * authored text). A template naming any other secret — one that reached the
   * text through a spliced value, such as another stage's output — is refused.
   */
  readonly allowed?: ReadonlySet<string>;
}

/**
 * Renders the `${{ }}` templates that read `secrets.*` in `value` (a string,
 * or arrays and plain objects of strings, recursively; keys are not
 * rendered) and leaves every other text untouched. Each such template is
 * evaluated by the expression engine with a context holding only the
 * secrets it names. A string that is exactly one template keeps the value's
 * type, as in workflow code.
 * @throws {SecretError} for a missing or too-short secret (all of them named
 *   at once), a dynamic read of `secrets`, a template that mixes secrets
 *   with other namespaces, or a template that does not parse.
 */
export function renderSecrets<T>(value: T, store: SecretStore, options: RenderSecretsOptions = {}): T {
  const missing = new Set<string>();
  const short = new Set<string>();
  const renderString = (text: string, field: string): unknown => {
    if (!text.includes('${{') || !/secrets/i.test(text)) return text;
    let parts;
    try {
      parts = parseTemplate(text);
    } catch (err) {
      throw new SecretError(SecretErrorCode.syntax, `${field}: ${(err as Error).message}`);
    }
    const rendered: unknown[] = [];
    for (const part of parts) {
      if (part.kind === 'text') {
        rendered.push(part.text);
        continue;
      }
      let names: string[] | undefined;
      try {
        names = secretNames(part, field);
      } catch (err) {
        if (err instanceof SecretError) throw err;
        throw new SecretError(SecretErrorCode.syntax, `${field}: ${(err as Error).message}`);
      }
      if (names === undefined) {
        rendered.push(part.raw);
        continue;
      }
      const secrets: Record<string, string> = {};
      const smuggled = options.allowed ? names.filter((n) => !options.allowed!.has(n)) : [];
      if (smuggled.length > 0) {
        throw new SecretError(
          SecretErrorCode.notReferenced,
          `${field}: the text names secrets.${smuggled[0]}, which this stage's YAML does not reference; a value spliced into the stage (an output, a param) may not name secrets — reference the secret in the YAML itself`,
        );
      }
      for (const name of names) {
        const v = store.get(name);
        if (v === undefined) missing.add(name);
        else if (v.length > 0 && v.length < MIN_SECRET_LENGTH) short.add(name);
        else secrets[name] = v;
      }
      if (names.some((n) => !(n in secrets))) {
        rendered.push('');
        continue;
      }
      try {
        rendered.push(evaluateExpression(part.source, { values: { secrets } }));
      } catch (err) {
        throw new SecretError(SecretErrorCode.syntax, `${field}: ${store.masker().mask((err as Error).message)}`);
      }
    }
    if (parts.length === 1 && parts[0]!.kind === 'expression') return rendered[0];
    return rendered.map((r, i) => (parts[i]!.kind === 'text' ? r : toDisplayString(r))).join('');
  };
  const walk = (v: unknown, field: string, depth: number): unknown => {
    if (typeof v === 'string') return renderString(v, field);
    if (depth > 64 || v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((item, i) => walk(item, `${field}[${i}]`, depth + 1));
    const proto = Object.getPrototypeOf(v) as object | null;
    if (proto !== Object.prototype && proto !== null) return v;
    const out: Record<string, unknown> = {};
    for (const [k, item] of Object.entries(v)) out[k] = walk(item, field ? `${field}.${k}` : k, depth + 1);
    return out;
  };
  const result = walk(value, options.field ?? 'value', 0) as T;
  if (missing.size > 0) {
    const names = [...missing];
    const how = names.map((n) => secretEnvName(n)).join(', ');
    throw new SecretError(
      SecretErrorCode.missing,
      `secret${names.length > 1 ? 's' : ''} ${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} not set on this worker; set ${how} in the worker's environment, or add ${names.map(secretKey).join(', ')} to the secrets file named by ${SECRETS_FILE_ENV}`,
      names,
    );
  }
  if (short.size > 0) {
    const names = [...short];
    throw new SecretError(
      SecretErrorCode.tooShort,
      `secret${names.length > 1 ? 's' : ''} ${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} shorter than ${MIN_SECRET_LENGTH} characters, too short to mask in outputs and logs; use a longer value`,
      names,
    );
  }
  return result;
}

/** The fields of a stage input that {@link renderStageSecrets} renders. */
type SecretField = 'script' | 'code' | 'vars' | 'env' | 'with';

/** A stage failure for a refused secret: non-retryable, positioned at the stage. */
export interface SecretStageFailure {
  readonly ok: false;
  readonly nonRetryable: true;
  readonly outputs: Record<string, never>;
  readonly error: { readonly name: string; readonly message: string; readonly job: string; readonly stage: string; readonly location: string };
}

/**
 * Renders the secrets of a stage input's `fields` (`script` of bash, `code`
 * and `vars` of run, `env`, `with` of uses). Returns the rendered input, or
 * a non-retryable stage failure naming the secret and how to provide it;
 * an unreadable secrets file is thrown (retried by Temporal: the file may
 * come back).
 */
export function renderStageSecrets<T extends { readonly jobId: string; readonly stageId: string; readonly location: string }>(
  input: T,
  fields: readonly (SecretField & keyof T)[],
  store: SecretStore,
): { ok: true; input: T } | { ok: false; result: SecretStageFailure } {
  store.load();
  const labels: Record<SecretField, string> = { script: 'bash', code: 'run', vars: 'vars', env: 'env', with: 'with' };
  const out: Record<string, unknown> = { ...input };
  try {
    const declared = (input as { secretNames?: readonly string[] }).secretNames;
    const allowed = declared ? new Set(declared) : undefined;
    for (const field of fields) out[field] = renderSecrets(input[field], store, { field: labels[field], ...(allowed ? { allowed } : {}) });
  } catch (err) {
    if (!(err instanceof SecretError)) throw err;
    return {
      ok: false,
      result: {
        ok: false,
        nonRetryable: true,
        outputs: {},
        error: { name: 'SecretError', message: `${err.message} (stage ${input.stageId} at ${input.location})`, job: input.jobId, stage: input.stageId, location: input.location },
      },
    };
  }
  return { ok: true, input: out as T };
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
