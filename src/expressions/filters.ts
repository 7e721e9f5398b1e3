/**
 * Filters (ddeutil style): `${{ value | name(args) | other }}`, applied left
 * to right after the whole expression. Built-ins and a registry for filters
 * written in TypeScript.
 *
 * Pure module: safe to import from workflow code.
 */
import { parseIsoDateTime, partsOfDate, strftime } from './datetime.js';
import { ExpressionError, ExpressionErrorCode } from './errors.js';
import { describeKind, isPlainObject, lookup, normalize, preview, starValues, toDisplayString } from './values.js';

/** A filter implementation: receives the value on the left of `|` and the filter's arguments. */
export type FilterFunction = (value: unknown, ...args: unknown[]) => unknown;

/** Arity and metadata given when registering a filter. */
export interface FilterOptions {
  /** Fewest arguments accepted (default 0). */
  readonly minArgs?: number;
  /** Most arguments accepted (default `Infinity`). */
  readonly maxArgs?: number;
  /** Replace an existing filter of the same name instead of failing. */
  readonly override?: boolean;
  /** One-line description for docs and editors. */
  readonly description?: string;
}

/** A registered filter. */
export interface FilterDefinition {
  /** The name as registered (lookups are case-insensitive). */
  readonly name: string;
  readonly fn: FilterFunction;
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly description: string;
}

const FILTER_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * A set of filters by case-insensitive name. `new FilterRegistry()` starts
 * with the built-ins; `new FilterRegistry({ builtins: false })` starts empty.
 * The shared {@link defaultFilters} is sealed: copy it with {@link FilterRegistry.clone}
 * to add filters.
 */
export class FilterRegistry {
  private readonly filters = new Map<string, FilterDefinition>();
  private sealed = false;

  constructor(options: { builtins?: boolean } = {}) {
    if (options.builtins ?? true) {
      for (const builtin of BUILTIN_FILTERS) this.filters.set(builtin.name.toLowerCase(), builtin);
    }
  }

  /**
   * Add a filter. Returns the registry for chaining.
   * @throws {TypeError} on an invalid name, function or arity, when the name is taken (without `override`), or on a sealed registry.
   */
  registerFilter(name: string, fn: FilterFunction, options: FilterOptions = {}): this {
    if (this.sealed) throw new TypeError(`cannot register filter '${name}': this registry is sealed; use registry.clone()`);
    if (typeof name !== 'string' || !FILTER_NAME.test(name)) {
      throw new TypeError(`invalid filter name '${String(name)}': use letters, digits, '_' and '-', starting with a letter or '_'`);
    }
    if (typeof fn !== 'function') throw new TypeError(`filter '${name}' must be a function`);
    const minArgs = options.minArgs ?? 0;
    const maxArgs = options.maxArgs ?? Number.POSITIVE_INFINITY;
    if (!Number.isInteger(minArgs) || minArgs < 0 || !(maxArgs === Number.POSITIVE_INFINITY || Number.isInteger(maxArgs)) || maxArgs < minArgs) {
      throw new TypeError(`filter '${name}': minArgs must be an integer >= 0 and maxArgs an integer >= minArgs (or Infinity)`);
    }
    const key = name.toLowerCase();
    if (this.filters.has(key) && options.override !== true) {
      throw new TypeError(`filter '${name}' is already registered; pass { override: true } to replace it`);
    }
    this.filters.set(key, { name, fn, minArgs, maxArgs, description: options.description ?? '' });
    return this;
  }

  /** The filter called `name` (case-insensitive), if any. */
  get(name: string): FilterDefinition | undefined {
    return this.filters.get(name.toLowerCase());
  }

  /** Whether a filter called `name` exists. */
  has(name: string): boolean {
    return this.filters.has(name.toLowerCase());
  }

  /** Registered names, in registration order. */
  names(): string[] {
    return [...this.filters.values()].map((filter) => filter.name);
  }

  /** An unsealed copy with the same filters. */
  clone(): FilterRegistry {
    const copy = new FilterRegistry({ builtins: false });
    for (const [key, filter] of this.filters) copy.filters.set(key, filter);
    return copy;
  }

  /** Forbid further registrations. Returns the registry. */
  seal(): this {
    this.sealed = true;
    return this;
  }

  /** Whether {@link seal} was called. */
  get isSealed(): boolean {
    return this.sealed;
  }
}

function typeError(filter: string, reason: string, hint: string): ExpressionError {
  return new ExpressionError(ExpressionErrorCode.type, `filter '${filter}' ${reason}`, { hint });
}

/** A number from a number, a boolean or a numeric string; `NaN` otherwise. */
function numeric(value: unknown): number {
  const v = normalize(value);
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return Number.NaN;
}

function fmt(value: unknown, format: unknown = '%Y-%m-%d %H:%M:%S'): string {
  const parts = value instanceof Date ? partsOfDate(value) : typeof value === 'string' ? parseIsoDateTime(value) : undefined;
  if (parts === undefined) {
    throw typeError(
      'fmt',
      `expects an ISO-8601 datetime (or a Date), got ${value instanceof Date ? 'an invalid Date' : `${describeKind(value)} ${preview(value)}`}`,
      "pass a value like '2024-01-01' or '2024-01-01T09:00:00+07:00'",
    );
  }
  if (typeof format !== 'string') {
    throw typeError('fmt', `expects a format string, got ${describeKind(format)}`, "write e.g. fmt('%Y-%m-%d')");
  }
  return strftime(parts, format);
}

