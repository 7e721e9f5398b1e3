/**
 * Every side effect of a run lives here: subprocess stages now; registered
 * calls, audit, traces and config loading as they arrive. Workflow code
 * reaches these only through `proxyActivities`, importing this module as a
 * type.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { runSupervised } from './process.js';
import { prepareTriggeredRun, type PrepareTriggerInput, type PrepareTriggerResult } from './trigger.js';
import type { BashStageInput, StageAttemptResult } from './types.js';

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
}

/** Defaults read from the environment (`WORKFLOW_CORE_*`). */
export function activityConfigFromEnv(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ActivityConfig {
  const workdir = resolve(cwd, env.WORKFLOW_CORE_WORKSPACE_PATH || '.tempoflow/workspaces');
  return {
    workdir,
    traceDir: resolve(cwd, env.WORKFLOW_CORE_TRACE_PATH || '.tempoflow/traces'),
    tailBytes: Number(env.WORKFLOW_CORE_OUTPUT_TAIL_BYTES) || 16 * 1024,
    killGraceMs: Number(env.WORKFLOW_CORE_KILL_GRACE_MS) || 5000,
    heartbeatIntervalMs: 1000,
    baseEnv: env,
  };
}

/** Names a value may not take as a path component. */
function safeSegment(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9_.:=-]/g, '_').replace(/^\.+/, '_');
  return cleaned.slice(0, 200) || '_';
}

/** `TF_PARAM_<NAME>` naming: upper-case, `-` → `_` (SPEC §4). */
export function envName(prefix: string, key: string): string {
  return `${prefix}${key.toUpperCase().replace(/-/g, '_').replace(/[^A-Z0-9_]/g, '_')}`;
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
  return name.startsWith('TEMPOFLOW_SECRET_') || name === 'TEMPORAL_API_KEY' || name.startsWith('TEMPORAL_TLS_');
}

/** Builds the activities for a worker. */
export function createActivities(config: ActivityConfig) {
  const trace = (input: BashStageInput, line: string): void => {
    try {
      mkdirSync(config.traceDir, { recursive: true });
      appendFileSync(join(config.traceDir, `${safeSegment(input.runId)}.log`), line);
    } catch {
      // Tracing is best effort; the stage result keeps the tails.
    }
  };

  return {
    /**
     * Requests cancellation of a run through the client API. The interpreter
     * uses it for the `cancel` signal: Temporal refuses a workflow's request
     * to cancel itself, but not a client's, and only a real cancel request
     * lets the execution end Cancelled.
     */
    async requestRunCancellation(input: { workflowId: string; runId: string; reason?: string }): Promise<void> {
      await Context.current().client.workflow.getHandle(input.workflowId, input.runId).cancel();
    },

    /** Loads, validates and parameterizes the target of a `trigger:` stage. */
    async prepareTriggeredRun(input: PrepareTriggerInput): Promise<PrepareTriggerResult> {
      return prepareTriggeredRun(input);
    },

    /** Runs a `bash` stage attempt. Non-zero exit and timeout are returned, not thrown. */
    async bashStage(input: BashStageInput): Promise<StageAttemptResult> {
      const ctx = Context.current();
      const workspace = join(config.workdir, safeSegment(input.runId), safeSegment(input.jobId));
      const scriptDir = join(config.workdir, safeSegment(input.runId), '.scripts');
      mkdirSync(workspace, { recursive: true });
      mkdirSync(scriptDir, { recursive: true });
      const scriptPath = join(scriptDir, `${safeSegment(input.jobId)}.${safeSegment(input.stageId)}.${input.attempt}.sh`);
      writeFileSync(scriptPath, input.script, { mode: 0o600 });
      const cwd = input.cwd ? resolve(workspace, input.cwd) : workspace;
      if (input.cwd && !cwd.startsWith(workspace)) {
        throw ApplicationFailure.nonRetryable(`cwd '${input.cwd}' leaves the job workspace (${input.location})`, 'TempoflowInvalidStage');
      }
      mkdirSync(cwd, { recursive: true });

      const env: NodeJS.ProcessEnv = {};
      for (const [k, v] of Object.entries(config.baseEnv)) if (!isPrivateWorkerVar(k)) env[k] = v;
      Object.assign(env, input.env);
      for (const [k, v] of Object.entries(input.params)) env[envName('TF_PARAM_', k)] = envValue(v);
      for (const [k, v] of Object.entries(input.matrix ?? {})) env[envName('TF_MATRIX_', k)] = envValue(v);
      Object.assign(env, {
        TF_WORKSPACE: workspace,
        TF_RUN_ID: input.runId,
        TF_WORKFLOW: input.workflowName,
        TF_JOB: input.jobId,
        TF_STAGE: input.stageId,
        TF_ATTEMPT: String(input.attempt),
      });

      const prefix = `[${input.workflowName}] [${input.jobId}] [${input.stageId}]`;
      trace(input, `${new Date().toISOString()} ${prefix} start attempt ${input.attempt}\n`);
      const heartbeat = setInterval(() => ctx.heartbeat({ stage: input.stageId, attempt: input.attempt }), config.heartbeatIntervalMs);
      let outcome;
      try {
        outcome = await runSupervised({
          command: ['bash', '--noprofile', '--norc', '-eo', 'pipefail', scriptPath],
          cwd,
          env,
          timeoutMs: input.timeoutSeconds !== undefined ? input.timeoutSeconds * 1000 : undefined,
          signal: ctx.cancellationSignal,
          tailBytes: config.tailBytes,
          killGraceMs: config.killGraceMs,
          onOutput: (stream, chunk) => {
            const text = chunk.toString('utf8').replace(/\n(?!$)/g, `\n${prefix} `);
            trace(input, `${prefix} ${stream === 'stderr' ? '[stderr] ' : ''}${text}${text.endsWith('\n') ? '' : '\n'}`);
          },
        });
      } finally {
        clearInterval(heartbeat);
      }
      trace(input, `${new Date().toISOString()} ${prefix} end exit=${outcome.exitCode} in ${outcome.durationMs} ms\n`);
      if (outcome.cancelled) {
        // Let Temporal record the cancellation; the workflow marks the stage CANCEL.
        throw new CancelledFailure(`stage '${input.stageId}' cancelled`);
      }
      const outputs = { return_code: outcome.exitCode ?? -1, stdout: outcome.stdout, stderr: outcome.stderr };
      if (outcome.timedOut) {
        return {
          ok: false,
          outputs,
          error: { name: 'TimeoutError', message: `stage timed out after ${input.timeoutSeconds} s (attempt ${input.attempt}); its process group was killed`, job: input.jobId, stage: input.stageId, location: input.location },
        };
      }
      if (outcome.exitCode !== 0) {
        const lastLine = outcome.stderr.trimEnd().split('\n').pop() ?? '';
        return {
          ok: false,
          outputs,
          error: {
            name: 'BashExitError',
            message: `bash exited with code ${outcome.exitCode ?? `signal ${outcome.signal}`}${lastLine ? `: ${lastLine.slice(0, 500)}` : ''}`,
            job: input.jobId,
            stage: input.stageId,
            location: input.location,
          },
        };
      }
      return { ok: true, outputs };
    },
  };
}

/** The activity functions' types, for `proxyActivities` in workflow code. */
export type Activities = ReturnType<typeof createActivities>;
