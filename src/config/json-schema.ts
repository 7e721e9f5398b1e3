/**
 * The editor JSON Schema of conf files, generated from the zod schemas
 * (`schema/workflow.schema.json`, regenerated with `npm run gen:schema`).
 *
 * Pure module: no I/O.
 */
import { z } from 'zod';
import { ConfFile } from './schema.js';

/** Where the committed schema lives, relative to the repository root. */
export const JSON_SCHEMA_PATH = 'schema/workflow.schema.json';

/** The JSON Schema (draft 2020-12) of a conf file: object names → Workflow | Job | Stage. */
export function buildJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ConfFile, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    title: 'tempoflow conf file',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  };
}

/** The schema as committed: pretty JSON with a trailing newline. */
export function jsonSchemaText(): string {
  return `${JSON.stringify(buildJsonSchema(), null, 2)}\n`;
}
