/**
 * Where a stage's process runs and what it sees: the job workspace
 * (`<workdir>/<run-id>/<job>`), the environment — the worker's minus its
 * private variables, then `env`, `TF_PARAM_*`, `TF_MATRIX_*` and the `TF_*`
 * address variables (docs/semantics.md, "Stages") — and the failure of a
 * process the OS refuses to start because that environment is too large.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { ActivityFailureType } from '../engine/stage-errors.js';
import type { ActivityConfig } from './config.js';
import { SECRETS_FILE_ENV } from './secrets.js';
import { safeSegment } from './trace-file.js';
import type { StageAddress } from './types.js';

export { safeSegment } from './trace-file.js';

/** `TF_PARAM_<NAME>` naming: upper-case, `-` → `_` (docs/semantics.md, "Stages"). */
export function envName(prefix: string, key: string): string {
  return `${prefix}${key
    .toUpperCase()
    .replace(/-/g, '_')
    .replace(/[^A-Z0-9_]/g, '_')}`;
}

/** A param or matrix value as an environment string. */
export function envValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Variables of the worker that stages must never see. */
function isPrivateWorkerVar(name: string): boolean {
  return name.startsWith('TEMPOFLOW_SECRET_') || name === SECRETS_FILE_ENV || name.startsWith('TEMPOFLOW_CODEC_') || name === 'TEMPORAL_API_KEY' || name.startsWith('TEMPORAL_TLS_');
}

/** A stage input that carries an environment (every stage kind that starts something). */
export interface StageEnvInput extends StageAddress {
  readonly env: Readonly<Record<string, string>>;
  readonly params: Readonly<Record<string, unknown>>;
  readonly matrix?: Readonly<Record<string, unknown>>;
}

/** The job workspace (`<workdir>/<run-id>/<job>`) and the run's `.scripts` directory, both created. */
export function stageDirs(config: ActivityConfig, input: StageAddress): { workspace: string; scriptDir: string } {
  const workspace = join(config.workdir, safeSegment(input.runId), safeSegment(input.jobId));
  const scriptDir = join(config.workdir, safeSegment(input.runId), '.scripts');
  mkdirSync(workspace, { recursive: true });
  mkdirSync(scriptDir, { recursive: true });
  return { workspace, scriptDir };
}

/**
 * The environment of a stage (docs/semantics.md, "Stages"): the worker's (minus private
 * variables), then workflow/job/stage `env`, then `TF_PARAM_*`,
 * `TF_MATRIX_*` and the `TF_*` address variables.
 */
export function stageEnv(baseEnv: NodeJS.ProcessEnv, input: StageEnvInput, workspace: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(baseEnv)) if (v !== undefined && !isPrivateWorkerVar(k)) env[k] = v;
  Object.assign(env, input.env);
  for (const [k, v] of Object.entries(input.params)) env[envName('TF_PARAM_', k)] = envValue(v);
  for (const [k, v] of Object.entries(input.matrix ?? {})) env[envName('TF_MATRIX_', k)] = envValue(v);
  Object.assign(env, {
    TF_WORKSPACE: workspace,
    // The run's folder, shared by all its jobs (the parent of every TF_WORKSPACE).
    TF_RUN_WORKSPACE: dirname(workspace),
    TF_RUN_ID: input.runId,
    TF_WORKFLOW: input.workflowName,
    TF_JOB: input.jobId,
    TF_STAGE: input.stageId,
    TF_ATTEMPT: String(input.attempt),
  });
  return env;
}

/** Largest `NAME=value` string Linux passes to a program (`MAX_ARG_STRLEN`, 32 pages). */
const MAX_ENV_STRING_BYTES = 128 * 1024;

/**
 * A stage whose process cannot start because its environment is too large
 * (`E2BIG`: a huge param or `env:` value) fails without retries, naming the
 * variables; any other spawn error is returned as it is.
 */
export function spawnFailure(err: unknown, env: NodeJS.ProcessEnv, input: StageAddress): unknown {
  if ((err as NodeJS.ErrnoException | null)?.code !== 'E2BIG') return err;
  const sizes = Object.entries(env).map(([k, v]) => [k, Buffer.byteLength(`${k}=${v ?? ''}`) + 1] as const);
  const big = sizes.filter(([, n]) => n > MAX_ENV_STRING_BYTES).map(([k, n]) => `${k} is ${n} bytes`);
  const total = sizes.reduce((sum, [, n]) => sum + n, 0);
  const what = big.length > 0 ? `${big.join(', ')}; the OS passes at most ${MAX_ENV_STRING_BYTES} bytes per variable` : `the environment is ${total} bytes in all`;
  return ApplicationFailure.nonRetryable(
    `cannot start stage '${input.stageId}' (${input.location}): its environment is too large for the OS (E2BIG): ${what}; put large data in files under $TF_WORKSPACE and pass their paths`,
    ActivityFailureType.INVALID_STAGE,
  );
}
