/** Audit records and their stores; `openAuditStore` picks the store the settings name. */
import { FileAuditStore } from './file-store.js';
import { SqliteAuditStore } from './sqlite-store.js';
import type { AuditConfig, AuditStore } from './store.js';

export { FileAuditStore } from './file-store.js';
export { SqliteAuditStore } from './sqlite-store.js';
export * from './store.js';

/** Opens the store `config` names (the caller closes it). */
export function openAuditStore(config: AuditConfig): AuditStore {
  return config.store === 'sqlite' ? new SqliteAuditStore(config.sqlitePath) : new FileAuditStore(config.path);
}
