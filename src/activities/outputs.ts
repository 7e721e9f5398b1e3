/**
 * Stage outputs as they leave a worker: JSON values only, and at most
 * {@link OUTPUT_CAP_BYTES} of JSON per stage (ARCHITECTURE.md "Scale: keeping every history small"), the largest
 * values replaced by a `{ "__truncated": true, "bytes": N }` marker.
 *
 * The Python runner (`python.ts`) applies the same rule on its side, so a
 * huge Python value never crosses the process boundary; this module is the
 * authority for `uses` tasks and the final check for both.
 */

/** Largest JSON text of one stage's outputs, in UTF-8 bytes. */
export const OUTPUT_CAP_BYTES = 64 * 1024;

/** What replaces an output value that did not fit. */
export interface TruncatedMarker {
  readonly __truncated: true;
  /** UTF-8 bytes of the value's JSON. */
  readonly bytes: number;
}

/** Outputs after the cap, and what was cut (for a warning line in the trace). */
export interface CappedOutputs {
  readonly outputs: Record<string, unknown>;
  /** Names whose values became a {@link TruncatedMarker}. */
  readonly truncated: readonly string[];
  /** Names dropped because even markers did not fit. */
  readonly dropped: readonly string[];
  /** UTF-8 bytes of the outputs' JSON before the cap. */
  readonly bytesBefore: number;
}

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

/**
 * Applies the output cap. Values are replaced largest first until the JSON
 * of the whole object fits in `maxBytes`; a value is only replaced when its
 * marker is smaller. If the markers alone still do not fit (thousands of
 * small names), the last names in insertion order are dropped.
 */
export function capOutputs(outputs: Record<string, unknown>, maxBytes = OUTPUT_CAP_BYTES): CappedOutputs {
  const entries = Object.entries(outputs).map(([name, value]) => ({ name, value, keyBytes: jsonBytes(name) + 1, bytes: jsonBytes(value) }));
  // `{` + `"k":v` joined by `,` + `}`
  const entryBytes = (e: { keyBytes: number; bytes: number }): number => e.keyBytes + e.bytes;
  let total = 2 + entries.reduce((sum, e) => sum + entryBytes(e), 0) + Math.max(0, entries.length - 1);
  const bytesBefore = total;
  const truncated: string[] = [];
  const dropped: string[] = [];
  if (total <= maxBytes) return { outputs, truncated, dropped, bytesBefore };

  for (const entry of [...entries].sort((a, b) => b.bytes - a.bytes)) {
    if (total <= maxBytes) break;
    const marker: TruncatedMarker = { __truncated: true, bytes: entry.bytes };
    const markerBytes = jsonBytes(marker);
    if (markerBytes >= entry.bytes) break; // sorted: no later value gains anything either
    total -= entry.bytes - markerBytes;
    entry.value = marker;
    entry.bytes = markerBytes;
    truncated.push(entry.name);
  }
  while (total > maxBytes && entries.length > 0) {
    const last = entries.pop()!;
    total -= entryBytes(last) + (entries.length > 0 ? 1 : 0);
    dropped.push(last.name);
  }
  const capped: Record<string, unknown> = {};
  for (const e of entries) capped[e.name] = e.value;
  return { outputs: capped, truncated, dropped, bytesBefore };
}

/** A one-line description of a cap that cut something, or `undefined` when nothing was cut. */
export function capWarning(capped: CappedOutputs, maxBytes = OUTPUT_CAP_BYTES): string | undefined {
  if (capped.truncated.length === 0 && capped.dropped.length === 0) return undefined;
  const parts: string[] = [];
  if (capped.truncated.length > 0) parts.push(`replaced by {"__truncated": true, "bytes": N}: ${capped.truncated.join(', ')}`);
  if (capped.dropped.length > 0) parts.push(`dropped: ${capped.dropped.join(', ')}`);
  return `outputs were ${capped.bytesBefore} bytes of JSON, over the ${maxBytes}-byte cap; ${parts.join('; ')}`;
}

/** The JSON value of `value`, or why it has none. */
export type JsonConversion = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string };

const MAX_DEPTH = 500;

/**
 * Converts `value` to plain JSON data, as `JSON.stringify` would (`toJSON`
 * is honoured, `undefined` properties are omitted, `undefined` in arrays
 * becomes `null`), except that it refuses what `JSON.stringify` would lose
 * or reject silently: functions, symbols, bigints, non-finite numbers,
 * cycles, and objects that are neither plain objects nor arrays (`Map`,
 * `Set`, class instances). The error names the path, e.g. `outputs.rows[2].at`.
 */
export function toJsonValue(value: unknown, path = 'outputs'): JsonConversion {
  const stack = new Set<object>();
  const fail = (at: string, what: string): JsonConversion => ({ ok: false, error: `${at} ${what}, which is not JSON-serialisable` });

  const visit = (v: unknown, at: string, key: string, depth: number): JsonConversion => {
    if (depth > MAX_DEPTH) return { ok: false, error: `${at} is nested more than ${MAX_DEPTH} levels deep` };
    if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      try {
        v = (v as { toJSON: (k: string) => unknown }).toJSON(key);
      } catch (err) {
        return { ok: false, error: `${at}.toJSON() threw: ${err instanceof Error ? err.message : String(err)}` };
      }
    }
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return { ok: true, value: v };
      case 'number':
        return Number.isFinite(v) ? { ok: true, value: v } : fail(at, `is ${v}`);
      case 'undefined':
        return { ok: true, value: undefined };
      case 'bigint':
        return fail(at, 'is a bigint');
      case 'symbol':
        return fail(at, 'is a symbol');
      case 'function':
        return fail(at, 'is a function');
      default:
        break;
    }
    if (v === null) return { ok: true, value: null };
    const obj = v as object;
    if (stack.has(obj)) return { ok: false, error: `${at} refers back to one of its parents (a cycle), which is not JSON-serialisable` };
    stack.add(obj);
    try {
      if (Array.isArray(obj)) {
        const out: unknown[] = [];
        for (let i = 0; i < obj.length; i++) {
          const r = visit(obj[i], `${at}[${i}]`, String(i), depth + 1);
          if (!r.ok) return r;
          out.push(r.value === undefined ? null : r.value);
        }
        return { ok: true, value: out };
      }
      const proto = Object.getPrototypeOf(obj) as object | null;
      if (proto !== Object.prototype && proto !== null) {
        const kind = (obj as { constructor?: { name?: string } }).constructor?.name || 'object';
        return fail(at, `is a ${kind} (use a plain object or an array)`);
      }
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(obj)) {
        const r = visit(item, /^[A-Za-z_$][\w$]*$/.test(k) ? `${at}.${k}` : `${at}[${JSON.stringify(k)}]`, k, depth + 1);
        if (!r.ok) return r;
        if (r.value !== undefined) out[k] = r.value;
      }
      return { ok: true, value: out };
    } finally {
      stack.delete(obj);
    }
  };
  return visit(value, path, '', 0);
}
