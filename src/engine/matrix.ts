/**
 * Matrix expansion for `strategy.matrix`, with GitHub Actions semantics
 * (docs/semantics.md, "Matrix expansion"):
 *
 * 1. the cartesian product of the matrix lists, FIRST key outermost;
 * 2. `exclude` removes every combination that matches all keys of one entry;
 * 3. `include` adds its extra keys to every combination whose original values
 *    it does not contradict (original values are never overwritten; values
 *    added by an earlier include may be), and an entry that fits no
 *    combination is appended as a new one.
 *
 * Every combination gets a stable {@link ExpandedCombination.key} derived
 * from its canonical JSON, so it does not depend on key order.
 *
 * Pure and deterministic (no I/O, no clock, no randomness, no `Intl`): safe
 * to import from Temporal workflow code. Objects keyed by user strings are
 * created with a null prototype, so `__proto__` is an ordinary key.
 */

/** A value a matrix key can take: anything JSON can represent. */
export type MatrixValue = string | number | boolean | null | Record<string, unknown> | unknown[];

/**
 * One combination: matrix key → value. Objects returned by
 * {@link expandMatrix} have a null prototype (so `__proto__` is a plain key);
 * values are the input values, not copies.
 */
export type MatrixCombination = Record<string, MatrixValue>;

/**
 * The raw `strategy` pieces of a job. `include` and `exclude` may be given
 * here, inside `matrix` (GitHub style), or both; both lists are used, the
 * ones inside `matrix` first.
 */
export interface MatrixInput {
  /** Matrix key → list of values, optionally with `include` / `exclude` lists. */
  matrix: Record<string, unknown>;
  /** Entries merged into matching combinations or appended as new ones. */
  include?: unknown[];
  /** Entries removing the combinations that match all of their keys. */
  exclude?: unknown[];
}

/** One combination of an expanded matrix. */
export interface ExpandedCombination {
  /**
   * Stable id: 12 lowercase hex chars hashed from the combination's
   * {@link canonicalJson} (independent of key order). Unique within one
   * expansion: a repeated combination gets a `-2`, `-3`, … suffix.
   */
  key: string;
  /** 0-based position in the expansion (the combination order of docs/semantics.md). */
  index: number;
  /** The combination's values (null-prototype object). */
  matrix: MatrixCombination;
}

/** Options of {@link expandMatrix}. */
export interface ExpandMatrixOptions {
  /**
   * Largest number of combinations allowed, both for the cartesian product
   * (checked before anything is generated) and for the final list.
   * Default {@link DEFAULT_MAX_COMBINATIONS}.
   */
  maxCombinations?: number;
}

/** The default cap on the number of combinations of one job (docs/yaml-format.md "Strategy"). */
export const DEFAULT_MAX_COMBINATIONS = 4096;

/** Longest label {@link combinationLabel} returns by default. */
export const MAX_LABEL_LENGTH = 100;

/** Why a matrix could not be expanded. */
export const MatrixErrorCode = {
  /** The matrix would produce more combinations than the cap allows. */
  cap: 'matrix-cap',
  /** The matrix, an include or an exclude entry has the wrong shape. */
  shape: 'matrix-shape',
} as const;
export type MatrixErrorCode = (typeof MatrixErrorCode)[keyof typeof MatrixErrorCode];

/**
 * Thrown by {@link expandMatrix} when a matrix has the wrong shape
 * (`matrix-shape`: a key that is not a list, a malformed include/exclude
 * entry, a cyclic or too deeply nested value) or would exceed the
 * combination cap (`matrix-cap`).
 */
export class MatrixError extends Error {
  override readonly name = 'MatrixError';
  /** What went wrong. */
  readonly code: MatrixErrorCode;
  /** Where, relative to the job's `strategy` (e.g. `matrix.region`, `exclude[1]`). */
  readonly path?: string;

  constructor(message: string, options: { code: MatrixErrorCode; path?: string; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    if (options.path !== undefined) this.path = options.path;
  }
}

/** How deep {@link canonicalJson} follows nested objects and arrays. */
const MAX_DEPTH = 256;

/**
 * Canonical JSON of a value: `JSON.stringify` semantics (`toJSON` is
 * honoured, `undefined`/functions/symbols are dropped from objects and become
 * `null` in arrays and at the top level, non-finite numbers become `null`)
 * but object keys sorted by UTF-16 code units, no whitespace, and bigints
 * written as integers. Two values are deep-equal for the matrix exactly when
 * their canonical JSON is equal.
 *
 * @throws TypeError when the value is cyclic or nested deeper than 256 levels.
 */
export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  writeCanonical(value, parts, [], 0);
  return parts.join('');
}

