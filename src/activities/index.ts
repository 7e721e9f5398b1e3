/**
 * Every side effect of a run lives here: subprocess stages (`bash`, `run`),
 * registered TypeScript tasks (`uses`), loading triggered workflows, run
 * cancellation and traces; audit and config loading as they arrive.
 * Workflow code reaches these only through `proxyActivities`, importing this
 * module as a type.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { z } from 'zod';
import { capOutputs, capWarning, OUTPUT_CAP_BYTES, toJsonValue } from './outputs.js';
import { runSupervised, type ProcessOutcome } from './process.js';
import { parseRunnerReport, PYTHON_RESULT_ENV, PYTHON_RUNNER, pythonAttemptResult, pythonExecutable, pythonRunnerInput } from './python.js';
import { TaskRegistry, type TaskContext } from './registry.js';
import { maskedActivity, MaskingDecoder, renderStageSecrets, SECRETS_FILE_ENV, SecretStore, type Masker } from './secrets.js';
import { prepareTriggeredRun, type PrepareTriggerInput, type PrepareTriggerResult } from './trigger.js';
import type { BashStageInput, PythonStageInput, StageAddress, StageAttemptResult, UsesStageInput } from './types.js';
import { auditConfigFromEnv, type AuditConfig } from '../audit/store.js';
import { createAuditActivities } from './audit.js';
import { createReleaseActivities } from './release.js';
import { safeSegment, traceDirFromEnv, traceFilePath } from './trace-file.js';

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
}

/** Default of {@link ActivityConfig.traceStageBytes}. */
export const TRACE_STAGE_BYTES = 64 * 1024 * 1024;

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
  };
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
  return name.startsWith('TEMPOFLOW_SECRET_') || name === SECRETS_FILE_ENV || name.startsWith('TEMPOFLOW_CODEC_') || name === 'TEMPORAL_API_KEY' || name.startsWith('TEMPORAL_TLS_');
}

/** A stage input that carries an environment (every stage kind that starts something). */
interface StageEnvInput extends StageAddress {
  readonly env: Readonly<Record<string, string>>;
  readonly params: Readonly<Record<string, unknown>>;
  readonly matrix?: Readonly<Record<string, unknown>>;
}

/** The job workspace (`<workdir>/<run-id>/<job>`) and the run's `.scripts` directory, both created. */
function stageDirs(config: ActivityConfig, input: StageAddress): { workspace: string; scriptDir: string } {
  const workspace = join(config.workdir, safeSegment(input.runId), safeSegment(input.jobId));
  const scriptDir = join(config.workdir, safeSegment(input.runId), '.scripts');
  mkdirSync(workspace, { recursive: true });
  mkdirSync(scriptDir, { recursive: true });
  return { workspace, scriptDir };
}

/**
 * The environment of a stage (SPEC §4): the worker's (minus private
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

/**
 * One stage attempt's lines in the run's trace file, prefixed
 * `[WORKFLOW] [JOB] [STAGE]`. Output beyond `limit` bytes is counted and
 * noted, not written. Best effort: tracing never fails a stage.
 */
class StageTrace {
  readonly prefix: string;
  private readonly file: string;
  private written = 0;
  private cut = 0;
  /** Per stream: UTF-8 decoding and secret masking across chunks. */
  private readonly decoders = new Map<'stdout' | 'stderr', MaskingDecoder>();

  constructor(
    private readonly dir: string,
    input: StageAddress,
    private readonly limit: number,
    private readonly masker: Masker,
  ) {
    this.prefix = `[${input.workflowName}] [${input.jobId}] [${input.stageId}]`;
    this.file = traceFilePath(dir, input.runId);
  }

