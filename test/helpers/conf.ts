/** Temporary conf trees for tests (no Temporal needed). */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Writes YAML files into a fresh conf directory and returns its path. */
export function writeConf(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tf-conf-'));
  for (const [name, text] of Object.entries(files)) {
    const file = join(dir, name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return dir;
}
