/**
 * The file audit store: `<root>/workflow=<name>/release=<YYYYmmddHHMMSS>/<run>.json`.
 *
 * A record is written to a temporary file in the same folder, flushed, then
 * hard-linked to its final name: `link` fails when the name exists, so two
 * writers (a retried activity after a crash, two workers) never both write,
 * and a reader never sees half a record. Where hard links are refused
 * (some network file systems), it falls back to an existence check and
 * `rename`.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pathSegment, type AuditRecord, type AuditStore } from './store.js';

export class FileAuditStore implements AuditStore {
  constructor(readonly location: string) {}

  private releaseDir(workflow: string, releaseKey: string): string {
    return join(this.location, `workflow=${pathSegment(workflow)}`, `release=${releaseKey}`);
  }

  write(record: AuditRecord): { written: boolean; where: string } {
    const dir = this.releaseDir(record.workflow, record.releaseKey);
    mkdirSync(dir, { recursive: true });
    const final = join(dir, `${pathSegment(record.runId)}.json`);
    if (existsSync(final)) return { written: false, where: final };
    const tmp = join(dir, `.${pathSegment(record.runId)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    const fd = openSync(tmp, 'wx', 0o644);
    try {
      writeSync(fd, `${JSON.stringify(record, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(tmp, final);
      return { written: true, where: final };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return { written: false, where: final };
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
      if (existsSync(final)) return { written: false, where: final };
      renameSync(tmp, final);
      return { written: true, where: final };
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  forRelease(workflow: string, releaseKey: string): AuditRecord[] {
    const dir = this.releaseDir(workflow, releaseKey);
    return readRecords(dir).sort((a, b) => a.recordedAt.localeCompare(b.recordedAt));
  }

  list(workflow: string, options: { limit?: number } = {}): AuditRecord[] {
    const root = join(this.location, `workflow=${pathSegment(workflow)}`);
    const releases = listDir(root)
      .filter((n) => n.startsWith('release='))
      .sort()
      .reverse();
    const out: AuditRecord[] = [];
    for (const rel of releases) {
      for (const record of readRecords(join(root, rel)).sort((a, b) => b.recordedAt.localeCompare(a.recordedAt))) {
        out.push(record);
        if (options.limit !== undefined && out.length >= options.limit) return out;
      }
    }
    return out;
  }

  findRun(runId: string, workflow?: string): AuditRecord | undefined {
    const file = `${pathSegment(runId)}.json`;
    const workflows = workflow ? [`workflow=${pathSegment(workflow)}`] : listDir(this.location).filter((n) => n.startsWith('workflow='));
    for (const wf of workflows) {
      for (const rel of listDir(join(this.location, wf))) {
        const path = join(this.location, wf, rel, file);
        if (!existsSync(path)) continue;
        const record = readRecord(path);
        if (record?.runId === runId) return record;
      }
    }
    return undefined;
  }

  close(): void {
    /* nothing held open */
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function readRecord(path: string): AuditRecord | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as AuditRecord;
  } catch {
    return undefined;
  }
}

function readRecords(dir: string): AuditRecord[] {
  return listDir(dir)
    .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
    .map((n) => readRecord(join(dir, n)))
    .filter((r): r is AuditRecord => r !== undefined);
}
