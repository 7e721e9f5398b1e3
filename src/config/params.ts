/**
 * Typed params (docs/yaml-format.md "Params"): defaults, required, type coercion from
 * CLI strings, and a `ParamError` naming the param, the expected type and
 * the value. Values that cross Temporal stay JSON: datetimes are ISO strings
 * that keep their offset (naive = UTC), decimals are strings.
 *
 * Pure: no I/O.
 */
import type { ParamSpec } from '../engine/spec.js';
import { ParamError, type ParamProblem } from '../errors.js';

function show(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const days = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
  return d <= days;
}

/** Coerces one value to its declared type, or returns an error sentence. */
export function coerceParam(spec: Pick<ParamSpec, 'type' | 'options'>, value: unknown): { value: unknown } | { error: string } {
  const expected = (what: string) => ({ error: `expected ${what}, got ${show(value)}` });
  switch (spec.type) {
    case 'str':
      if (typeof value === 'string') return { value };
      if (typeof value === 'number' || typeof value === 'boolean') return { value: String(value) };
      return expected('a string (str)');
    case 'int': {
      const n = typeof value === 'string' && /^[+-]?\d+$/.test(value.trim()) ? Number(value) : value;
      if (typeof n === 'number' && Number.isSafeInteger(n)) return { value: n };
      return expected('an integer (int)');
    }
    case 'float': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n === 'number' && Number.isFinite(n)) return { value: n };
      return expected('a number (float)');
    }
    case 'decimal': {
      const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
      if (typeof text === 'string' && /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text.trim())) return { value: text.trim() };
      return expected('a decimal number (decimal)');
    }
    case 'bool': {
      if (typeof value === 'boolean') return { value };
      if (typeof value === 'string') {
        const v = value.trim().toLowerCase();
        if (['true', 'yes', 'y', '1', 'on'].includes(v)) return { value: true };
        if (['false', 'no', 'n', '0', 'off'].includes(v)) return { value: false };
      }
      if (value === 0 || value === 1) return { value: value === 1 };
      return expected('a boolean (bool: true/false)');
    }
    case 'date': {
      const m = typeof value === 'string' ? DATE.exec(value.trim()) : null;
      if (m && validDate(+m[1]!, +m[2]!, +m[3]!)) return { value: value as string };
      return expected('a date (date: YYYY-MM-DD)');
    }
    case 'datetime': {
      const text = value instanceof Date ? value.toISOString() : value;
      const m = typeof text === 'string' ? DATETIME.exec(text.trim()) : null;
      if (!m || !validDate(+m[1]!, +m[2]!, +m[3]!) || +m[4]! > 23 || +m[5]! > 59 || +(m[6] ?? 0) > 59) {
        return expected('a datetime (datetime: ISO 8601, e.g. 2024-01-01T09:00:00+07:00)');
      }
      const offset = m[8] ? (m[8].toUpperCase() === 'Z' ? 'Z' : m[8].includes(':') ? m[8] : `${m[8].slice(0, 3)}:${m[8].slice(3)}`) : 'Z';
      return { value: `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}${m[7] ?? ''}${offset}` };
    }
    case 'choice': {
      const options = spec.options ?? [];
      const hit = options.find((o) => o === value || (typeof value === 'string' && String(o) === value));
      if (hit !== undefined) return { value: hit };
      return { error: `expected one of ${options.map(show).join(', ')} (choice), got ${show(value)}` };
    }
    case 'map': {
      let v = value;
      if (typeof v === 'string') {
        try {
          v = JSON.parse(v);
        } catch {
          return expected('a map (map: a JSON object)');
        }
      }
      if (v && typeof v === 'object' && !Array.isArray(v)) return { value: v };
      return expected('a map (map: a JSON object)');
    }
    case 'array': {
      let v = value;
      if (typeof v === 'string') {
        try {
          v = JSON.parse(v);
        } catch {
          return expected('a list (array: a JSON array)');
        }
      }
      if (Array.isArray(v)) return { value: v };
      return expected('a list (array: a JSON array)');
    }
  }
}

/**
 * Validates and completes the params of a run: applies defaults, coerces
 * types, rejects missing and (unless allowed) undeclared params. Throws one
 * `ParamError` listing every bad param, each with the `file:line:col` of its
 * declaration.
 */
export function parameterize(specs: readonly ParamSpec[], input: Readonly<Record<string, unknown>>, options: { allowUndeclared?: boolean } = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const problems: ParamProblem[] = [];
  const declared = new Set(specs.map((s) => s.name));
  for (const key of Object.keys(input)) {
    if (!declared.has(key) && !options.allowUndeclared) {
      const names = [...declared];
      problems.push({
        paramName: key,
        validationError: `not declared by this workflow (declared: ${names.length ? names.join(', ') : 'none'}); remove it, declare it under params:, or set allow-undeclared-params: true`,
      });
    }
    if (!declared.has(key)) out[key] = input[key];
  }
  for (const spec of specs) {
    const problem = (validationError: string) => problems.push({ paramName: spec.name, validationError, location: spec.loc });
    const has = Object.prototype.hasOwnProperty.call(input, spec.name) && input[spec.name] !== undefined;
    if (!has) {
      if (spec.default !== undefined) {
        const coerced = coerceParam(spec, spec.default);
        if ('error' in coerced) problem(`default value is invalid: ${coerced.error} (${spec.loc})`);
        else out[spec.name] = coerced.value;
      } else if (spec.required) {
        problem(`required ${spec.type} param is missing; pass it with -p ${spec.name}=<value>`);
      } else {
        out[spec.name] = null;
      }
      continue;
    }
    const coerced = coerceParam(spec, input[spec.name]);
    if ('error' in coerced) problem(coerced.error);
    else out[spec.name] = coerced.value;
  }
  const first = problems[0];
  if (first) throw new ParamError(first.paramName, first.validationError, { problems });
  return out;
}
