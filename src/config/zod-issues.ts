/**
 * Turns zod issues into positioned validation drafts with codes users can
 * act on: unknown keys with "did you mean", missing keys at their object,
 * type mismatches phrased with what the field expects, and union failures
 * narrowed to the branch the value was clearly meant for.
 *
 * Pure module: no I/O.
 */
import type { z } from 'zod';
import { didYouMean } from '../expressions/suggest.js';
import { fieldLabel, type FieldLabel } from './schema.js';
import type { ValuePath } from './source.js';

/** A problem before it is positioned. */
export interface IssueDraft {
  readonly code: string;
  readonly path: ValuePath;
  readonly message: string;
  readonly hint?: string;
  /** Point at the key (unknown or missing keys) rather than the value. */
  readonly at?: 'key' | 'value';
}

interface ZodIssueLike {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly keys?: readonly string[];
  readonly errors?: readonly (readonly ZodIssueLike[])[];
  readonly expected?: string;
  readonly values?: readonly unknown[];
  readonly discriminator?: string;
}

interface ZodDef {
  readonly type: string;
  readonly innerType?: z.ZodType;
  readonly in?: z.ZodType;
  readonly shape?: Record<string, z.ZodType>;
  readonly catchall?: z.ZodType;
  readonly valueType?: z.ZodType;
  readonly element?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly getter?: () => z.ZodType;
}

function defOf(schema: z.ZodType): ZodDef {
  return (schema as unknown as { def: ZodDef }).def;
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'readonly', 'nonoptional', 'prefault', 'catch']);

/** Unwraps optional/default/pipe/lazy layers, collecting the first label found. */
function unwrap(schema: z.ZodType): { schema: z.ZodType; label?: FieldLabel } {
  let cur = schema;
  let label = fieldLabel(cur);
  for (let i = 0; i < 20; i++) {
    const def = defOf(cur);
    const next = WRAPPERS.has(def.type) ? def.innerType : def.type === 'pipe' ? def.in : def.type === 'lazy' ? def.getter?.() : undefined;
    if (!next) break;
    cur = next;
    label ??= fieldLabel(cur);
  }
  return label ? { schema: cur, label } : { schema: cur };
}

/** The schemas a value at `path` inside `root` may be checked against (several under a union). */
function schemasAt(root: z.ZodType, path: readonly PropertyKey[], value: unknown): z.ZodType[] {
  let current: { schema: z.ZodType; value: unknown }[] = [{ schema: root, value }];
  for (const seg of path) {
    const next: { schema: z.ZodType; value: unknown }[] = [];
    const visit = (schema: z.ZodType, v: unknown, depth: number): void => {
      const { schema: s } = unwrap(schema);
      const def = defOf(s);
      const child = isRecord(v) || Array.isArray(v) ? (v as Record<PropertyKey, unknown>)[seg as string] : undefined;
      if (def.type === 'object') {
        const shape = (s as unknown as { shape: Record<string, z.ZodType> }).shape;
        const field = Object.prototype.hasOwnProperty.call(shape, seg) ? shape[seg as string] : def.catchall;
        if (field && defOf(field).type !== 'never') next.push({ schema: field, value: child });
      } else if (def.type === 'record' && def.valueType) next.push({ schema: def.valueType, value: child });
      else if (def.type === 'array' && def.element) next.push({ schema: def.element, value: child });
      else if (def.type === 'union' && def.options && depth < 5) for (const o of def.options) visit(o, v, depth + 1);
    };
    for (const c of current) visit(c.schema, c.value, 0);
    current = next;
    if (current.length === 0) break;
  }
  return current.map((c) => c.schema);
}

/** The keys allowed at `path` (for "did you mean"). */
export function allowedKeys(root: z.ZodType, path: readonly PropertyKey[], value: unknown): string[] {
  const keys = new Set<string>();
  const collect = (schema: z.ZodType, depth: number): void => {
    const { schema: s } = unwrap(schema);
    const def = defOf(s);
    if (def.type === 'object') for (const k of Object.keys((s as unknown as { shape: object }).shape)) keys.add(k);
    else if (def.type === 'union' && def.options && depth < 5) for (const o of def.options) collect(o, depth + 1);
  };
  for (const s of schemasAt(root, path, value)) collect(s, 0);
  return [...keys];
}