  private append(text: string): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      appendFileSync(this.file, text);
    } catch {
      // Tracing is best effort; the stage result keeps the tails.
    }
  }

  /** A timestamped event line. */
  event(text: string): void {
    this.append(`${new Date().toISOString()} ${this.prefix} ${this.masker.mask(text)}\n`);
  }

  /** Text from the stage itself (a task's `ctx.log`, a subprocess's output), one prefix per line. */
  output(stream: 'stdout' | 'stderr' | 'log', chunk: Buffer | string): void {
    let bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (this.written + bytes.length > this.limit) {
      const room = Math.max(0, this.limit - this.written);
      this.cut += bytes.length - room;
      if (room === 0) return;
      bytes = bytes.subarray(0, room);
    }
    this.written += bytes.length;
    if (stream === 'log') return this.write(stream, this.masker.mask(bytes.toString('utf8')));
    let decoder = this.decoders.get(stream);
    if (!decoder) this.decoders.set(stream, (decoder = new MaskingDecoder(this.masker)));
    this.write(stream, decoder.write(bytes));
  }

  private write(stream: 'stdout' | 'stderr' | 'log', masked: string): void {
    if (masked === '') return;
    const text = masked.replace(/\n(?!$)/g, `\n${this.prefix} `);
    this.append(`${this.prefix} ${stream === 'stderr' ? '[stderr] ' : ''}${text}${text.endsWith('\n') ? '' : '\n'}`);
  }

  /** Writes what the maskers held back and notes a cut, once the attempt is over. */
  close(): void {
    for (const [stream, decoder] of this.decoders) this.write(stream, decoder.end());
    this.decoders.clear();
    if (this.cut > 0) this.event(`warning: trace cut: ${this.cut} more bytes of output were not written (limit ${this.limit} bytes per stage attempt)`);
  }
}

/** Largest `NAME=value` string Linux passes to a program (`MAX_ARG_STRLEN`, 32 pages). */
const MAX_ENV_STRING_BYTES = 128 * 1024;

/**
 * A stage whose process cannot start because its environment is too large
 * (`E2BIG`: a huge param or `env:` value) fails without retries, naming the
 * variables; any other spawn error is returned as it is.
 */
function spawnFailure(err: unknown, env: NodeJS.ProcessEnv, input: StageAddress): unknown {
  if ((err as NodeJS.ErrnoException | null)?.code !== 'E2BIG') return err;
  const sizes = Object.entries(env).map(([k, v]) => [k, Buffer.byteLength(`${k}=${v ?? ''}`) + 1] as const);
  const big = sizes.filter(([, n]) => n > MAX_ENV_STRING_BYTES).map(([k, n]) => `${k} is ${n} bytes`);
  const total = sizes.reduce((sum, [, n]) => sum + n, 0);
  const what = big.length > 0 ? `${big.join(', ')}; the OS passes at most ${MAX_ENV_STRING_BYTES} bytes per variable` : `the environment is ${total} bytes in all`;
  return ApplicationFailure.nonRetryable(
    `cannot start stage '${input.stageId}' (${input.location}): its environment is too large for the OS (E2BIG): ${what}; put large data in files under $TF_WORKSPACE and pass their paths`,
    'TempoflowInvalidStage',
  );
}

/** Heartbeats every `intervalMs` with `details()` until the returned function is called. */
function startHeartbeat(ctx: Context, intervalMs: number, details: () => unknown): () => void {
  const timer = setInterval(() => ctx.heartbeat(details()), intervalMs);
  return () => clearInterval(timer);
}

/** The attempt result of a stage whose own `timeout` fired. */
function timeoutResult(input: StageAddress & { readonly timeoutSeconds?: number }, outputs: Record<string, unknown>, how: string): StageAttemptResult {
  return {
    ok: false,
    outputs,
    error: { name: 'TimeoutError', message: `stage timed out after ${input.timeoutSeconds} s (attempt ${input.attempt}); ${how}`, job: input.jobId, stage: input.stageId, location: input.location },
  };
}

