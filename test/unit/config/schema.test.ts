/** The editor JSON Schema: generated from the zod schemas, committed, never drifting. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildJsonSchema, JSON_SCHEMA_PATH, jsonSchemaText } from '../../../src/config/json-schema.js';

const committedPath = resolve(import.meta.dirname, '../../..', JSON_SCHEMA_PATH);

type Json = Record<string, unknown>;

/** Every property schema in the JSON Schema, with its dotted location. */
function properties(schema: Json): [string, Json][] {
  const out: [string, Json][] = [];
  const walk = (node: unknown, where: string): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as Json;
    if (n.properties) for (const [k, v] of Object.entries(n.properties as Json)) (out.push([`${where}.${k}`, v as Json]), walk(v, `${where}.${k}`));
    for (const key of ['items', 'additionalProperties']) if (n[key]) walk(n[key], `${where}/${key}`);
    for (const key of ['anyOf', 'oneOf']) if (Array.isArray(n[key])) (n[key] as unknown[]).forEach((x, i) => walk(x, `${where}|${i}`));
    if (n.$defs) for (const [k, v] of Object.entries(n.$defs as Json)) walk(v, `#${k}`);
  };
  walk(schema, '');
  return out;
}

describe('JSON Schema', () => {
  it('matches the committed schema/workflow.schema.json', () => {
    const committed = readFileSync(committedPath, 'utf8');
    expect(committed === jsonSchemaText(), `${JSON_SCHEMA_PATH} is out of date with src/config/schema.ts; regenerate it with \`npm run gen:schema\``).toBe(true);
  });

  it('maps object names to a Workflow, a reusable Job or a reusable Stage', () => {
    const schema = buildJsonSchema() as Json;
    expect(schema.type).toBe('object');
    const refs = ((schema.additionalProperties as Json).oneOf as Json[]).map((o) => o.$ref);
    expect(refs).toEqual(['#/$defs/Workflow', '#/$defs/JobTemplate', '#/$defs/StageTemplate']);
  });

  it('describes every property, and every object is closed', () => {
    const props = properties(buildJsonSchema());
    expect(props.length).toBeGreaterThan(100);
    expect(props.filter(([, p]) => typeof p.description !== 'string' || p.description === '').map(([w]) => w)).toEqual([]);
    const open: string[] = [];
    const walk = (node: unknown, where: string): void => {
      if (!node || typeof node !== 'object') return;
      const n = node as Json;
      if (n.type === 'object' && n.properties && n.additionalProperties === undefined) open.push(where);
      for (const [k, v] of Object.entries(n)) walk(v, `${where}/${k}`);
    };
    walk(buildJsonSchema(), '');
    expect(open).toEqual([]);
  });

  it('offers every stage action, the templated numbers and the on forms', () => {
    const defs = (buildJsonSchema() as Json).$defs as Record<string, Json>;
    const stage = defs.Stage!.properties as Record<string, Json>;
    for (const key of ['echo', 'bash', 'run', 'uses', 'trigger', 'parallel', 'foreach', 'until', 'case', 'raise', 'approval', 'extends']) expect(stage).toHaveProperty(key);
    expect(JSON.stringify(stage.retry)).toContain('maximum-attempts');
    expect(JSON.stringify(stage['continue-on-error'])).toContain('\\\\$\\\\{\\\\{');
    const wf = defs.Workflow!.properties as Record<string, Json>;
    expect(JSON.stringify(wf.on)).toContain('cronjob');
    expect(JSON.stringify(wf.on)).toContain('buffer-one');
  });
});
