/**
 * Secrets on the worker (docs/security.md, "Secrets").
 *
 * Workflow code never sees a secret: it renders every template except the
 * ones that read the secrets namespace (`src/expressions/secrets.ts`), which
 * reach the activity verbatim. The stage activities then, right before
 * running, render only those templates with {@link renderSecrets} — in
 * `bash`, `run` (code and `vars`), `env` and `with` — from a
 * {@link SecretStore} (`secret-store.ts`). Whatever an activity writes or
 * returns passes through a {@link Masker} (`masking.ts`).
 *
 * This module renders; it re-exports the store and the masker, so
 * `./secrets.js` stays the one import for secrets on the worker.
 */
import { StageErrorName } from '../engine/stage-errors.js';
import { analyzeExpression, evaluateExpression, parseTemplate, secretKey, secretReads, toDisplayString, type ExpressionPart } from '../expressions/index.js';
import { MIN_SECRET_LENGTH } from './masking.js';
import { secretEnvName, SECRETS_FILE_ENV, type SecretStore } from './secret-store.js';

export { MASK, secretKey } from '../expressions/index.js';
export { maskedActivity, Masker, MaskingDecoder, MaskingStream, MIN_SECRET_LENGTH, secretForms } from './masking.js';
export { parseSecretsFile, SECRET_ENV_PREFIX, secretEnvName, SECRETS_FILE_ENV, SecretsFileError, SecretStore, type SecretSources } from './secret-store.js';

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
  override readonly name = StageErrorName.SecretError;
  constructor(
    readonly code: SecretErrorCode,
    message: string,
    /** Names involved (as written in the YAML). */
    readonly secrets: readonly string[] = [],
  ) {
    super(message);
  }
}

/** What a template of secrets reads (`undefined`: no secret), or why it cannot be rendered. */
function secretNames(part: ExpressionPart, field: string): readonly string[] | undefined {
  const reads = secretReads(analyzeExpression(part.source));
  if (reads === undefined) return undefined;
  if (reads.others.length > 0) {
    throw new SecretError(
      SecretErrorCode.mixed,
      `${field}: the template ${part.raw} reads secrets and ${reads.others.join(', ')}; a template that reads secrets is rendered on the worker, which sees only secrets. Split it into two templates, e.g. \${{ secrets.NAME }}-\${{ ${reads.others[0]}... }}`,
    );
  }
  if (reads.dynamic) {
    throw new SecretError(SecretErrorCode.dynamic, `${field}: the template ${part.raw} reads secrets without a literal name; write secrets.NAME for each secret you use`);
  }
  return reads.names;
}

/** Options of {@link renderSecrets}. */
export interface RenderSecretsOptions {
  /** The field being rendered, for messages (`bash`, `env.TOKEN`, `with.password`). */
  readonly field?: string;
  /**
   * Secrets the stage's YAML names (computed by workflow code from the
   * authored text; compared by {@link secretKey}). A template naming any
   * other secret — one that reached the text through a spliced value, such
   * as another stage's output — is refused.
   */
  readonly allowed?: ReadonlySet<string>;
}

/** Secrets a {@link renderSecrets} call could not provide, reported together at the end. */
interface Unavailable {
  readonly missing: Set<string>;
  readonly short: Set<string>;
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
  const unavailable: Unavailable = { missing: new Set(), short: new Set() };
  const allowed = options.allowed ? new Set([...options.allowed].map(secretKey)) : undefined;
  const walk = (v: unknown, field: string, depth: number): unknown => {
    if (typeof v === 'string') return renderSecretString(v, field, store, allowed, unavailable);
    if (depth > 64 || v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((item, i) => walk(item, `${field}[${i}]`, depth + 1));
    const proto = Object.getPrototypeOf(v) as object | null;
    if (proto !== Object.prototype && proto !== null) return v;
    const out: Record<string, unknown> = {};
    for (const [k, item] of Object.entries(v)) out[k] = walk(item, field ? `${field}.${k}` : k, depth + 1);
    return out;
  };
  const result = walk(value, options.field ?? 'value', 0) as T;
  if (unavailable.missing.size > 0) {
    const names = [...unavailable.missing];
    const how = names.map((n) => secretEnvName(n)).join(', ');
    throw new SecretError(
      SecretErrorCode.missing,
      `secret${names.length > 1 ? 's' : ''} ${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} not set on this worker; set ${how} in the worker's environment, or add ${names.map(secretKey).join(', ')} to the secrets file named by ${SECRETS_FILE_ENV}`,
      names,
    );
  }
  if (unavailable.short.size > 0) {
    const names = [...unavailable.short];
    throw new SecretError(
      SecretErrorCode.tooShort,
      `secret${names.length > 1 ? 's' : ''} ${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} shorter than ${MIN_SECRET_LENGTH} characters, too short to mask in outputs and logs; use a longer value`,
      names,
    );
  }
  return result;
}

/** One string of {@link renderSecrets}: its templates of secrets rendered, the rest as written. */
function renderSecretString(text: string, field: string, store: SecretStore, allowed: ReadonlySet<string> | undefined, unavailable: Unavailable): unknown {
  if (!text.includes('${{') || !/secrets/i.test(text)) return text;
  let parts;
  try {
    parts = parseTemplate(text);
  } catch (err) {
    throw new SecretError(SecretErrorCode.syntax, `${field}: ${(err as Error).message}`);
  }
  const rendered = parts.map((part) => (part.kind === 'text' ? part.text : renderSecretPart(part, field, store, allowed, unavailable)));
  if (parts.length === 1 && parts[0]!.kind === 'expression') return rendered[0];
  return rendered.map((r, i) => (parts[i]!.kind === 'text' ? r : toDisplayString(r))).join('');
}

/** One `${{ }}`: rendered when it reads secrets that are all available, `''` when one is not, as written when it reads none. */
function renderSecretPart(part: ExpressionPart, field: string, store: SecretStore, allowed: ReadonlySet<string> | undefined, unavailable: Unavailable): unknown {
  let names: readonly string[] | undefined;
  try {
    names = secretNames(part, field);
  } catch (err) {
    if (err instanceof SecretError) throw err;
    throw new SecretError(SecretErrorCode.syntax, `${field}: ${(err as Error).message}`);
  }
  if (names === undefined) return part.raw;
  const smuggled = allowed ? names.filter((n) => !allowed.has(secretKey(n))) : [];
  if (smuggled.length > 0) {
    throw new SecretError(
      SecretErrorCode.notReferenced,
      `${field}: the text names secrets.${smuggled[0]}, which this stage's YAML does not reference; a value spliced into the stage (an output, a param) may not name secrets — reference the secret in the YAML itself`,
    );
  }
  const secrets: Record<string, string> = {};
  for (const name of names) {
    const v = store.get(name);
    if (v === undefined) unavailable.missing.add(name);
    else if (v.length > 0 && v.length < MIN_SECRET_LENGTH) unavailable.short.add(name);
    else secrets[name] = v;
  }
  if (names.some((n) => !(n in secrets))) return '';
  try {
    return evaluateExpression(part.source, { values: { secrets } });
  } catch (err) {
    throw new SecretError(SecretErrorCode.syntax, `${field}: ${store.masker().mask((err as Error).message)}`);
  }
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
        error: { name: StageErrorName.SecretError, message: `${err.message} (stage ${input.stageId} at ${input.location})`, job: input.jobId, stage: input.stageId, location: input.location },
      },
    };
  }
  return { ok: true, input: out as T };
}
