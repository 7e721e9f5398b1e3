/**
 * Audit records (docs/operations.md "Audit"): one JSON record per release, written
 * exactly once. Two stores share one interface: files (the default,
 * `audits/workflow=<name>/release=<YYYYmmddHHMMSS>/<run>.json`) and SQLite
 * (`WORKFLOW_CORE_AUDIT_STORE=sqlite`). Workers write through an idempotent
 * activity; the CLI (`tempoflow audit`) and reruns read the same store, so
 * in a multi-machine deployment its path must be shared storage.
 */
import { resolve } from 'node:path';
import type { ErrorInfo, RunContext } from '../engine/context.js';
import type { WorkflowSpec } from '../engine/spec.js';
import type { Status } from '../engine/status.js';
import type { ReleaseType } from '../engine/release.js';

/** One release, as recorded. */
export interface AuditRecord {
  readonly version: 1;
  readonly workflow: string;
  /** The release (logical) time, ISO 8601 UTC. */
  readonly release: string;
  /** The release time as `YYYYmmddHHMMSS` (UTC): the record's key with `workflow` and `runId`. */
  readonly releaseKey: string;
  readonly type: ReleaseType;
  readonly status: Status;
  /** The params the run got (rendered, parameterized). */
  readonly params: Record<string, unknown>;
  /** The run's final context, as returned (summarised when it failed). */
  readonly context?: RunContext;
  /** tempoflow run id (= Temporal workflow id of the run). */
  readonly runId: string;
  readonly parentRunId?: string;
  /** Temporal run id of the run's execution. */
  readonly temporalRunId?: string;
  /** The release workflow that ran it (`tempoflowRelease`): workflow id and Temporal run id. */
  readonly releaseWorkflowId: string;
  readonly releaseRunId: string;
  /** `WORKFLOW_CORE_PROJECT` of the schedule, or of the client that released it. */
  readonly project?: string;
  /** `overrideLogName` of `release()`, when given. */
  readonly logName?: string;
  readonly timing: {
    /** When the release started. */
    readonly executeDate: string;
    readonly start?: string;
    readonly end?: string;
    readonly durationMs?: number;
  };
  readonly errors: readonly ErrorInfo[];
  /** The run's YAML snapshot, so a rerun works after Temporal's retention. */
  readonly spec?: WorkflowSpec;
  readonly recordedAt: string;
}

/** Where records live and whether they are written. */
export interface AuditConfig {
  /** `WORKFLOW_CORE_AUDIT_ENABLED` (default true; `false`, `0` or `no` turn it off). */
  readonly enabled: boolean;
  /** `WORKFLOW_CORE_AUDIT_STORE`: `file` (default) or `sqlite`. */
  readonly store: 'file' | 'sqlite';
  /** `WORKFLOW_CORE_AUDIT_PATH` (default `./audits`): root of the file store. */
  readonly path: string;
  /** `WORKFLOW_CORE_AUDIT_SQLITE_PATH` (default `<path>/audit.sqlite`). */
  readonly sqlitePath: string;
}

/** Reads the audit settings from the environment (paths relative to `cwd`). */
export function auditConfigFromEnv(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): AuditConfig {
  const enabledText = (env.WORKFLOW_CORE_AUDIT_ENABLED ?? 'true').trim().toLowerCase();
  const store = (env.WORKFLOW_CORE_AUDIT_STORE || 'file').trim().toLowerCase();
  if (store !== 'file' && store !== 'sqlite') {
    throw new Error(`WORKFLOW_CORE_AUDIT_STORE=${env.WORKFLOW_CORE_AUDIT_STORE} is not a store; use 'file' (default) or 'sqlite'`);
  }
  const path = resolve(cwd, env.WORKFLOW_CORE_AUDIT_PATH || 'audits');
  return {
    enabled: !['false', '0', 'no', 'off'].includes(enabledText),
    store,
    path,
    sqlitePath: resolve(cwd, env.WORKFLOW_CORE_AUDIT_SQLITE_PATH || resolve(path, 'audit.sqlite')),
  };
}

/** What a store knows how to do. Every method is synchronous and safe to call from several processes. */
export interface AuditStore {
  /** Human-readable location (a folder or a database file). */
  readonly location: string;
  /**
   * Writes a record unless one with the same (workflow, release, run)
   * exists. Returns `written: false` when it already existed: a retried
   * activity never writes a second record.
   */
  write(record: AuditRecord): { written: boolean; where: string };
  /** Every record of one release of a workflow (any run), oldest first. */
  forRelease(workflow: string, releaseKey: string): AuditRecord[];
  /** Records of a workflow, newest release first. */
  list(workflow: string, options?: { limit?: number }): AuditRecord[];
  /** The record of a run id, when any (searches every workflow unless one is given). */
  findRun(runId: string, workflow?: string): AuditRecord | undefined;
  close(): void;
}

/** `YYYYmmddHHMMSS` (UTC) of a release time. */
export function releaseKey(date: Date | string): string {
  const d = typeof date === 'string' ? new Date(date) : date;
  if (Number.isNaN(d.getTime())) throw new Error(`not a release time: '${String(date)}'`);
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/**
 * Parses what a user types for a release: `YYYYmmddHHMMSS`, `YYYYmmddHHMM`
 * (UTC) or an ISO 8601 time. Returns the key, or undefined when unreadable.
 */
export function parseReleaseKey(text: string): string | undefined {
  const t = text.trim();
  if (/^\d{14}$/.test(t)) return t;
  if (/^\d{12}$/.test(t)) return `${t}00`;
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? undefined : releaseKey(d);
}

/** A name as one path component (no separators, no leading dot). */
export function pathSegment(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9_.=-]/g, '_').replace(/^\.+/, '_');
  return cleaned.slice(0, 200) || '_';
}
