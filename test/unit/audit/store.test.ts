/** Both audit stores: one record per (workflow, release, run), a second write is a no-op, listing and lookups. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditConfigFromEnv, FileAuditStore, openAuditStore, parseReleaseKey, releaseKey, SqliteAuditStore, type AuditRecord, type AuditStore } from '../../../src/audit/index.js';

const record = (over: Partial<AuditRecord> = {}): AuditRecord => ({
  version: 1,
  workflow: 'etl',
  release: '2024-01-01T09:00:00.000Z',
  releaseKey: '20240101090000',
  type: 'NORMAL',
  status: 'SUCCESS',
  params: { day: '2024-01-01' },
  runId: 'tf:etl:202401010900',
  releaseWorkflowId: 'tf-release:etl-2024-01-01T09:00:00Z',
  releaseRunId: 'abc',
  timing: { executeDate: '2024-01-01T09:00:01.000Z' },
  errors: [],
  recordedAt: '2024-01-01T09:01:00.000Z',
  ...over,
});

const dir = () => mkdtempSync(join(tmpdir(), 'tf-audit-'));
const stores: [string, () => AuditStore][] = [
  ['file', () => new FileAuditStore(dir())],
  ['sqlite', () => new SqliteAuditStore(join(dir(), 'nested', 'audit.sqlite'))],
];

describe.each(stores)('%s store', (_name, make) => {
  it('writes a record once; a second write of the same run is refused', () => {
    const store = make();
    try {
      expect(store.write(record()).written).toBe(true);
      expect(store.write(record({ status: 'FAILED', recordedAt: '2099-01-01T00:00:00Z' })).written).toBe(false);
      const found = store.forRelease('etl', '20240101090000');
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({ status: 'SUCCESS', runId: 'tf:etl:202401010900' });
    } finally {
      store.close();
    }
  });

  it('keeps other runs of one release (FORCE, RERUN) and lists newest release first', () => {
    const store = make();
    try {
      store.write(record());
      store.write(record({ runId: 'tf:etl:202401010900:force-1', type: 'FORCE', recordedAt: '2024-01-01T10:00:00Z' }));
      store.write(record({ release: '2024-01-02T09:00:00.000Z', releaseKey: '20240102090000', runId: 'tf:etl:202401020900' }));
      store.write(record({ workflow: 'other', runId: 'tf:other:202401010900' }));
      expect(store.forRelease('etl', '20240101090000').map((r) => r.type)).toEqual(['NORMAL', 'FORCE']);
      expect(store.list('etl').map((r) => r.runId)).toEqual(['tf:etl:202401020900', 'tf:etl:202401010900:force-1', 'tf:etl:202401010900']);
      expect(store.list('etl', { limit: 1 })).toHaveLength(1);
      expect(store.findRun('tf:etl:202401010900:force-1')?.type).toBe('FORCE');
      expect(store.findRun('tf:other:202401010900', 'other')?.workflow).toBe('other');
      expect(store.findRun('missing')).toBeUndefined();
      expect(store.list('nobody')).toEqual([]);
    } finally {
      store.close();
    }
  });
});

describe('file store layout', () => {
  it('writes audits/workflow=<name>/release=<key>/<run>.json and leaves no temp file', () => {
    const root = dir();
    const store = new FileAuditStore(root);
    const { where } = store.write(record());
    expect(where).toBe(join(root, 'workflow=etl', 'release=20240101090000', 'tf_etl_202401010900.json'));
    expect(JSON.parse(readFileSync(where, 'utf8'))).toMatchObject({ workflow: 'etl', runId: 'tf:etl:202401010900' });
    expect(readdirSync(join(root, 'workflow=etl', 'release=20240101090000'))).toEqual(['tf_etl_202401010900.json']);
  });

  it('eight stores writing one record write it once', async () => {
    const root = dir();
    const results = await Promise.all(Array.from({ length: 8 }, () => Promise.resolve().then(() => new FileAuditStore(root).write(record()))));
    expect(results.filter((r) => r.written)).toHaveLength(1);
  });
});

describe('config and keys', () => {
  it('reads the environment', () => {
    expect(auditConfigFromEnv({}, '/w')).toEqual({ enabled: true, store: 'file', path: '/w/audits', sqlitePath: '/w/audits/audit.sqlite' });
    expect(auditConfigFromEnv({ WORKFLOW_CORE_AUDIT_ENABLED: 'false', WORKFLOW_CORE_AUDIT_STORE: 'SQLite', WORKFLOW_CORE_AUDIT_SQLITE_PATH: 'db/a.db' }, '/w')).toMatchObject({
      enabled: false,
      store: 'sqlite',
      sqlitePath: '/w/db/a.db',
    });
    expect(() => auditConfigFromEnv({ WORKFLOW_CORE_AUDIT_STORE: 'postgres' })).toThrow(/use 'file' \(default\) or 'sqlite'/);
  });

  it('opens the store the config names', () => {
    const root = dir();
    const sqlite = openAuditStore({ enabled: true, store: 'sqlite', path: root, sqlitePath: join(root, 'x.sqlite') });
    expect(sqlite).toBeInstanceOf(SqliteAuditStore);
    sqlite.close();
    expect(existsSync(join(root, 'x.sqlite'))).toBe(true);
    expect(openAuditStore({ enabled: true, store: 'file', path: root, sqlitePath: '' })).toBeInstanceOf(FileAuditStore);
  });

  it('release keys', () => {
    expect(releaseKey('2024-01-01T09:00:00+02:00')).toBe('20240101070000');
    expect(parseReleaseKey('202401010900')).toBe('20240101090000');
    expect(parseReleaseKey('20240101090030')).toBe('20240101090030');
    expect(parseReleaseKey('2024-01-01T09:00:00Z')).toBe('20240101090000');
    expect(parseReleaseKey('yesterday')).toBeUndefined();
  });
});
