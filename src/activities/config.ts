/**
 * Worker-side settings the activities close over, and their defaults from
 * the environment (`WORKFLOW_CORE_*`; README.md lists every variable).
 */
import { resolve } from 'node:path';
import { auditConfigFromEnv, type AuditConfig } from '../audit/store.js';
import { pythonExecutable } from './python.js';
import type { TaskRegistry } from './registry.js';
import { SecretStore } from './secrets.js';
import { traceDirFromEnv } from './trace-file.js';

/** Worker-side settings the activities close over. */
export interface ActivityConfig {
  /** Root of per-run workspaces: `<workdir>/<run-id>/<job>`. */
  readonly workdir: string;
  /** Root of per-run trace files. */
  readonly traceDir: string;
  /** Bytes of stdout and of stderr kept in a stage's outputs. */
  readonly tailBytes: number;
  /** Time between SIGTERM and SIGKILL when a stage is stopped. */
  readonly killGraceMs: number;
  /** Heartbeat period of long activities. */
  readonly heartbeatIntervalMs: number;
  /** The worker's environment, as the base of every subprocess's. */
  readonly baseEnv: NodeJS.ProcessEnv;
  /** Interpreter of `run` stages (default `WORKFLOW_CORE_PYTHON` of `baseEnv`, else `python3`). */
  readonly python?: string;
  /** Tasks `uses` stages can call (default: none). */
  readonly tasks?: TaskRegistry;
  /** Bytes of one stage attempt's output written to the trace file (default 64 MiB); the rest is counted, not written. */
  readonly traceStageBytes?: number;
  /** Secrets rendered in `bash`/`run`/`env`/`with` and masked everywhere (default: `SecretStore.fromEnv(baseEnv)`). */
  readonly secrets?: SecretStore;
  /** Audit settings (default: `auditConfigFromEnv(baseEnv)`). */
  readonly audit?: AuditConfig;
  /**
   * The worker's conf tree: where runs started by name and `trigger:` targets
   * are loaded from when the caller's conf path is not on this worker
   * (default: `WORKFLOW_CORE_CONF_PATH` of `baseEnv`, else `./conf`, relative to the worker's cwd).
   */
  readonly confPath?: string;
}

/** Defaults read from the environment (`WORKFLOW_CORE_*`). */
export function activityConfigFromEnv(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ActivityConfig {
  const workdir = resolve(cwd, env.WORKFLOW_CORE_WORKSPACE_PATH || '.tempoflow/workspaces');
  return {
    workdir,
    traceDir: traceDirFromEnv(env, cwd),
    tailBytes: Number(env.WORKFLOW_CORE_OUTPUT_TAIL_BYTES) || 16 * 1024,
    killGraceMs: Number(env.WORKFLOW_CORE_KILL_GRACE_MS) || 5000,
    heartbeatIntervalMs: 1000,
    baseEnv: env,
    python: pythonExecutable(env),
    secrets: SecretStore.fromEnv(env, { cwd }),
    audit: auditConfigFromEnv(env, cwd),
    confPath: resolve(cwd, env.WORKFLOW_CORE_CONF_PATH || 'conf'),
  };
}
