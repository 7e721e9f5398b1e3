/**
 * Writes the editor JSON Schema generated from the zod schemas:
 * `npm run gen:schema` (or `npx tsx scripts/gen-schema.ts`). A unit test
 * fails when the committed file drifts from the schemas.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { JSON_SCHEMA_PATH, jsonSchemaText } from '../src/config/json-schema.js';

const target = resolve(process.argv[2] ?? JSON_SCHEMA_PATH);
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, jsonSchemaText());
process.stdout.write(`wrote ${target}\n`);
