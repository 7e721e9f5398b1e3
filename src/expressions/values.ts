/**
 * Value model of the expression language: safe property access, GitHub-style
 * coercions (truthiness, loose equality, ordering), display strings and a
 * JSON serialiser that never throws anything but {@link ExpressionError}.
 *
 * Pure module: safe to import from workflow code.
 */
import { ExpressionError, ExpressionErrorCode } from './errors.js';
import { DEFAULT_LIMITS } from './limits.js';

/** A plain object: prototype is `null` or some realm's `Object.prototype`. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** The ISO-8601 form of a valid `Date`, or `null` for an invalid one. */
export function isoOfDate(date: Date): string | null {
  const time = date.getTime();
  return Number.isFinite(time) ? date.toISOString() : null;
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Result of reading one own property: `found` is false when the key is absent
 * (filtered arrays drop such items, plain access reads `null`).
 */
export interface Lookup {
  readonly found: boolean;
  readonly value: unknown;
}

const MISSING: Lookup = Object.freeze({ found: false, value: null });

function dataValue(target: object, key: string): Lookup {
  const descriptor = Object.getOwnPropertyDescriptor(target, key);
  if (descriptor === undefined || !('value' in descriptor)) return MISSING;
  return { found: true, value: descriptor.value === undefined ? null : descriptor.value };
}

/**
 * Read `key` from `target` the way GitHub does, but only ever from own data
 * properties of plain objects and arrays (never the prototype chain, never a
 * getter): objects take string or number keys, matched exactly first and then
 * case-insensitively; arrays take non-negative integer indices (fractions are
 * floored). Anything else is not found.
 */
export function lookup(target: unknown, key: unknown): Lookup {
  if (Array.isArray(target)) {
    if (typeof key !== 'number' || !Number.isFinite(key) || key < 0) return MISSING;
    const index = Math.floor(key);
    if (index >= target.length) return MISSING;
    return dataValue(target, String(index));
  }
  if (!isPlainObject(target)) return MISSING;
  let name: string;
  if (typeof key === 'string') name = key;
  else if (typeof key === 'number') name = numberToString(key);
  else return MISSING;
  if (hasOwn.call(target, name)) return dataValue(target, name);
  const folded = name.toLowerCase();
  for (const candidate of Object.keys(target)) {
    if (candidate.toLowerCase() === folded) return dataValue(target, candidate);
  }
  return MISSING;
}

/** Own enumerable data values of an object or the elements of an array; `[]` for anything else (the `*` filter). */
export function starValues(target: unknown): unknown[] {
  if (Array.isArray(target)) {
    const out: unknown[] = [];
    for (let i = 0; i < target.length; i++) out.push(dataValue(target, String(i)).value);
    return out;
  }
  if (!isPlainObject(target)) return [];
  const out: unknown[] = [];
  for (const key of Object.keys(target)) {
    const entry = dataValue(target, key);
    if (entry.found) out.push(entry.value);
  }
  return out;
}

/** The kinds the coercion rules distinguish. A valid `Date` is a string (its ISO form). */
export type ValueKind = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';

/** Normalise a JS value into the language's kinds: `undefined` → null, valid `Date` → ISO string, bigint → number. */
export function normalize(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return isoOfDate(value);
  if (typeof value === 'bigint') return Number(value);
  return value;
}

/** The kind of a normalised value (functions and symbols count as objects). */
export function kindOf(value: unknown): ValueKind {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    default:
      return Array.isArray(value) ? 'array' : 'object';
  }
}

/** GitHub truthiness: `false`, `0`, `-0`, `''`, `null` and `NaN` are falsy; everything else is truthy. */
export function truthy(value: unknown): boolean {
  const v = normalize(value);
  switch (kindOf(v)) {
    case 'null':
      return false;
    case 'boolean':
      return v === true;
    case 'number':
      return v !== 0 && !Number.isNaN(v);
    case 'string':
      return (v as string).length > 0;
    default:
      return true;
  }
}

/** Number coercion: null → 0, booleans → 1/0, strings via `Number()` (`''` → 0, non-numeric → NaN), objects → NaN. */
export function toNumber(value: unknown): number {
  const v = normalize(value);
  switch (kindOf(v)) {
    case 'null':
      return 0;
    case 'boolean':
      return v === true ? 1 : 0;
    case 'number':
      return v as number;
    case 'string':
      return Number(v as string);
    default:
      return Number.NaN;
  }
}

/** `String(n)` except `-0` → `'0'` (as `String` already does) and no locale formatting. */
export function numberToString(value: number): string {
  return String(value);
}

/** Upper-case for case-insensitive comparison, keeping the dotless `ı` as is (as GitHub does). */
export function foldCase(value: string): string {
  if (!value.includes('ı')) return value.toUpperCase();
  return value
    .split('ı')
    .map((part) => part.toUpperCase())
    .join('ı');
}

/** Coerce two normalised values for comparison, per GitHub: number/string pairs and null/boolean operands become numbers. */
function coerce(left: unknown, right: unknown): [unknown, unknown] {
  let l = normalize(left);
  let r = normalize(right);
  const lk = kindOf(l);
  const rk = kindOf(r);
  if (lk === rk) return [l, r];
  if (lk === 'null' || lk === 'boolean') {
    l = toNumber(l);
    return coerce(l, r);
  }
  if (rk === 'null' || rk === 'boolean') {
    r = toNumber(r);
    return coerce(l, r);
  }
  if (lk === 'number' && rk === 'string') return [l, toNumber(r)];
  if (lk === 'string' && rk === 'number') return [toNumber(l), r];
  return [l, r];
}

