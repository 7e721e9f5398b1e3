/**
 * Rewrites the HTTP route table of docs/api.md from the server's OpenAPI
 * document: `npx tsx scripts/gen-api-reference.ts`. A unit test fails when
 * the committed table drifts from the routes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { apiReferenceMarkdown, withReference } from '../src/server/api-reference.js';

const target = resolve(import.meta.dirname, '../docs/api.md');
writeFileSync(target, withReference(readFileSync(target, 'utf8'), apiReferenceMarkdown()));
process.stdout.write(`wrote the route table of ${target}\n`);
