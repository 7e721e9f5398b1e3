/**
 * Stage error names have one home (`src/engine/stage-errors.ts`): the docs
 * list every one, and workflow code and activities never spell one as a
 * string of their own.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STAGE_ERROR_NAMES, StageErrorName } from '../../../src/engine/stage-errors.js';
import { isFailure, Status } from '../../../src/engine/status.js';
import * as api from '../../../src/index.js';

const ROOT = join(import.meta.dirname, '../../..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(ROOT, dir, f));
}

describe('StageErrorName', () => {
  it('is documented, name by name, in docs/semantics.md', () => {
    const docs = readFileSync(join(ROOT, 'docs/semantics.md'), 'utf8');
    const table = docs.slice(docs.indexOf('### Stage error names'));
    for (const name of STAGE_ERROR_NAMES) expect(table, name).toContain(`\`${name}\``);
  });

  it('is the only spelling of those names in workflow code and activities', () => {
    const quoted = new RegExp(`['"\`](${STAGE_ERROR_NAMES.join('|')})['"\`]`);
    const offenders = [...sources('src/workflows'), ...sources('src/activities')].flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, i) => ({ where: `${file.slice(ROOT.length + 1)}:${i + 1}`, line }))
        .filter(({ line }) => quoted.test(line) && !line.trim().startsWith('*') && !line.trim().startsWith('//')),
    );
    expect(offenders).toEqual([]);
  });

  it('is exported by the package, keys equal to values', () => {
    expect(api.StageErrorName).toBe(StageErrorName);
    for (const [key, value] of Object.entries(StageErrorName)) expect(key).toBe(value);
  });
});

describe('isFailure', () => {
  it('is FAILED or TIMEOUT', () => {
    expect(Object.values(Status).filter(isFailure)).toEqual([Status.FAILED, Status.TIMEOUT]);
    expect(isFailure(undefined)).toBe(false);
  });
});