/**
 * GitHub loose equality: operands of different kinds are coerced to numbers
 * (null → 0, booleans → 1/0, strings via `Number`), strings compare
 * case-insensitively, `NaN` equals nothing, objects and arrays only
 * themselves.
 */
export function looseEquals(left: unknown, right: unknown): boolean {
  const [l, r] = coerce(left, right);
  const lk = kindOf(l);
  if (lk !== kindOf(r)) return false;
  switch (lk) {
    case 'null':
      return true;
    case 'number':
      return !Number.isNaN(l) && !Number.isNaN(r) && l === r;
    case 'string':
      return foldCase(l as string) === foldCase(r as string);
    case 'boolean':
      return l === r;
    default:
      return l === r;
  }
}

/** GitHub ordering: `<` after the same coercions as {@link looseEquals}; strings compare case-insensitively. */
export function lessThan(left: unknown, right: unknown): boolean {
  const [l, r] = coerce(left, right);
  const lk = kindOf(l);
  if (lk !== kindOf(r)) return false;
  switch (lk) {
    case 'number':
      return (l as number) < (r as number);
    case 'string':
      return foldCase(l as string) < foldCase(r as string);
    case 'boolean':
      return l === false && r === true;
    default:
      return false;
  }
}

/** GitHub ordering: `>` (see {@link lessThan}). */
export function greaterThan(left: unknown, right: unknown): boolean {
  return lessThan(right, left);
}

/**
 * The string form of a value, used by mixed-text templates and by functions
 * that take strings: `null` → `''`, booleans → `true`/`false`, numbers →
 * `String(n)`, `Date` → ISO 8601, objects and arrays → compact JSON.
 */
export function toDisplayString(value: unknown, maxDepth = DEFAULT_LIMITS.maxValueDepth): string {
  const v = normalize(value);
  switch (kindOf(v)) {
    case 'null':
      return '';
    case 'boolean':
      return v === true ? 'true' : 'false';
    case 'number':
      return numberToString(v as number);
    case 'string':
      return v as string;
    default:
      return toJson(v, 0, maxDepth);
  }
}

/**
 * JSON text of `value` with `indent` spaces (0 = compact), like
 * `JSON.stringify` but safe: no `toJSON` calls or getters, non-finite numbers
 * → `null`, bigint → its digits, `Date` → ISO string, functions and symbols
 * dropped (or `null` in arrays). Cycles and nesting deeper than `maxDepth`
 * throw an {@link ExpressionError}.
 */
export function toJson(value: unknown, indent = 0, maxDepth = DEFAULT_LIMITS.maxValueDepth): string {
  const ancestors = new Set<object>();
  const pad = (level: number): string => (indent > 0 ? '\n' + ' '.repeat(indent * level) : '');
  const colon = indent > 0 ? ': ' : ':';

  const write = (v: unknown, level: number): string | undefined => {
    if (v === null) return 'null';
    switch (typeof v) {
      case 'undefined':
      case 'function':
      case 'symbol':
        return undefined;
      case 'boolean':
        return v ? 'true' : 'false';
      case 'number':
        return Number.isFinite(v) ? numberToString(v) : 'null';
      case 'bigint':
        return v.toString();
      case 'string':
        return JSON.stringify(v);
      default:
        break;
    }
    const obj = v as object;
    if (obj instanceof Date) {
      const iso = isoOfDate(obj);
      return iso === null ? 'null' : JSON.stringify(iso);
    }
    if (level >= maxDepth) {
      throw new ExpressionError(ExpressionErrorCode.cap, `value is nested deeper than ${maxDepth} levels and cannot be converted to JSON`);
    }
    if (ancestors.has(obj)) {
      throw new ExpressionError(ExpressionErrorCode.type, 'value contains a circular reference and cannot be converted to JSON');
    }
    ancestors.add(obj);
    try {
      if (Array.isArray(obj)) {
        if (obj.length === 0) return '[]';
        const items: string[] = [];
        for (let i = 0; i < obj.length; i++) {
          items.push(write(dataValue(obj, String(i)).value, level + 1) ?? 'null');
        }
        return `[${items.map((item) => pad(level + 1) + item).join(',')}${pad(level)}]`;
      }
      const entries: string[] = [];
      for (const key of Object.keys(obj)) {
        const descriptor = Object.getOwnPropertyDescriptor(obj, key);
        if (descriptor === undefined || !('value' in descriptor)) continue;
        const text = write(descriptor.value, level + 1);
        if (text !== undefined) entries.push(`${pad(level + 1)}${JSON.stringify(key)}${colon}${text}`);
      }
      if (entries.length === 0) return '{}';
      return `{${entries.join(',')}${pad(level)}}`;
    } finally {
      ancestors.delete(obj);
    }
  };

  return write(value, 0) ?? 'null';
}

/** Short, single-line preview of a value for error messages (at most ~40 characters). */
export function preview(value: unknown): string {
  let text: string;
  try {
    const v = normalize(value);
    text = typeof v === 'string' ? `'${v}'` : toJson(v, 0, 8);
  } catch {
    text = Array.isArray(value) ? 'an array' : 'an object';
  }
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** A short name of a value's kind for error messages (`a string`, `an object`, ...). */
export function describeKind(value: unknown): string {
  if (value instanceof Date) return 'a datetime';
  switch (kindOf(normalize(value))) {
    case 'null':
      return 'null';
    case 'boolean':
      return 'a boolean';
    case 'number':
      return 'a number';
    case 'string':
      return 'a string';
    case 'array':
      return 'an array';
    default:
      return 'an object';
  }
}
