/**
 * `tempoflow runs [--workflow <name>] [--status <s>] [--limit n]`: recent
 * runs from Temporal's visibility store, newest first (`listRuns`).
 */
import type { Command } from 'commander';
import { listRuns, RUN_STATUS_FILTERS, type RunSummary } from '../client/runs.js';
import { action, CliExit, ExitCode, info, out, positiveNumber } from './common.js';
import { CONTROL, withRuntime } from './with-runtime.js';

/** Options of `tempoflow runs`. */
export interface RunsOptions {
  workflow?: string;
  status?: string;
  limit?: number;
  json?: boolean;
}

/** A listed run as `--json` prints it. */
function row(r: RunSummary): Record<string, unknown> {
  return {
    runId: r.runId,
    status: r.status,
    start: r.start.toISOString(),
    ...(r.close ? { close: r.close.toISOString() } : {}),
    ...(r.workflow ? { workflow: r.workflow } : {}),
    ...(r.releaseType ? { releaseType: r.releaseType } : {}),
    ...(r.releaseTime ? { releaseTime: r.releaseTime.toISOString() } : {}),
  };
}

/** `tempoflow runs`. */
export async function runsCommand(opts: RunsOptions = {}): Promise<ExitCode> {
  if (opts.status !== undefined && !(opts.status.toLowerCase() in RUN_STATUS_FILTERS)) {
    throw new CliExit(ExitCode.INVALID, `--status ${opts.status}: use one of ${Object.keys(RUN_STATUS_FILTERS).join(', ')}`);
  }
  return withRuntime(CONTROL, async (runtime) => {
    const { query, runs } = await listRuns({ ...opts, runtime });
    if (opts.json) out(JSON.stringify(runs.map(row), null, 2));
    else {
      if (runs.length === 0) info(`no runs match ${query}`);
      for (const r of runs) {
        const release = r.releaseType ? `  ${r.releaseType}${r.releaseTime ? ` @ ${r.releaseTime.toISOString()}` : ''}` : '';
        out(`${r.status.padEnd(10)} ${r.start.toISOString()}  ${r.runId}${release}`);
      }
    }
    return ExitCode.OK;
  });
}

export function register(program: Command): void {
  program
    .command('runs')
    .description('list recent runs (Temporal visibility), newest first')
    .option('--workflow <name>', 'only runs of this workflow (search attribute TfWorkflow)')
    .option('--status <status>', 'running | completed (success, skip) | failed (timeout) | canceled | terminated')
    .option('--limit <n>', 'at most this many runs', positiveNumber('--limit'), 20)
    .option('--json', 'print as JSON')
    .action(action(runsCommand));
}