function labelAt(root: z.ZodType, path: readonly PropertyKey[], value: unknown): FieldLabel | undefined {
  for (const s of schemasAt(root, path, value)) {
    const found = unwrap(s).label;
    if (found) return found;
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const seg of path) {
    if (!isRecord(v) && !Array.isArray(v)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(v, seg)) return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg as string];
  }
  return v;
}

/** A value's type in YAML words. */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  if (typeof value === 'string') return 'a string';
  return typeof value;
}

/** A short rendering of a value for messages. */
export function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function toPath(path: readonly PropertyKey[]): (string | number)[] {
  return path.map((p) => (typeof p === 'number' ? p : String(p)));
}

/**
 * A hint for an unknown key that the format refuses on purpose (a key of
 * another tool, such as ddeutil-workflow's `extras`): where its value goes
 * instead. `path` is the key's object, relative to the checked value.
 */
export type UnknownKeyHint = (path: readonly (string | number)[], key: string) => string | undefined;

/**
 * Validates `value` against `schema` and returns every problem as a draft
 * whose path is relative to `value`.
 */
export function zodDrafts(schema: z.ZodType, value: unknown, options: { unknownKeyHint?: UnknownKeyHint } = {}): IssueDraft[] {
  return zodCheck(schema, value, options).drafts;
}

/**
 * Validates `value` against `schema`: the parsed data when valid, and every
 * problem as a draft. An unknown key's hint is `unknownKeyHint`'s when it has
 * one, else "did you mean".
 */
