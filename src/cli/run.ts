/**
 * `tempoflow run <name>`: runs a workflow and shows each job's status as it
 * finishes, the final status and the run's Web UI link. The first Ctrl-C
 * cancels the run; a second one detaches.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { WorkflowHandle } from '@temporalio/client';
import { parse as parseYaml } from 'yaml';
import type { RunContext } from '../engine/context.js';
import { Status } from '../engine/status.js';
import { TempoflowRuntime } from '../client/runtime.js';
import { Workflow } from '../client/workflow.js';
import { statusQuery } from '../workflows/definitions.js';
import { action, CliExit, collectParam, ExitCode, info, positiveNumber } from './common.js';

interface RunOptions {
  param?: Record<string, string>;
  paramsFile?: string;
  json?: boolean;
  timeout?: number;
  maxJobParallel?: number;
  job?: string[];
  detach?: boolean;
  conf?: string;
  runId?: string;
}

export function register(program: Command): void {
  program
    .command('run')
    .description('run a workflow and wait for its result')
    .argument('<name>', 'workflow name')
    .option('-p, --param <key=value>', 'a param value (repeatable)', collectParam)
    .option('--params-file <file>', 'params from a JSON or YAML file (-p wins)')
    .option('--json', 'print the result as JSON on stdout')
    .option('--timeout <seconds>', 'run timeout', positiveNumber('--timeout'))
    .option('--max-job-parallel <n>', 'jobs running at once', positiveNumber('--max-job-parallel'))
    .option('--job <id...>', 'run only these jobs')
    .option('--detach', 'start the run and return at once')
    .option('--run-id <id>', 'run id (attaches when it exists)')
    .option('--conf <path>', 'conf path (default WORKFLOW_CORE_CONF_PATH or ./conf)')
    .action(action((name: string, opts: RunOptions) => runCommand(name, opts)));
}

function readParamsFile(file: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CliExit(ExitCode.INVALID, `cannot read --params-file ${file}: ${(err as Error).message}`);
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new CliExit(ExitCode.INVALID, `--params-file ${file} must hold a map of param names to values`);
  return data as Record<string, unknown>;
}

async function runCommand(name: string, opts: RunOptions): Promise<ExitCode> {
  const wf = await Workflow.fromConf(name, { path: opts.conf });
  const params = { ...(opts.paramsFile ? readParamsFile(opts.paramsFile) : {}), ...(opts.param ?? {}) };
  wf.parameterize(params); // fail on bad params before connecting to anything
  const runtime = await TempoflowRuntime.connect({ log: info });
  const abort = new AbortController();
  let interrupts = 0;
  let detachNow: (() => void) | undefined;
  const detached = new Promise<'detached'>((res) => (detachNow = () => res('detached')));
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      info('cancelling the run... (press Ctrl-C again to detach)');
      abort.abort();
    } else detachNow?.();
  };
  process.on('SIGINT', onSigint);
  let stopProgress = () => undefined as void;
  const printed = new Set<string>();
  let temporalRunId: string | undefined;
  try {
    if (opts.detach) {
      return await detachRun(wf, runtime, params, opts);
    }
    const result = wf.execute(params, {
      runtime,
      signal: abort.signal,
      ...(opts.timeout ? { timeout: opts.timeout } : {}),
      ...(opts.maxJobParallel ? { maxJobParallel: opts.maxJobParallel } : {}),
      ...(opts.job ? { jobs: opts.job } : {}),
      ...(opts.runId ? { runId: opts.runId } : {}),
      onStart: ({ runId, handle, uiUrl, attached, temporalRunId: trid }) => {
        temporalRunId = trid;
        info(`${attached ? 'attached to' : 'started'} run ${runId} of ${name}${uiUrl ? `\n  ${uiUrl}` : ''}`);
        if (!opts.json) stopProgress = showProgress(handle, printed);
      },
    });
    const first = await Promise.race([result, detached]);
    stopProgress();
    if (first === 'detached') {
      info(`detached; the run goes on${runtime.isEmbedded ? ' when a worker serves it (`tempoflow dev`)' : ''}`);
      return ExitCode.RUN_NOT_SUCCESS;
    }
    const res = first;
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(res.toJSON(), null, 2)}\n`);
    } else {
      printJobs(res.context, printed);
      for (const e of res.errors) info(`  error: ${e.job ? `${e.job}${e.stage ? `.${e.stage}` : ''}: ` : ''}${e.message}${e.location ? ` (${e.location})` : ''}`);
      process.stdout.write(`${res.status}\n`);
      const link = runtime.uiLink(res.runId, temporalRunId);
      if (link) info(`  ${link}${runtime.startedEmbeddedServer ? '\n  (the embedded server stops with this command; keep `tempoflow dev` running to browse runs in the Web UI)' : ''}`);
    }
    return res.status === Status.SUCCESS ? ExitCode.OK : ExitCode.RUN_NOT_SUCCESS;
  } finally {
    stopProgress();
    process.off('SIGINT', onSigint);
    await runtime.close();
  }
}

async function detachRun(wf: Workflow, runtime: TempoflowRuntime, params: Record<string, unknown>, opts: RunOptions): Promise<ExitCode> {
  if (runtime.isEmbedded) {
    throw new CliExit(ExitCode.INVALID, '--detach needs a server that outlives this command: start `tempoflow dev` in another terminal, or set TEMPORAL_ADDRESS');
  }
  const abort = new AbortController();
  let started = '';
  const pending = wf.execute(params, {
    runtime,
    ...(opts.timeout ? { timeout: opts.timeout } : {}),
    ...(opts.runId ? { runId: opts.runId } : {}),
    onStart: ({ runId, uiUrl }) => {
      started = runId;
      process.stdout.write(`${runId}\n`);
      if (uiUrl) info(`  ${uiUrl}`);
      abort.abort();
    },
  });
  await Promise.race([pending, new Promise((r) => abort.signal.addEventListener('abort', r))]);
  return started ? ExitCode.OK : ExitCode.ERROR;
}

/** Prints jobs that reached a terminal status since the last call. */
function printJobs(ctx: RunContext, printed: Set<string>): void {
  for (const [id, job] of Object.entries(ctx.jobs)) {
    if (job.status === Status.WAIT || printed.has(id)) continue;
    printed.add(id);
    const reason = job.status !== Status.SUCCESS && job.reason ? ` (${job.reason})` : '';
    info(`  job ${id}: ${job.status}${reason}`);
  }
}

/** Polls the `status` query and prints each job as it finishes. */
function showProgress(handle: WorkflowHandle, printed: Set<string>): () => void {
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    try {
      printJobs(await handle.query(statusQuery), printed);
    } catch {
      /* not yet queryable, or already closed */
    }
    if (!stopped) timer = setTimeout(tick, 500);
  };
  let timer = setTimeout(tick, 300);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