function writeCanonical(value: unknown, out: string[], ancestors: object[], depth: number): void {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON: (key: string) => unknown }).toJSON('');
  }
  switch (typeof value) {
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'number':
      out.push(Number.isFinite(value) ? JSON.stringify(value) : 'null');
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'bigint':
      out.push(value.toString());
      return;
    case 'object':
      break;
    default:
      out.push('null');
      return;
  }
  if (value === null) {
    out.push('null');
    return;
  }
  if (depth >= MAX_DEPTH) throw new TypeError(`value is nested more than ${MAX_DEPTH} levels deep`);
  if (ancestors.includes(value)) throw new TypeError('value is cyclic (it contains itself)');
  ancestors.push(value);
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      writeCanonical(value[i], out, ancestors, depth + 1);
    }
    out.push(']');
  } else {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    out.push('{');
    let first = true;
    for (const key of keys) {
      const item = record[key];
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
      if (!first) out.push(',');
      first = false;
      out.push(JSON.stringify(key), ':');
      writeCanonical(item, out, ancestors, depth + 1);
    }
    out.push('}');
  }
  ancestors.pop();
}

/**
 * 64-bit FNV-1a of the UTF-8 bytes of `text` (lone surrogates count as
 * U+FFFD), as 16 lowercase hex chars. Pure JS on 32-bit halves: no BigInt,
 * no `TextEncoder`.
 */
