/**
 * Where a run's trace file lives: `<trace dir>/<run id>.log`, the trace dir
 * being `WORKFLOW_CORE_TRACE_PATH` (default `.tempoflow/traces`). Workers
 * write it; `tempoflow logs` (the client's `RunHandle.logs()`) reads it on
 * machines that share the folder (docs/operations.md "Several machines").
 */
import { join, resolve } from 'node:path';

/** Names a value may not take as a path component. */
export function safeSegment(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9_.:=-]/g, '_').replace(/^\.+/, '_');
  return cleaned.slice(0, 200) || '_';
}

/** The trace folder the environment names, resolved against `cwd`. */
export function traceDirFromEnv(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return resolve(cwd, env.WORKFLOW_CORE_TRACE_PATH || '.tempoflow/traces');
}

/** The trace file of a run in a trace folder. */
export function traceFilePath(traceDir: string, runId: string): string {
  return join(traceDir, `${safeSegment(runId)}.log`);
}
