/**
 * Reading audit records from the client (docs/operations.md "Audit"): the
 * store this process's environment names (`WORKFLOW_CORE_AUDIT_STORE`,
 * `WORKFLOW_CORE_AUDIT_PATH`, `WORKFLOW_CORE_AUDIT_SQLITE_PATH`), the same
 * one the workers write.
 */
import { auditConfigFromEnv, openAuditStore, type AuditStore } from '../audit/index.js';

export { parseReleaseKey, type AuditRecord, type AuditStore } from '../audit/index.js';

/**
 * Opens the store for reading, also when `WORKFLOW_CORE_AUDIT_ENABLED` is
 * false here (`enabled` says so): records written elsewhere are still
 * worth reading. Close it after use.
 */
export function openAuditReader(env: NodeJS.ProcessEnv = process.env): { store: AuditStore; enabled: boolean } {
  const config = auditConfigFromEnv(env);
  return { store: openAuditStore(config), enabled: config.enabled };
}

/** The store, when auditing is on in this process's environment (releases and reruns look records up in it). */
export function clientAuditStore(env: NodeJS.ProcessEnv = process.env): AuditStore | undefined {
  const config = auditConfigFromEnv(env);
  return config.enabled ? openAuditStore(config) : undefined;
}
