/**
 * Shared CLI plumbing: one wrapper owns error printing and exit codes, so
 * every command reports problems the same way. (The connection of a
 * command is `with-runtime.ts`: this module stays free of the Temporal SDK,
 * so `validate`, `list`, `graph` and `schema` load without it.)
 *
 * Commands are thin wrappers over the public API (src/client): each file
 * exports its command body as a function, so it can be called without
 * spawning the CLI.
 */
import type { ErrorInfo } from '../client/result.js';
import { ConfigError, formatIssue, WorkflowNotFoundError } from '../config/errors.js';
import { ParamError, RunEndedError, RunNotFoundError } from '../errors.js';

/** Exit codes. */
export const ExitCode = {
  OK: 0,
  /** The run ended in anything but SUCCESS. */
  RUN_NOT_SUCCESS: 1,
  /** Invalid configuration or params: nothing ran. */
  INVALID: 2,
  /** Could not reach or start Temporal, or another operational error. */
  ERROR: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Thrown by commands to end with a message and a code. */
export class CliExit extends Error {
  constructor(
    readonly code: ExitCode,
    message = '',
  ) {
    super(message);
  }
}

/** Writes to stderr (progress and diagnostics never mix with --json stdout). */
export function info(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Wraps a command action: prints known errors cleanly and sets the exit code. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<ExitCode | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      process.exitCode = code ?? ExitCode.OK;
    } catch (err) {
      process.exitCode = report(err);
    }
  };
}

/** Prints an error the way users should see it; returns its exit code. */
export function report(err: unknown): ExitCode {
  if (err instanceof CliExit) {
    if (err.message) info(err.message);
    return err.code;
  }
  if (err instanceof ConfigError) {
    for (const issue of err.issues) info(formatIssue(issue));
    const errors = err.issues.filter((i) => i.severity === 'error').length;
    info(`${errors} error${errors === 1 ? '' : 's'}; nothing ran`);
    return ExitCode.INVALID;
  }
  if (err instanceof WorkflowNotFoundError || err instanceof ParamError || err instanceof RunNotFoundError || err instanceof RunEndedError) {
    info(`error: ${err.message}`);
    return ExitCode.INVALID;
  }
  const e = err as Error;
  info(`error: ${e?.message ?? String(err)}`);
  if (process.env.TEMPOFLOW_DEBUG) info(e?.stack ?? '');
  return ExitCode.ERROR;
}

/** One error of a run, as every command prints it: `job.stage: message (file:line:col)`. */
export function errorLine(e: ErrorInfo): string {
  return `error: ${e.job ? `${e.job}${e.stage ? `.${e.stage}` : ''}: ` : ''}${e.message}${e.location ? ` (${e.location})` : ''}`;
}

/** Writes one line to stdout (results; progress goes to stderr with {@link info}). */
export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Collects repeated `-p key=value` options. */
export function collectParam(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new CliExit(ExitCode.INVALID, `-p expects key=value, got '${value}'`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

/** Parses a positive number option. */
export function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new CliExit(ExitCode.INVALID, `${name} expects a positive number, got '${value}'`);
    return n;
  };
}