export function stableHash(text: string): string {
  // offset basis 0xcbf29ce484222325, prime 0x100000001b3 = 2^40 + 0x1b3
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  const feed = (byte: number): void => {
    lo = (lo ^ byte) >>> 0;
    const loTimes = lo * 0x1b3; // < 2^41: exact
    const carry = Math.floor(loTimes / 0x100000000);
    hi = (Math.imul(hi, 0x1b3) + carry + (lo << 8)) >>> 0;
    lo = loTimes >>> 0;
  };
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else {
        cp = 0xfffd;
      }
    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
      cp = 0xfffd;
    }
    if (cp < 0x80) {
      feed(cp);
    } else if (cp < 0x800) {
      feed(0xc0 | (cp >> 6));
      feed(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      feed(0xe0 | (cp >> 12));
      feed(0x80 | ((cp >> 6) & 0x3f));
      feed(0x80 | (cp & 0x3f));
    } else {
      feed(0xf0 | (cp >> 18));
      feed(0x80 | ((cp >> 12) & 0x3f));
      feed(0x80 | ((cp >> 6) & 0x3f));
      feed(0x80 | (cp & 0x3f));
    }
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/**
 * A human label for a combination, `region=us,shard=1`, in the
 * combination's key order: strings as they are, other values as canonical
 * JSON. Longer labels are cut to `maxLength` chars, ending in `…`.
 */
export function combinationLabel(matrix: MatrixCombination, maxLength: number = MAX_LABEL_LENGTH): string {
  const parts: string[] = [];
  let length = 0;
  for (const key of Object.keys(matrix)) {
    const value = matrix[key];
    let text: string;
    try {
      text = typeof value === 'string' ? value : canonicalJson(value);
    } catch {
      text = '…';
    }
    const part = `${key}=${text}`;
    parts.push(part);
    length += part.length + 1;
    if (length > maxLength + 1) break; // enough to know it will be cut
  }
  const label = parts.join(',');
  if (label.length <= maxLength) return label;
  let cut = Math.max(0, maxLength - 1);
  const last = label.charCodeAt(cut - 1);
  if (cut > 0 && last >= 0xd800 && last <= 0xdbff) cut--; // never split a surrogate pair
  return `${label.slice(0, cut)}…`;
}

/** A key: value pair of an include/exclude entry, with its canonical JSON. */
interface Pair {
  key: string;
  value: unknown;
  canon: string;
}

/** An include entry split into filter (original keys) and extra keys. */
interface IncludeEntry {
  filter: Array<{ vector: number; canon: string }>;
  filterPairs: Pair[];
  extras: Pair[];
  matched: boolean;
}

/**
 * Expands a job's matrix into its combinations (GitHub Actions semantics,
 * docs/semantics.md "Matrix expansion"; see the module documentation).
 *
 * - A matrix with no list keys has no product: its combinations are its
 *   include entries. A key with an empty list makes the product empty (zero
 *   combinations, unless includes add some); the caller decides what a job
 *   with zero combinations means.
 * - Key order is the object's own key order; note that JavaScript lists
 *   integer-like keys (`"0"`, `"12"`) first, whatever order the YAML had.
 * - Values are compared by deep equality of their canonical JSON (so `1` and
 *   `'1'` differ, object key order does not matter).
 *
 * @throws MatrixError `matrix-shape` when the matrix is not a mapping, a key's
 *   value is not a list, an include/exclude list or entry is malformed (an
 *   entry that is not a mapping, an empty entry, an exclude key that is not a
 *   matrix key), or a value is cyclic or too deep.
 * @throws MatrixError `matrix-cap` when the cartesian product (computed
 *   before generating anything) or the final number of combinations exceeds
 *   `maxCombinations`.
 * @throws RangeError when `maxCombinations` is not a non-negative integer.
 */
export function expandMatrix(input: MatrixInput, opts: ExpandMatrixOptions = {}): ExpandedCombination[] {
  const cap = opts.maxCombinations ?? DEFAULT_MAX_COMBINATIONS;
  if (!Number.isSafeInteger(cap) || cap < 0) {
    throw new RangeError(`maxCombinations must be a non-negative integer, got ${String(cap)}`);
  }
  if (!isMapping(input)) {
    throw shapeError('the strategy must be a mapping with a `matrix` key', undefined);
  }
  const matrix: unknown = input.matrix;
  if (!isMapping(matrix)) {
    throw shapeError(`the matrix must be a mapping of keys to lists (e.g. region: [us, eu]), got ${describe(matrix)}`, 'matrix');
  }

  // 1. Split the matrix into vectors and include/exclude lists.
  const vectorKeys: string[] = [];
  const vectors: unknown[][] = [];
  const vectorIndex = new Map<string, number>();
  const includes: Array<{ entry: unknown; path: string }> = [];
  const excludes: Array<{ entry: unknown; path: string }> = [];
  const collect = (list: unknown, path: string, into: Array<{ entry: unknown; path: string }>): void => {
    if (list === undefined || list === null) return;
    if (!Array.isArray(list)) {
      throw shapeError(`\`${path}\` must be a list of mappings, got ${describe(list)}`, path);
    }
    list.forEach((entry, i) => into.push({ entry, path: `${path}[${i}]` }));
  };
  for (const key of Object.keys(matrix)) {
    const value = matrix[key];
    if (key === 'include') {
      collect(value, 'matrix.include', includes);
    } else if (key === 'exclude') {
      collect(value, 'matrix.exclude', excludes);
    } else if (Array.isArray(value)) {
      vectorIndex.set(key, vectors.length);
      vectorKeys.push(key);
      vectors.push(value);
    } else {
      const path = `matrix${pathSegment(key)}`;
      throw shapeError(`matrix key "${key}" must be a list of values (e.g. ${key}: [a, b]), got ${describe(value)}`, path);
    }
  }
  collect(input.include, 'include', includes);
  collect(input.exclude, 'exclude', excludes);

  // 2. Cap the cartesian product before generating it.
  let product = vectors.length === 0 ? 0n : 1n;
  for (const vector of vectors) product *= BigInt(vector.length);
  if (product > BigInt(cap)) throw capError(product.toString(), cap, 'the cartesian product of its lists');
  const productSize = Number(product);

  // 3. Canonical forms of every vector value and include/exclude pair.
  const canon: string[][] = vectors.map((vector, v) => vector.map((value, i) => canonicalOf(value, `matrix${pathSegment(vectorKeys[v] ?? '')}[${i}]`)));
  const excludeFilters = excludes.map(({ entry, path }) => {
    const pairs = pairsOf(entry, path, 'exclude');
    return pairs.map((pair) => {
      const vector = vectorIndex.get(pair.key);
      if (vector === undefined) {
        throw shapeError(`${path}: exclude key "${pair.key}" is not a key of the matrix (${listKeys(vectorKeys)})`, `${path}${pathSegment(pair.key)}`);
      }
      return { vector, canon: pair.canon };
    });
  });
  const includeEntries: IncludeEntry[] = includes.map(({ entry, path }) => {
    const pairs = pairsOf(entry, path, 'include');
    const result: IncludeEntry = { filter: [], filterPairs: [], extras: [], matched: false };
    for (const pair of pairs) {
      const vector = vectorIndex.get(pair.key);
      if (vector === undefined) {
        result.extras.push(pair);
      } else {
        result.filter.push({ vector, canon: pair.canon });
        result.filterPairs.push(pair);
      }
    }
    return result;
  });

  // 4. Product (first key outermost) minus excludes, plus include extras.
  const combinations: MatrixCombination[] = [];
  const digits = new Array<number>(vectors.length).fill(0);
  const valueCanon = (v: number): string => canon[v]?.[digits[v] ?? 0] ?? '';
  for (let n = 0; n < productSize; n++) {
    if (n > 0) {
      // odometer: the LAST key changes fastest
      for (let v = vectors.length - 1; v >= 0; v--) {
        const next = (digits[v] ?? 0) + 1;
        if (next < (vectors[v]?.length ?? 0)) {
          digits[v] = next;
          break;
        }
        digits[v] = 0;
      }
    }
    const excluded = excludeFilters.some((filter) => filter.every((f) => valueCanon(f.vector) === f.canon));
    if (excluded) continue;

    const combination: MatrixCombination = Object.create(null) as MatrixCombination;
    for (let v = 0; v < vectors.length; v++) {
      combination[vectorKeys[v] ?? ''] = vectors[v]?.[digits[v] ?? 0] as MatrixValue;
    }
    let extras: Map<string, unknown> | undefined;
    for (const entry of includeEntries) {
      if (!entry.filter.every((f) => valueCanon(f.vector) === f.canon)) continue;
      entry.matched = true;
      extras ??= new Map();
      for (const pair of entry.extras) extras.set(pair.key, pair.value);
    }
    if (extras) for (const [key, value] of extras) combination[key] = value as MatrixValue;
    combinations.push(combination);
  }

  // 5. Includes that fit no combination become new combinations.
  for (const entry of includeEntries) {
    if (entry.matched) continue;
    const combination: MatrixCombination = Object.create(null) as MatrixCombination;
    for (const pair of entry.filterPairs) combination[pair.key] = pair.value as MatrixValue;
    for (const pair of entry.extras) combination[pair.key] = pair.value as MatrixValue;
    combinations.push(combination);
  }
  if (combinations.length > cap) {
    throw capError(String(combinations.length), cap, 'its lists and include entries');
  }

  // 6. Stable, unique keys.
  const seen = new Map<string, number>();
  return combinations.map((combination, index) => {
    const base = stableHash(canonicalOf(combination, 'matrix')).slice(0, 12);
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    return { key: count === 1 ? base : `${base}-${count}`, index, matrix: combination };
  });
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isJsonValue(value: unknown): boolean {
  const type = typeof value;
  return value === null || type === 'string' || type === 'number' || type === 'boolean' || type === 'object';
}

function canonicalOf(value: unknown, path: string): string {
  if (!isJsonValue(value)) {
    throw shapeError(`${path} must be a JSON value (string, number, boolean, null, list or mapping), got ${describe(value)}`, path);
  }
  try {
    return canonicalJson(value);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new MatrixError(`${path}: ${reason}`, { code: MatrixErrorCode.shape, path, cause });
  }
}

function pairsOf(entry: unknown, path: string, kind: 'include' | 'exclude'): Pair[] {
  if (!isMapping(entry)) {
    throw shapeError(`${path}: each ${kind} entry must be a mapping of matrix keys to values, got ${describe(entry)}`, path);
  }
  const keys = Object.keys(entry);
  if (keys.length === 0) {
    throw shapeError(`${path}: an ${kind} entry must not be empty`, path);
  }
  return keys.map((key) => {
    const value = entry[key];
    return { key, value, canon: canonicalOf(value, `${path}${pathSegment(key)}`) };
  });
}

function pathSegment(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function listKeys(keys: string[]): string {
  return keys.length === 0 ? 'it has no list keys' : `keys: ${keys.join(', ')}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string': {
      const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
      return `the string ${JSON.stringify(shown)}`;
    }
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value} ${String(value)}`;
    case 'object':
      return 'a mapping';
    default:
      return typeof value;
  }
}

function shapeError(message: string, path: string | undefined): MatrixError {
  return new MatrixError(message, path === undefined ? { code: MatrixErrorCode.shape } : { code: MatrixErrorCode.shape, path });
}

function capError(count: string, cap: number, what: string): MatrixError {
  return new MatrixError(
    `the matrix expands to ${count} combinations (${what}), more than the cap of ${cap}; ` + `split the job into smaller matrices, add exclude entries, or raise the maxCombinations cap`,
    { code: MatrixErrorCode.cap, path: 'matrix' },
  );
}
