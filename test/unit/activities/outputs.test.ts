import { describe, expect, it } from 'vitest';
import { capOutputs, capWarning, toJsonValue } from '../../../src/activities/outputs.js';

const size = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

describe('capOutputs', () => {
  it('leaves outputs under the cap untouched', () => {
    const outputs = { a: 'x'.repeat(100), b: [1, 2] };
    const capped = capOutputs(outputs, 1000);
    expect(capped.outputs).toBe(outputs);
    expect(capWarning(capped, 1000)).toBeUndefined();
    expect(capped.bytesBefore).toBe(size(outputs));
  });

  it('replaces the largest values first, only as many as needed', () => {
    const outputs = { small: 'x'.repeat(100), big: 'y'.repeat(2000), mid: 'z'.repeat(900) };
    const capped = capOutputs(outputs, 1200);
    expect(capped.outputs).toEqual({ small: outputs.small, big: { __truncated: true, bytes: 2002 }, mid: outputs.mid });
    expect(size(capped.outputs)).toBeLessThanOrEqual(1200);
    expect(capped.truncated).toEqual(['big']);
    expect(capWarning(capped, 1200)).toBe(`outputs were ${size(outputs)} bytes of JSON, over the 1200-byte cap; replaced by {"__truncated": true, "bytes": N}: big`);
  });

  it('drops trailing names when even markers do not fit', () => {
    const outputs: Record<string, number> = {};
    for (let i = 0; i < 200; i++) outputs[`name_${i}`] = i;
    const capped = capOutputs(outputs, 500);
    expect(size(capped.outputs)).toBeLessThanOrEqual(500);
    expect(capped.truncated).toEqual([]);
    expect(capped.dropped.length).toBeGreaterThan(100);
    expect(capped.dropped[0]).toBe('name_199');
    expect(Object.keys(capped.outputs)[0]).toBe('name_0');
    // Exactly as many as needed: one more name would not fit.
    const kept = Object.keys(capped.outputs).length;
    expect(size({ ...capped.outputs, [`name_${kept}`]: kept })).toBeGreaterThan(500);
  });

  it('counts UTF-8 bytes, not characters', () => {
    const capped = capOutputs({ s: '\u00e9'.repeat(600) }, 1000); // 1200 bytes
    expect(capped.outputs.s).toEqual({ __truncated: true, bytes: 1202 });
  });
});

describe('toJsonValue', () => {
  it('keeps JSON data and applies toJSON', () => {
    expect(toJsonValue({ a: [1, 'b', null, true, { c: 1.5 }], d: new Date(0) })).toEqual({
      ok: true,
      value: { a: [1, 'b', null, true, { c: 1.5 }], d: '1970-01-01T00:00:00.000Z' },
    });
  });

  it('accepts a shared (non-cyclic) reference twice', () => {
    const shared = { x: 1 };
    expect(toJsonValue({ a: shared, b: [shared] })).toEqual({ ok: true, value: { a: { x: 1 }, b: [{ x: 1 }] } });
  });

  it('names the path of what is not JSON', () => {
    expect(toJsonValue({ 'odd key': { s: new Set([1]) } })).toEqual({ ok: false, error: 'outputs["odd key"].s is a Set (use a plain object or an array), which is not JSON-serialisable' });
    expect(toJsonValue({ x: Infinity })).toEqual({ ok: false, error: 'outputs.x is Infinity, which is not JSON-serialisable' });
    expect(toJsonValue({ x: Symbol('s') })).toMatchObject({ ok: false, error: expect.stringContaining('outputs.x is a symbol') });
  });

  it('bounds nesting', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 600; i++) deep = [deep];
    expect(toJsonValue(deep)).toMatchObject({ ok: false, error: expect.stringContaining('nested more than 500 levels') });
  });
});
