/**
 * Audit activities: the release workflow checks for an existing record of a
 * release and writes one record per release, exactly once. `writeAudit` is
 * idempotent (the stores refuse a second record with the same workflow,
 * release and run), so Temporal may retry it after a worker dies at any
 * point — before, during or after the write — and one record results.
 */
import { Context } from '@temporalio/activity';
import { auditConfigFromEnv, openAuditStore, type AuditConfig, type AuditRecord, type AuditStore } from '../audit/index.js';
import type { SecretStore } from './secrets.js';

/** A record as the release workflow sends it (`recordedAt` is set here). */
export type AuditRecordInput = Omit<AuditRecord, 'recordedAt'>;

/** What `findReleaseAudit` answers: the first record of that release, when any. */
export interface ExistingRelease {
  readonly runId: string;
  readonly type: AuditRecord['type'];
  readonly status: AuditRecord['status'];
  readonly where: string;
}

/** Env knob for crash tests: ms `writeAudit` waits (heartbeating) after writing, before it completes. */
export const AUDIT_DELAY_ENV = 'TEMPOFLOW_AUDIT_DELAY_MS';

/** Settings the audit activities need from the worker. */
export interface AuditActivityConfig {
  readonly audit?: AuditConfig;
  readonly baseEnv: NodeJS.ProcessEnv;
  readonly heartbeatIntervalMs: number;
}

export function createAuditActivities(config: AuditActivityConfig, secrets?: SecretStore) {
  let store: AuditStore | undefined;
  const auditConfig = (): AuditConfig => config.audit ?? auditConfigFromEnv(config.baseEnv);
  const open = (): AuditStore => (store ??= openAuditStore(auditConfig()));

  return {
    /**
     * The existing record of a release (any run), when auditing is on and
     * one exists: after Temporal's retention it is what makes a second
     * NORMAL release of the same time a SKIP.
     */
    async findReleaseAudit(input: { workflow: string; releaseKey: string }): Promise<ExistingRelease | undefined> {
      if (!auditConfig().enabled) return undefined;
      const s = open();
      const first = s.forRelease(input.workflow, input.releaseKey)[0];
      return first ? { runId: first.runId, type: first.type, status: first.status, where: s.location } : undefined;
    },

    /** Writes a release's record unless it exists (idempotent); secrets are masked. */
    async writeAudit(input: AuditRecordInput): Promise<{ written: boolean; where: string }> {
      const ctx = Context.current();
      const record: AuditRecord = { ...input, recordedAt: new Date().toISOString() };
      const masked = secrets ? secrets.masker().maskValue(record) : record;
      const result = open().write(masked);
      const delay = Number(config.baseEnv[AUDIT_DELAY_ENV] ?? 0);
      if (delay > 0) {
        const until = Date.now() + delay;
        while (Date.now() < until && !ctx.cancellationSignal.aborted) {
          ctx.heartbeat({ written: result.written });
          await new Promise((r) => setTimeout(r, Math.min(config.heartbeatIntervalMs, until - Date.now())));
        }
      }
      return result;
    },
  };
}
