/**
 * What every stage activity shares on a worker: its settings, secrets and
 * tasks, the trace, and the supervisor that runs a stage's process
 * (`process.ts`) while heartbeating, tracing and masking.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { StageErrorName } from '../engine/stage-errors.js';
import type { ActivityConfig } from './config.js';
import { OutputWindow, type StageHeartbeat } from './output-window.js';
import { runSupervised, type ProcessOutcome } from './process.js';
import { TaskRegistry } from './registry.js';
import { SecretStore } from './secrets.js';
import { spawnFailure } from './stage-env.js';
import { StageTrace, TRACE_STAGE_BYTES } from './trace.js';
import type { StageAddress, StageAttemptResult, StageBatchProgress } from './types.js';

/** See the module doc. */
export interface StageRuntime {
  readonly config: ActivityConfig;
  readonly secrets: SecretStore;
  readonly tasks: TaskRegistry;
  /** The trace of one stage attempt. */
  openTrace(input: StageAddress): StageTrace;
  /**
   * Runs one stage subprocess under the supervisor, heartbeating and
   * tracing it; its output tails come back masked.
   * @throws {CancelledFailure} when the activity was cancelled (the process group is gone).
   */
  superviseStage(ctx: Context, input: StageAddress & { readonly timeoutSeconds?: number }, trace: StageTrace, command: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<ProcessOutcome>;
}

/** The runtime of a worker's stage activities. */
export function createStageRuntime(config: ActivityConfig): StageRuntime {
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
    const window = new OutputWindow(secrets.masker());
    const stopHeartbeat = startHeartbeat(ctx, config.heartbeatIntervalMs, () => stageHeartbeat(input, window));
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
        onOutput: (stream, chunk) => {
          trace.output(stream, chunk);
          window.push(stream, chunk);
        },
      });
    } catch (err) {
      throw spawnFailure(err, env, input);
    } finally {
      stopHeartbeat();
      // The last lines, for a client that polls now; the result's tails hold them too.
      window.end();
      if (heartbeats(ctx) && !ctx.cancellationSignal.aborted) sendHeartbeat(ctx, stageHeartbeat(input, window));
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

  return { config, secrets, tasks, openTrace, superviseStage };
}

/** The heartbeat details of a stage attempt: where it is and its newest output lines. */
export function stageHeartbeat(input: StageAddress, window: OutputWindow, progress?: unknown): StageHeartbeat {
  return { job: input.jobId, stage: input.stageId, name: input.stageName, attempt: input.attempt, output: window.snapshot(), ...(progress !== undefined ? { progress } : {}) };
}

/**
 * Whether the activity heartbeats: a local activity (`dispatch: local`,
 * docs/semantics.md "Local dispatch") has no heartbeat in Temporal — the
 * server never sees it, and the SDK warns on every try.
 */
export function heartbeats(ctx: Context): boolean {
  return !ctx.info.isLocal;
}

/**
 * The heartbeats of an activity that runs a stage batch (`stage-batch.ts`):
 * each carries the batch's progress, so a retry of the batch after a lost
 * worker resumes after the stages it reports. The progress grows with every
 * stage and the SDK converts details to a payload on every call, so at most
 * one heartbeat goes out per interval, with the newest details and progress
 * (Temporal itself records no more often than that).
 */
export class BatchHeartbeats {
  private latest: StageHeartbeat | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private pending = false;

  constructor(
    private readonly ctx: Context,
    private readonly intervalMs: number,
    private readonly progress: () => StageBatchProgress,
  ) {}

  /** Sends `details` with the progress now, or with the newest at the end of the current interval. */
  send(details: StageHeartbeat): void {
    this.latest = details;
    if (this.timer) {
      this.pending = true;
      return;
    }
    this.flush();
  }

  /** Stops the interval's timer; nothing more is sent. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = false;
  }

  private flush(): void {
    this.pending = false;
    if (this.latest && !this.ctx.cancellationSignal.aborted) this.ctx.heartbeat({ ...this.latest, batch: this.progress() });
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.pending) this.flush();
    }, this.intervalMs);
  }
}

/** The batch heartbeats of activity contexts that run a stage batch. */
const batchHeartbeats = new WeakMap<Context, BatchHeartbeats>();

/** Routes every heartbeat of `ctx` through `heartbeats` (see {@link BatchHeartbeats}). */
export function reportBatchProgress(ctx: Context, heartbeats: BatchHeartbeats): void {
  batchHeartbeats.set(ctx, heartbeats);
}

/** Heartbeats `details` (through the batch's heartbeats when `ctx` runs a stage batch). */
export function sendHeartbeat(ctx: Context, details: StageHeartbeat): void {
  const batch = batchHeartbeats.get(ctx);
  if (batch) batch.send(details);
  else ctx.heartbeat(details);
}

/** Heartbeats every `intervalMs` with `details()` until the returned function is called. */
export function startHeartbeat(ctx: Context, intervalMs: number, details: () => StageHeartbeat): () => void {
  if (!heartbeats(ctx)) return () => undefined;
  const timer = setInterval(() => sendHeartbeat(ctx, details()), intervalMs);
  return () => clearInterval(timer);
}

/** The attempt result of a stage whose own `timeout` fired. */
export function timeoutResult(input: StageAddress & { readonly timeoutSeconds?: number }, outputs: Record<string, unknown>, how: string): StageAttemptResult {
  return {
    ok: false,
    outputs,
    error: {
      name: StageErrorName.TimeoutError,
      message: `stage timed out after ${input.timeoutSeconds} s (attempt ${input.attempt}); ${how}`,
      job: input.jobId,
      stage: input.stageId,
      location: input.location,
    },
  };
}

/** A file's text, or `undefined` when it is missing or larger than `maxBytes`. */
export function readSmallFile(path: string, maxBytes: number): string | undefined {
  try {
    if (statSync(path).size > maxBytes) return undefined;
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
