/**
 * The SQLite audit store (`WORKFLOW_CORE_AUDIT_STORE=sqlite`): one table
 * keyed by (workflow, release, run); `INSERT OR IGNORE` makes a second write
 * of the same record a no-op. WAL mode and a busy timeout let several
 * processes on one machine share the file (SQLite over NFS is not safe: use
 * the file store for multi-machine deployments).
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { AuditRecord, AuditStore } from './store.js';

const require = createRequire(import.meta.url);

export class SqliteAuditStore implements AuditStore {
  private readonly db: BetterSqlite3.Database;

  constructor(readonly location: string) {
    let Database: typeof BetterSqlite3;
    try {
      Database = require('better-sqlite3') as typeof BetterSqlite3;
    } catch (err) {
      throw new Error(`WORKFLOW_CORE_AUDIT_STORE=sqlite needs the 'better-sqlite3' package (v12), which did not load: ${(err as Error).message}`, { cause: err });
    }
    mkdirSync(dirname(location), { recursive: true });
    this.db = new Database(location, { timeout: 10_000 });
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS audits (
      workflow    TEXT NOT NULL,
      release     TEXT NOT NULL,
      run         TEXT NOT NULL,
      type        TEXT NOT NULL,
      status      TEXT NOT NULL,
      recorded_at TEXT NOT NULL,
      record      TEXT NOT NULL,
      PRIMARY KEY (workflow, release, run)
    )`);
    this.db.exec('CREATE INDEX IF NOT EXISTS audits_run ON audits (run)');
  }

  write(record: AuditRecord): { written: boolean; where: string } {
    const info = this.db
      .prepare('INSERT OR IGNORE INTO audits (workflow, release, run, type, status, recorded_at, record) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(record.workflow, record.releaseKey, record.runId, record.type, record.status, record.recordedAt, JSON.stringify(record));
    return { written: info.changes === 1, where: `${this.location} (${record.workflow}, ${record.releaseKey}, ${record.runId})` };
  }

  forRelease(workflow: string, releaseKey: string): AuditRecord[] {
    return this.rows(this.db.prepare('SELECT record FROM audits WHERE workflow = ? AND release = ? ORDER BY recorded_at').all(workflow, releaseKey));
  }

  list(workflow: string, options: { limit?: number } = {}): AuditRecord[] {
    const limit = options.limit ?? -1;
    return this.rows(this.db.prepare('SELECT record FROM audits WHERE workflow = ? ORDER BY release DESC, recorded_at DESC LIMIT ?').all(workflow, limit));
  }

  findRun(runId: string, workflow?: string): AuditRecord | undefined {
    const rows = workflow ? this.db.prepare('SELECT record FROM audits WHERE run = ? AND workflow = ?').all(runId, workflow) : this.db.prepare('SELECT record FROM audits WHERE run = ?').all(runId);
    return this.rows(rows)[0];
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private rows(rows: unknown[]): AuditRecord[] {
    return rows.map((r) => JSON.parse((r as { record: string }).record) as AuditRecord);
  }
}