/** A file's text, or `undefined` when it is missing or larger than `maxBytes`. */
function readSmallFile(path: string, maxBytes: number): string | undefined {
  try {
    if (statSync(path).size > maxBytes) return undefined;
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Builds the activities for a worker. */
export function createActivities(config: ActivityConfig) {
  const tasks = config.tasks ?? new TaskRegistry();
  const secrets = config.secrets ?? SecretStore.fromEnv(config.baseEnv);
  const openTrace = (input: StageAddress): StageTrace => new StageTrace(config.traceDir, input, config.traceStageBytes ?? TRACE_STAGE_BYTES, secrets.masker());

  /** Runs one stage subprocess under the supervisor, heartbeating and tracing it. */
  const superviseStage = async (
    ctx: Context,
    input: StageAddress & { readonly timeoutSeconds?: number },
    trace: StageTrace,
    command: readonly string[],
    cwd: string,
    env: NodeJS.ProcessEnv,
  ): Promise<ProcessOutcome> => {
    trace.event(`start attempt ${input.attempt}`);
    const stopHeartbeat = startHeartbeat(ctx, config.heartbeatIntervalMs, () => ({ stage: input.stageId, attempt: input.attempt }));
    let outcome: ProcessOutcome;
    try {
      outcome = await runSupervised({
        command,
        cwd,
        env,
        timeoutMs: input.timeoutSeconds !== undefined ? input.timeoutSeconds * 1000 : undefined,
        signal: ctx.cancellationSignal,
        tailBytes: config.tailBytes,
        killGraceMs: config.killGraceMs,
        onOutput: (stream, chunk) => trace.output(stream, chunk),
      });
    } catch (err) {
      throw spawnFailure(err, env, input);
    } finally {
      stopHeartbeat();
      trace.close();
    }
    trace.event(`end exit=${outcome.exitCode} in ${outcome.durationMs} ms`);
    if (outcome.cancelled) {
      // Let Temporal record the cancellation; the workflow marks the stage CANCEL.
      throw new CancelledFailure(`stage '${input.stageId}' cancelled`);
    }
    // Mask the tails before anything (error messages, outputs) is built from them.
    const masker = secrets.masker();
    return { ...outcome, stdout: masker.maskTail(outcome.stdout), stderr: masker.maskTail(outcome.stderr) };
  };

  const activities = {
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
    async bashStage(raw: BashStageInput): Promise<StageAttemptResult> {
      const ctx = Context.current();
      const rendered = renderStageSecrets(raw, ['script', 'env'], secrets);
      if (!rendered.ok) return rendered.result;
      const input = rendered.input;
      const { workspace, scriptDir } = stageDirs(config, input);
      // Unique per attempt: combinations of one job run the same stage at once.
      const scriptPath = join(scriptDir, `${safeSegment(input.jobId)}.${safeSegment(input.stageId)}.${input.attempt}.${randomUUID().slice(0, 8)}.sh`);
      writeFileSync(scriptPath, input.script, { mode: 0o600 });
      // A script holding secret values does not stay on disk after the stage.
      const holdsSecrets = input.script !== raw.script;
      const cwd = input.cwd ? resolve(workspace, input.cwd) : workspace;
      if (input.cwd && cwd !== workspace && !cwd.startsWith(`${workspace}${sep}`)) {
        throw ApplicationFailure.nonRetryable(`cwd '${input.cwd}' leaves the job workspace (${input.location})`, 'TempoflowInvalidStage');
      }
      mkdirSync(cwd, { recursive: true });
      const env = stageEnv(config.baseEnv, input, workspace);

      const outcome = await superviseStage(ctx, input, openTrace(input), ['bash', '--noprofile', '--norc', '-eo', 'pipefail', scriptPath], cwd, env).finally(() => {
        if (holdsSecrets) rmSync(scriptPath, { force: true });
      });
      const outputs = { return_code: outcome.exitCode ?? -1, stdout: outcome.stdout, stderr: outcome.stderr };
      if (outcome.timedOut) return timeoutResult(input, outputs, 'its process group was killed');
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

    /**
     * Runs a `run` stage attempt: Python 3 code in a supervised subprocess
     * (see `python.ts`). Exceptions, non-zero `SystemExit` and timeouts are
     * returned, not thrown; invalid `vars` names are returned non-retryable.
     */
    async pythonStage(raw: PythonStageInput): Promise<StageAttemptResult> {
      const ctx = Context.current();
      const rendered = renderStageSecrets(raw, ['code', 'vars', 'env'], secrets);
      if (!rendered.ok) return rendered.result;
      const input = rendered.input;
      const { workspace, scriptDir } = stageDirs(config, input);
      const base = join(scriptDir, `${safeSegment(input.jobId)}.${safeSegment(input.stageId)}.${input.attempt}.${randomUUID().slice(0, 8)}`);
      const inputPath = `${base}.input.json`;
      const resultPath = `${base}.result.json`;
      const python = config.python ?? pythonExecutable(config.baseEnv);
      const trace = openTrace(input);
      try {
        writeFileSync(inputPath, JSON.stringify(pythonRunnerInput(input, workspace, OUTPUT_CAP_BYTES)), { mode: 0o600 });
        const env = { ...stageEnv(config.baseEnv, input, workspace), [PYTHON_RESULT_ENV]: resultPath };
        const outcome = await superviseStage(ctx, input, trace, [python, '-c', PYTHON_RUNNER, inputPath], workspace, env);
        const logs = { stdout: outcome.stdout, stderr: outcome.stderr };
        if (outcome.timedOut) return { ...timeoutResult(input, {}, 'the Python interpreter and its process group were killed'), logs };
        const report = parseRunnerReport(readSmallFile(resultPath, 16 * 1024 * 1024));
        for (const warning of report?.warnings ?? []) trace.event(`warning: ${warning}`);
        if (!report && outcome.exitCode === 0) trace.event('warning: python exited with code 0 without reporting a result (os._exit?); outputs are {}');
        const result = pythonAttemptResult(input, outcome, report, python);
        const capped = capOutputs(result.outputs);
        const warning = capWarning(capped);
        if (warning) trace.event(`warning: ${warning}`);
        if (!result.ok) trace.event(`failed: ${result.error?.name}: ${result.error?.message.split('\n', 1)[0]}`);
        return { ...result, outputs: capped.outputs, logs };
      } finally {
        for (const path of [inputPath, resultPath, `${resultPath}.tmp`]) rmSync(path, { force: true });
      }
    },

    /**
     * Runs a `uses` stage attempt: a task from the registry. An unknown task
     * or a `with` its schema refuses is returned non-retryable; a thrown
     * error or a timeout is returned retryable; cancellation aborts
     * `ctx.signal` and throws `CancelledFailure` (after waiting up to the
     * kill grace period for the task to stop).
     */
    async usesStage(raw: UsesStageInput): Promise<StageAttemptResult> {
      const ctx = Context.current();
      const where = { job: raw.jobId, stage: raw.stageId, location: raw.location };
      const trace = openTrace(raw);
      const rendered = renderStageSecrets(raw, ['with', 'env'], secrets);
      if (!rendered.ok) {
        trace.event(`failed: SecretError: ${rendered.result.error.message}`);
        return rendered.result;
      }
      const input = rendered.input;
      const task = tasks.resolve(input.uses);
      if ('error' in task) {
        trace.event(`failed: TaskNotFoundError: ${task.error}`);
        return { ok: false, nonRetryable: true, outputs: {}, error: { name: 'TaskNotFoundError', message: task.error, ...where } };
      }
      let args: unknown;
      try {
        const parsed = await task.with.safeParseAsync(input.with ?? {});
        if (!parsed.success) {
          const message = `invalid 'with' for ${input.uses}:\n${prettyIssues(parsed.error)}`;
          trace.event(`failed: TaskInputError: ${message.replace(/\n/g, ' ')}`);
          return { ok: false, nonRetryable: true, outputs: {}, error: { name: 'TaskInputError', message, ...where } };
        }
        args = parsed.data;
      } catch (err) {
        const message = `validating 'with' for ${input.uses} threw: ${err instanceof Error ? err.message : String(err)}`;
        return { ok: false, nonRetryable: true, outputs: {}, error: { name: 'TaskInputError', message, ...where } };
      }

      const { workspace } = stageDirs(config, input);
      const env = stageEnv(config.baseEnv, input, workspace);
      const controller = new AbortController();
      let cancelled = false;
      let timedOut = false;
      const onCancel = (): void => {
        cancelled = true;
        controller.abort(new CancelledFailure(`stage '${input.stageId}' cancelled`));
      };
      if (ctx.cancellationSignal.aborted) onCancel();
      else ctx.cancellationSignal.addEventListener('abort', onCancel, { once: true });
      const timeout =
        input.timeoutSeconds !== undefined
          ? setTimeout(() => {
              timedOut = true;
              const reason = new Error(`stage timed out after ${input.timeoutSeconds} s`);
              reason.name = 'TimeoutError';
              controller.abort(reason);
            }, input.timeoutSeconds * 1000)
          : undefined;
      // After an abort, the task has the kill grace period to settle; then it is abandoned.
      let graceTimer: NodeJS.Timeout | undefined;
      const abandoned = new Promise<{ kind: 'abandoned' }>((resolveAbandoned) => {
        const arm = (): void => {
          graceTimer = setTimeout(() => resolveAbandoned({ kind: 'abandoned' }), config.killGraceMs);
        };
        if (controller.signal.aborted) arm();
        else controller.signal.addEventListener('abort', arm, { once: true });
      });
      const defaultDetails = { stage: input.stageId, attempt: input.attempt };
      let details: unknown = defaultDetails;
      const stopHeartbeat = startHeartbeat(ctx, config.heartbeatIntervalMs, () => details);
      const taskCtx: TaskContext = {
        signal: controller.signal,
        heartbeat: (d?: unknown) => {
          details = d === undefined ? defaultDetails : secrets.masker().maskValue(d);
          ctx.heartbeat(details);
        },
        attempt: input.attempt,
        workspace,
        runId: input.runId,
        job: input.jobId,
        stage: input.stageId,
        params: input.params,
        matrix: input.matrix ?? {},
        env,
        log: (message: string) => trace.output('log', String(message)),
      };

      trace.event(`start attempt ${input.attempt} (${input.uses})`);
      const started = Date.now();
      type Settled = { kind: 'value'; value: unknown } | { kind: 'error'; error: unknown } | { kind: 'abandoned' };
      let settled: Settled;
      try {
        settled = await Promise.race<Settled>([
          (async () => task.run(args, taskCtx))().then(
            (value) => ({ kind: 'value' as const, value }),
            (error: unknown) => ({ kind: 'error' as const, error }),
          ),
          abandoned,
        ]);
      } finally {
        stopHeartbeat();
        if (timeout) clearTimeout(timeout);
        if (graceTimer) clearTimeout(graceTimer);
        ctx.cancellationSignal.removeEventListener('abort', onCancel);
        trace.close();
      }
      trace.event(`end ${settled.kind === 'value' ? 'returned' : settled.kind === 'error' ? 'threw' : 'abandoned'} in ${Date.now() - started} ms`);
      if (settled.kind === 'abandoned') trace.event(`warning: the task did not stop within ${config.killGraceMs} ms of its signal aborting; abandoned`);

      if (cancelled) throw new CancelledFailure(`stage '${input.stageId}' cancelled`);
      if (timedOut) {
        return timeoutResult(input, {}, settled.kind === 'abandoned' ? `ctx.signal aborted and the task did not stop within ${config.killGraceMs} ms` : 'ctx.signal aborted');
      }
      if (settled.kind === 'error') {
        const err = settled.error;
        const failure = err instanceof ApplicationFailure ? err : undefined;
        const name = failure ? failure.type || 'ApplicationFailure' : err instanceof Error ? err.name || 'Error' : 'Error';
        const message = err instanceof Error ? err.message : String(err);
        trace.event(`failed: ${name}: ${(err instanceof Error && err.stack) || message}`);
        return { ok: false, outputs: {}, error: { name, message, ...where }, ...(failure?.nonRetryable ? { nonRetryable: true } : {}) };
      }
      if (settled.kind !== 'value') throw new Error('unreachable: an abandoned task is either cancelled or timed out');
      const value = settled.value;
      if (value !== undefined && value !== null && (typeof value !== 'object' || Array.isArray(value))) {
        const message = `task ${input.uses} returned ${Array.isArray(value) ? 'an array' : `a ${typeof value}`}; a task returns an object of outputs (or nothing)`;
        trace.event(`failed: TaskOutputError: ${message}`);
        return { ok: false, outputs: {}, error: { name: 'TaskOutputError', message, ...where } };
      }
      const json = toJsonValue(value ?? {}, 'outputs');
      if (!json.ok) {
        const message = `task ${input.uses} returned outputs that are not JSON: ${json.error}`;
        trace.event(`failed: TaskOutputError: ${message}`);
        return { ok: false, outputs: {}, error: { name: 'TaskOutputError', message, ...where } };
      }
      const capped = capOutputs(json.value as Record<string, unknown>);
      const warning = capWarning(capped);
      if (warning) trace.event(`warning: ${warning}`);
      return { ok: true, outputs: capped.outputs };
    },
  };
  // Whatever a stage activity returns or throws is masked (SPEC §4: secrets never leave the worker).
  return {
    ...activities,
    bashStage: maskedActivity(secrets, activities.bashStage),
    pythonStage: maskedActivity(secrets, activities.pythonStage),
    usesStage: maskedActivity(secrets, activities.usesStage),
    // Releases: load the YAML for a release, check and write audit records.
    ...createReleaseActivities(config),
    ...createAuditActivities(config, secrets),
  };
}

/** A zod error as readable lines naming each field (zod's `prettifyError`, whatever zod made the schema). */
function prettyIssues(error: unknown): string {
  try {
    return z.prettifyError(error as z.ZodError);
  } catch {
    return error instanceof Error ? error.message : String(error);
  }
}

/** The activity functions' types, for `proxyActivities` in workflow code. */
export type Activities = ReturnType<typeof createActivities>;