export function zodCheck<S extends z.ZodType>(schema: S, value: unknown, options: { unknownKeyHint?: UnknownKeyHint } = {}): { data?: z.output<S>; drafts: IssueDraft[] } {
  const parsed = schema.safeParse(value);
  if (parsed.success) return { data: parsed.data, drafts: [] };
  const out: IssueDraft[] = [];
  const seen = new Set<string>();
  const push = (d: IssueDraft): void => {
    const key = `${d.code}|${d.path.join('\u0000')}|${d.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(d);
  };
  const convert = (issue: ZodIssueLike, base: readonly PropertyKey[]): void => {
    const path = [...base, ...issue.path];
    const here = valueAt(value, path);
    const label = labelAt(schema, path, value);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = allowedKeys(schema, path, value);
        for (const key of issue.keys ?? []) {
          const best = suggestKey(key, known);
          const instead = options.unknownKeyHint?.(toPath(path), key);
          push({
            code: 'unknown-key',
            path: toPath([...path, key]),
            at: 'key',
            message: `unknown key '${key}'`,
            hint: instead ?? (best ? `did you mean '${best}'?` : known.length ? `allowed keys: ${known.join(', ')}` : undefined),
          });
        }
        return;
      }
      case 'invalid_union': {
        if ((issue.errors ?? []).length === 0) {
          // A discriminated union whose discriminator fits no option: say what the object may be.
          const parentLabel = labelAt(schema, path.slice(0, -1), value);
          push({ code: 'invalid-value', path: toPath(path), message: `expected ${parentLabel?.label ?? 'another value'}, got ${describe(here)}` });
          return;
        }
        const branches = (issue.errors ?? []).filter((b) => !b.some((i) => i.path.length === 0 && i.code === 'invalid_type'));
        // A map or list value was clearly meant for the one branch of its shape.
        if (branches.length === 1 && (isRecord(here) || Array.isArray(here))) {
          for (const sub of branches[0]!) convert(sub, path);
          return;
        }
        push({ code: label?.code ?? 'invalid-value', path: toPath(path), message: `expected ${label?.label ?? 'another value'}, got ${describe(here)}` });
        return;
      }
      case 'invalid_type': {
        if (here === undefined && path.length > 0 && !hasKey(value, path)) {
          const parent = path.slice(0, -1);
          push({ code: 'missing-key', path: toPath(parent), at: 'key', message: `missing required key '${String(path[path.length - 1])}'` });
          return;
        }
        const expected = label?.label ?? expectedWords(issue.expected);
        push({ code: label?.code ?? 'invalid-type', path: toPath(path), message: `expected ${expected}, got ${describe(here)}` });
        return;
      }
      case 'invalid_value': {
        const options = (issue.values ?? []).map((v) => String(v));
        const best = typeof here === 'string' ? didYouMean(here, options) : undefined;
        // `dispatch: batch` is a job's, not a stage's: say where it goes.
        const batchOnStage = here === 'batch' && path[path.length - 1] === 'dispatch' && path.includes('stages');
        push({
          code: 'invalid-value',
          path: toPath(path),
          message: options.length === 1 ? `expected ${show(issue.values?.[0])}, got ${describe(here)}` : `expected one of ${options.join(', ')}; got ${describe(here)}`,
          hint: batchOnStage
            ? '`dispatch: batch` goes on the job: it runs the job\'s consecutive bash / run / uses stages in one activity (docs/semantics.md, "Batch dispatch")'
            : best
              ? `did you mean '${best}'?`
              : undefined,
        });
        return;
      }
      case 'invalid_format':
        push({ code: label?.code ?? 'invalid-value', path: toPath(path), message: label ? `expected ${label.label}, got ${describe(here)}` : `${issue.message}, got ${describe(here)}` });
        return;
      case 'too_small':
      case 'too_big':
        push({
          code: label?.code ?? 'invalid-value',
          path: toPath(path),
          message: label ? `expected ${label.label}, got ${describe(here)}` : `${lower(issue.message.replace(/^Too (small|big): /, ''))}, got ${describe(here)}`,
        });
        return;
      default:
        push({ code: label?.code ?? 'invalid-value', path: toPath(path), message: label && issue.code !== 'custom' ? `expected ${label.label}, got ${describe(here)}` : lower(issue.message) });
    }
  };
  for (const issue of parsed.error.issues as unknown as ZodIssueLike[]) convert(issue, []);
  // A misspelt required key is reported once, as the unknown key with its "did you mean".
  const misspelt = new Set(out.filter((d) => d.code === 'unknown-key' && d.hint).map((d) => `${d.path.slice(0, -1).join('\u0000')}|${/'([^']+)'/.exec(d.hint!)?.[1]}`));
  return {
    drafts: out.filter((d) => !(d.code === 'missing-key' && misspelt.has(`${d.path.join('\u0000')}|${/'([^']+)'$/.exec(d.message)?.[1]}`))),
  };
}

/**
 * The known key closest to an unknown one: "did you mean" by edit distance,
 * else a known key that the unknown one begins (`cron` → `cronjob`) or
 * extends (`timeouts` → `timeout`).
 */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  const best = didYouMean(key, known);
  if (best || key.length < 3) return best;
  const lower = key.toLowerCase();
  return known.find((k) => k.toLowerCase().startsWith(lower)) ?? known.find((k) => k.length >= 3 && lower.startsWith(k.toLowerCase()));
}

function hasKey(root: unknown, path: readonly PropertyKey[]): boolean {
  const parent = valueAt(root, path.slice(0, -1));
  return (isRecord(parent) || Array.isArray(parent)) && Object.prototype.hasOwnProperty.call(parent, path[path.length - 1]!);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (isRecord(value) || Array.isArray(value)) return typeName(value);
  return `${typeName(value)} ${show(value)}`;
}

function expectedWords(expected: string | undefined): string {
  switch (expected) {
    case 'object':
      return 'a map';
    case 'array':
      return 'a list';
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'int':
      return 'an integer';
    case 'boolean':
      return '`true` or `false`';
    default:
      return expected ?? 'another value';
  }
}

function lower(message: string): string {
  return message.length > 0 ? message[0]!.toLowerCase() + message.slice(1) : message;
}
