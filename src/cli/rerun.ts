/**
 * `tempoflow rerun <run> [--from-stage <job>.<stage>]`: reruns a finished
 * run from its YAML snapshot and params (`rerunRun`): jobs that did not
 * succeed and their dependents run again, the rest is kept (marked reused).
 * After Temporal's retention the audit record is the source.
 */
import type { Command } from 'commander';
import { RerunPlanError, rerunRun } from '../client/release.js';
import { Status } from '../client/result.js';
import { action, CliExit, errorLine, ExitCode, info, out, positiveNumber } from './common.js';
import { withRuntime } from './with-runtime.js';

/** Options of `tempoflow rerun`. */
export interface RerunCliOptions {
  fromStage?: string;
  runId?: string;
  timeout?: number;
  maxJobParallel?: number;
  json?: boolean;
}

/** `tempoflow rerun <run>`; Ctrl-C cancels the new run. */
export async function rerunCommand(runId: string, opts: RerunCliOptions = {}): Promise<ExitCode> {
  return withRuntime({}, async (runtime) => {
    const abort = new AbortController();
    const onSigint = () => {
      info('cancelling the rerun...');
      abort.abort();
    };
    process.on('SIGINT', onSigint);
    try {
      const result = await rerunRun(runId, {
        runtime,
        signal: abort.signal,
        ...(opts.fromStage ? { fromStage: opts.fromStage } : {}),
        ...(opts.runId ? { runId: opts.runId } : {}),
        ...(opts.timeout ? { timeout: opts.timeout } : {}),
        ...(opts.maxJobParallel ? { maxJobParallel: opts.maxJobParallel } : {}),
        onStart: ({ runId: id, rerun, uiUrl }) => info(`started rerun ${id} of ${runId}: rerunning ${rerun.join(', ')}${uiUrl ? `\n  ${uiUrl}` : ''}`),
      }).catch((err: unknown) => {
        if (err instanceof RerunPlanError) throw new CliExit(ExitCode.INVALID, `error: ${err.message}`);
        throw err;
      });
      if (opts.json) out(JSON.stringify(result.toJSON(), null, 2));
      else {
        for (const [id, job] of Object.entries(result.context.jobs)) info(`  job ${id}: ${job.status}${job.reusedFrom ? ` (reused from ${job.reusedFrom})` : ''}`);
        for (const e of result.errors) info(`  ${errorLine(e)}`);
        out(`${result.status} ${result.runId}`);
      }
      return result.status === Status.SUCCESS ? ExitCode.OK : ExitCode.RUN_NOT_SUCCESS;
    } finally {
      process.off('SIGINT', onSigint);
    }
  });
}

export function register(program: Command): void {
  program
    .command('rerun')
    .description('rerun the failed jobs of a run (and what depends on them), reusing the rest')
    .argument('<run>', 'run id of the run to rerun')
    .option('--from-stage <job.stage>', 'restart that failed job from that stage, keeping the stages before it')
    .option('--run-id <id>', 'run id of the new run')
    .option('--timeout <seconds>', 'run timeout', positiveNumber('--timeout'))
    .option('--max-job-parallel <n>', 'jobs running at once', positiveNumber('--max-job-parallel'))
    .option('--json', 'print the result as JSON')
    .action(action(rerunCommand));
}
