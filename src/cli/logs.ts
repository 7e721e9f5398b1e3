/**
 * `tempoflow logs <run> [--follow]`: each finished stage's stdout/stderr
 * tails (nested stages included), prefixed `[WORKFLOW] [JOB] [STAGE]`, then
 * the trace file `<trace path>/<run>.log` when this machine has it.
 * `--follow` prints every line the stages print as they come
 * (`RunHandle.output()`, read through Temporal, so from any machine that
 * reaches the server), until the run ends. The data comes from the run
 * handle; this file only prints it.
 */
import type { Command } from 'commander';
import { getRun } from '../client/run-handle.js';
import type { RunLogs, StageLog } from '../client/run-logs.js';
import { action, ExitCode, info, out } from './common.js';
import { CONTROL, withRuntime } from './with-runtime.js';

/** The lines of one stage's tails, each prefixed `[workflow] [job] [stage]`. */
export function logLines(workflow: string, log: StageLog): string[] {
  const lines: string[] = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    if (log[stream] === '') continue;
    for (const line of log[stream].replace(/\n$/, '').split('\n')) lines.push(`[${workflow}] [${log.job}] [${log.path}]${stream === 'stderr' ? ' (stderr)' : ''} ${line}`);
  }
  return lines;
}

/** `tempoflow logs <run>`. */
export async function logsCommand(runId: string, opts: { follow?: boolean; tracePath?: string } = {}): Promise<ExitCode> {
  return withRuntime(CONTROL, async (runtime) => {
    const run = await getRun(runId, { runtime });
    const workflow = run.workflowName ?? runId;
    const printed = new Set<string>();
    const print = (logs: RunLogs) => {
      for (const log of logs.stages) {
        const key = `${log.job}/${log.path}`;
        if (printed.has(key)) continue;
        printed.add(key);
        for (const line of logLines(workflow, log)) out(line);
      }
    };
    const traceDir = opts.tracePath;
    if (opts.follow) {
      for await (const line of run.output())
        out(`[${workflow}] [${line.job}${line.matrixKey !== undefined ? `[${line.matrixKey}]` : ''}] [${line.stage}]${line.stream === 'stderr' ? ' (stderr)' : ''} ${line.text}`);
      const logs = await run.logs({ ...(traceDir ? { traceDir } : {}) });
      if (logs.trace !== undefined) info(`(the trace file ${logs.traceFile} has the whole output)`);
      info(`run ${runId}: ${logs.status}`);
      return ExitCode.OK;
    }
    const logs = await run.logs({ ...(traceDir ? { traceDir } : {}) });
    print(logs);
    if (logs.trace !== undefined) {
      info(`--- trace file ${logs.traceFile} ---`);
      process.stdout.write(logs.trace);
    } else info(`(no trace file ${logs.traceFile} on this machine; the tails above come from the run's context)`);
    info(`run ${runId}: ${logs.status}${logs.running ? ' (running)' : ''}`);
    return ExitCode.OK;
  });
}

export function register(program: Command): void {
  program
    .command('logs')
    .description("print a run's stage output tails and its trace file; --follow polls until it ends")
    .argument('<run>', 'run id')
    .option('-f, --follow', 'keep printing until the run ends')
    .option('--trace-path <dir>', 'trace folder (default WORKFLOW_CORE_TRACE_PATH or .tempoflow/traces)')
    .action(action(logsCommand));
}
