/** The route table of docs/api.md is the one the server's OpenAPI document gives. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiReferenceMarkdown, withReference } from '../../../src/server/api-reference.js';

describe('docs/api.md route table', () => {
  it('lists every route the server serves (regenerate: npx tsx scripts/gen-api-reference.ts)', () => {
    const table = apiReferenceMarkdown();
    expect(table).toContain('| `POST /api/hooks/{name}` |');
    expect(table).toMatch(/\| `POST \/api\/workflows\/\{name\}\/runs` \| .* \| 201, 400, 404 \| token \|/);
    const text = readFileSync(resolve(import.meta.dirname, '../../../docs/api.md'), 'utf8');
    expect(withReference(text, table)).toBe(text);
  });
});