function isCased(c: string): boolean {
  return c.toLowerCase() !== c.toUpperCase();
}

/** Python's `str.title()`: upper-case the first cased character of each run of cased characters, lower-case the rest. */
function title(value: unknown): string {
  const text = toDisplayString(value);
  let out = '';
  let previousCased = false;
  for (const c of text) {
    const cased = isCased(c);
    out += cased ? (previousCased ? c.toLowerCase() : c.toUpperCase()) : c;
    previousCased = cased;
  }
  return out;
}

function toInt(value: unknown): number {
  const n = numeric(value);
  if (!Number.isFinite(n)) {
    throw typeError('int', `cannot convert ${describeKind(value)} ${preview(value)} to an integer`, 'pass a number or a numeric string');
  }
  const result = Math.trunc(n);
  return result === 0 ? 0 : result;
}

function abs(value: unknown): number {
  const n = numeric(value);
  if (Number.isNaN(n)) {
    throw typeError('abs', `expects a number, got ${describeKind(value)} ${preview(value)}`, 'pass a number or a numeric string');
  }
  return Math.abs(n);
}

function keys(value: unknown): string[] {
  if (!isPlainObject(value)) {
    throw typeError('keys', `expects an object, got ${describeKind(value)}`, 'apply it to a map such as params or matrix');
  }
  return Object.keys(value).filter((key) => lookup(value, key).found);
}

function values(value: unknown): unknown[] {
  if (!isPlainObject(value)) {
    throw typeError('values', `expects an object, got ${describeKind(value)}`, 'apply it to a map such as params or matrix');
  }
  return starValues(value);
}

function getitem(value: unknown, key: unknown, fallback: unknown = null): unknown {
  if (!isPlainObject(value) && !Array.isArray(value)) {
    throw typeError('getitem', `expects an object or an array, got ${describeKind(value)}`, 'apply it to a map or a list');
  }
  const entry = lookup(value, key);
  return entry.found ? entry.value : fallback;
}

function getindex(value: unknown, index: unknown): unknown {
  if (!Array.isArray(value)) {
    throw typeError('getindex', `expects an array, got ${describeKind(value)}`, 'apply it to a list');
  }
  const i = numeric(index);
  if (!Number.isInteger(i)) {
    throw typeError('getindex', `expects an integer index, got ${describeKind(index)} ${preview(index)}`, 'pass e.g. getindex(0) or getindex(-1)');
  }
  const position = i < 0 ? value.length + i : i;
  const entry = lookup(value, position);
  if (position < 0 || !entry.found) {
    throw new ExpressionError(ExpressionErrorCode.eval, `filter 'getindex': index ${i} is out of range for an array of ${value.length} element${value.length === 1 ? '' : 's'}`, {
      hint: `use an index from ${-value.length} to ${value.length - 1}`,
    });
  }
  return entry.value;
}

function builtin(name: string, fn: FilterFunction, minArgs: number, maxArgs: number, description: string): FilterDefinition {
  return Object.freeze({ name, fn, minArgs, maxArgs, description });
}

/** The built-in filters. */
const BUILTIN_FILTERS: readonly FilterDefinition[] = Object.freeze([
  builtin('fmt', fmt, 0, 1, "fmt(format = '%Y-%m-%d %H:%M:%S'): strftime of an ISO-8601 datetime in its own offset"),
  builtin('upper', (v) => toDisplayString(v).toUpperCase(), 0, 0, 'upper-case string'),
  builtin('lower', (v) => toDisplayString(v).toLowerCase(), 0, 0, 'lower-case string'),
  builtin('title', title, 0, 0, 'title-case string (Python str.title)'),
  builtin('abs', abs, 0, 0, 'absolute value of a number or numeric string'),
  builtin('str', (v) => toDisplayString(v), 0, 0, 'the value as a string (objects as compact JSON)'),
  builtin('int', toInt, 0, 0, "integer part of a number or numeric string ('3.9' → 3)"),
  builtin('keys', keys, 0, 0, 'keys of an object'),
  builtin('values', values, 0, 0, 'values of an object'),
  builtin('coalesce', (v, fallback) => (v === null || v === undefined ? (fallback ?? null) : v), 1, 1, 'coalesce(x): x when the value is null'),
  builtin('getitem', getitem, 1, 2, 'getitem(key, default = null): a key of an object or an index of an array'),
  builtin('getindex', getindex, 1, 1, 'getindex(i): an array element (negative counts from the end)'),
]);

const BUILTIN_SET: WeakSet<FilterDefinition> = new WeakSet(BUILTIN_FILTERS);

/** Whether `filter` is one of the built-ins (whose foreign errors are tempoflow bugs). @internal */
export function isBuiltinFilter(filter: FilterDefinition): boolean {
  return BUILTIN_SET.has(filter);
}

/** Names of the built-in filters. */
export const BUILTIN_FILTER_NAMES: readonly string[] = Object.freeze(BUILTIN_FILTERS.map((filter) => filter.name));

/** The shared, sealed registry of built-in filters (the default everywhere). */
export const defaultFilters: FilterRegistry = new FilterRegistry().seal();
