/**
 * What `tempoflow logs` shows of a run, as data: each finished stage's
 * stdout/stderr tails (part of its result, so readable from any machine that
 * reaches the server) and the run's trace file when this machine has it.
 * `RunHandle.logs()` builds it; the CLI prints it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { traceDirFromEnv, traceFilePath } from '../activities/trace-file.js';
import type { RunContext, StageContext } from '../engine/context.js';
import { Status } from '../engine/status.js';
import { runStageResults } from '../engine/stage-results.js';

/** The output tails of one finished stage. */
export interface StageLog {
  readonly job: string;
  /** The stage's dotted path in its job (nested stages: `<parent>.<key>.<stage>`). */
  readonly path: string;
  readonly status: Status;
  /** Tail of its standard output ('' when it printed nothing). */
  readonly stdout: string;
  readonly stderr: string;
}

/** A run's logs. */
export interface RunLogs {
  readonly runId: string;
  /** The workflow's name, when known (it prefixes log lines). */
  readonly workflowName?: string;
  readonly running: boolean;
  /** The run's status so far. */
  readonly status: Status;
  /** Finished stages that printed something, nested ones included, in run order. */
  readonly stages: readonly StageLog[];
  /** Where this machine looks for the run's trace file. */
  readonly traceFile: string;
  /** The trace file's text, when this machine has it and it was asked for. */
  readonly trace?: string;
}

/** Options of `RunHandle.logs()`. */
export interface LogsOptions {
  /** Trace folder (default `WORKFLOW_CORE_TRACE_PATH`, else `.tempoflow/traces`). */
  readonly traceDir?: string;
  /** Read the trace file (default true); a poller asks for it once, at the end. */
  readonly trace?: boolean;
}

/** A stage's tail of one stream: a `run` stage keeps it in `logs`, a `bash` stage in its outputs. */
function tail(stage: StageContext, stream: 'stdout' | 'stderr'): string {
  const text = stage.logs?.[stream] ?? stage.outputs?.[stream];
  return typeof text === 'string' ? text : '';
}

/** The output tails of every finished stage of a context, nested stages included. */
export function stageLogs(context: Pick<RunContext, 'jobs'>): StageLog[] {
  const out: StageLog[] = [];
  for (const { job, path, stage } of runStageResults(context)) {
    if (stage.status === Status.WAIT) continue;
    const stdout = tail(stage, 'stdout');
    const stderr = tail(stage, 'stderr');
    if (stdout || stderr) out.push({ job, path, status: stage.status, stdout, stderr });
  }
  return out;
}

/** The trace file of a run and, when asked and present, its text. */
export function readTraceFile(runId: string, options: LogsOptions = {}): { traceFile: string; trace?: string } {
  const traceFile = traceFilePath(options.traceDir !== undefined ? resolve(options.traceDir) : traceDirFromEnv(), runId);
  if (options.trace === false || !existsSync(traceFile)) return { traceFile };
  return { traceFile, trace: readFileSync(traceFile, 'utf8') };
}
