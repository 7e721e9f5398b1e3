/**
 * Where secrets come from: `TEMPOFLOW_SECRET_<NAME>` variables, the JSON or
 * dotenv file named by `WORKFLOW_CORE_SECRETS_FILE`, and values given in code
 * (docs/security.md, "Secrets"). Workers render stage secrets from them
 * (`activities/secret-store.ts` adds masking); `tempoflow serve` reads its API
 * token and webhook secrets from the same variables. Names are keyed by
 * `secretKey` (`src/expressions/secrets.ts`): `db-pass` is `DB_PASS`.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { secretKey } from '../expressions/index.js';

/** Prefix of the worker's environment variables that hold secrets. */
export const SECRET_ENV_PREFIX = 'TEMPOFLOW_SECRET_';
/** Environment variable naming a secrets file (JSON object or dotenv). */
export const SECRETS_FILE_ENV = 'WORKFLOW_CORE_SECRETS_FILE';

/** The worker variable that provides a secret (`TEMPOFLOW_SECRET_DB_PASS`). */
export function secretEnvName(name: string): string {
  return `${SECRET_ENV_PREFIX}${secretKey(name)}`;
}

/** A secrets file that cannot be read or parsed. Thrown by `SecretValues.load`. */
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
 * Known secrets. Values come from `values`, then the secrets file, then
 * `TEMPOFLOW_SECRET_*` variables (later wins). The file is re-read by
 * {@link SecretValues.load} when its size or mtime changes, so a rotated file
 * is picked up without a restart.
 */
export class SecretValues {
  private fileValues = new Map<string, string>();
  private fileStamp: string | undefined;
  /** Problems that do not stop the process (loose file permissions, values too short to mask). */
  readonly warnings: string[] = [];
  private readonly warned = new Set<string>();
  readonly file: string | undefined;

  constructor(private readonly sources: SecretSources = {}) {
    this.file = sources.file ? resolve(sources.cwd ?? process.cwd(), sources.file) : undefined;
  }

  /** A store over `env`: its `TEMPOFLOW_SECRET_*` variables and the file named by its `WORKFLOW_CORE_SECRETS_FILE`. */
  static fromEnv<T extends SecretValues>(this: new (sources: SecretSources) => T, env: Readonly<Record<string, string | undefined>> = process.env, options: { cwd?: string } = {}): T {
    const file = env[SECRETS_FILE_ENV]?.trim();
    return new this({ env, ...(file ? { file } : {}), ...(options.cwd ? { cwd: options.cwd } : {}) });
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
    this.changed();
    if ((mode & 0o077) !== 0) {
      this.warn(`the secrets file ${this.file} is readable by group or others (mode ${(mode & 0o777).toString(8).padStart(3, '0')}); run \`chmod 600 ${this.file}\``);
    }
    return this;
  }

  /** Called when the file's values changed (subclasses drop what they derived from them). */
  protected changed(): void {}

  /** Adds a warning once. */
  protected warn(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.warnings.push(message);
  }

  /** Every secret by key (values, then file, then environment). */
  protected all(): Map<string, string> {
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
