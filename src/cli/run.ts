/**
 * `tempoflow run <name>`: starts a run (`Workflow.start()`) and shows it as
 * it goes (`run-view.ts`: a live tree on a terminal, one line per event
 * elsewhere, stage output prefixed `job / stage`), then the final status and
 * the run's Web UI link.
 * The first Ctrl-C cancels the run; a second one detaches. `--detach`
 * starts the run with the same options and prints its id at once.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { Status } from '../client/result.js';
import type { RunHandle } from '../client/run-handle.js';
import { findWorkerHost, processAlive } from '../client/embedded-server.js';
import { DEFAULT_TASK_QUEUE, remoteConfigured, type TempoflowRuntime } from '../client/runtime.js';
import { Workflow, type StartOptions } from '../client/workflow.js';
import { action, CliExit, collectParam, errorLine, ExitCode, info, out, positiveNumber } from './common.js';
import { RunView } from './run-view.js';
import { withRuntime } from './with-runtime.js';

/** Options of `tempoflow run`. */
export interface RunOptions {
  param?: Record<string, string>;
  paramsFile?: string;
  json?: boolean;
  timeout?: number;
  maxJobParallel?: number;
  job?: string[];
  detach?: boolean;
  quiet?: boolean;
  conf?: string;
  runId?: string;
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

/** The run options of the command line, as `start()` takes them: the same with and without `--detach`. */
function startOptions(opts: RunOptions, runtime: TempoflowRuntime): StartOptions {
  return {
    runtime,
    ...(opts.timeout ? { timeout: opts.timeout } : {}),
    ...(opts.maxJobParallel ? { maxJobParallel: opts.maxJobParallel } : {}),
    ...(opts.job ? { jobs: opts.job } : {}),
    ...(opts.runId ? { runId: opts.runId } : {}),
  };
}

/** `tempoflow run <name>`. */
export async function runCommand(name: string, opts: RunOptions = {}): Promise<ExitCode> {
  const wf = await Workflow.fromConf(name, { path: opts.conf });
  const params = { ...(opts.paramsFile ? readParamsFile(opts.paramsFile) : {}), ...(opts.param ?? {}) };
  wf.parameterize(params); // fail on bad params before connecting to anything
  if (opts.detach) return detachedRun(wf, params, opts);
  return withRuntime({}, (runtime) => foregroundRun(wf, params, opts, runtime));
}

async function foregroundRun(wf: Workflow, params: Record<string, unknown>, opts: RunOptions, runtime: TempoflowRuntime): Promise<ExitCode> {
  let run: RunHandle | undefined;
  let interrupts = 0;
  let detachNow: () => void = () => undefined;
  const detached = new Promise<'detached'>((res) => (detachNow = () => res('detached')));
  const cancel = () => void run?.cancel().catch(() => undefined);
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      info('cancelling the run... (press Ctrl-C again to detach)');
      cancel();
    } else detachNow();
  };
  process.on('SIGINT', onSigint);
  const stopFollowing = new AbortController();
  let view: RunView | undefined;
  try {
    run = await wf.start(params, startOptions(opts, runtime));
    info(`${run.attached ? 'attached to' : 'started'} run ${run.runId} of ${wf.name}${run.uiUrl ? `\n  ${run.uiUrl}` : ''}`);
    if (interrupts > 0) cancel(); // Ctrl-C while starting
    view = new RunView({
      runId: run.runId,
      workflowName: wf.name,
      jobOrder: Object.keys(wf.jobs),
      live: !opts.json && Boolean(process.stderr.isTTY) && Boolean(process.stdout.isTTY),
      ...(opts.quiet ? { quiet: true } : {}),
      lines: opts.json ? process.stderr : process.stdout,
      info,
    });
    const following = follow(run, view, runtime, stopFollowing.signal);
    const first = await Promise.race([run.result(), detached]);
    if (first === 'detached') {
      stopFollowing.abort();
      view.finish();
      info(`detached; ${detachedNote(runtime)}`);
      return ExitCode.RUN_NOT_SUCCESS;
    }
    // The follower's last look prints the lines of the stages that ended last.
    await Promise.race([following, new Promise((r) => setTimeout(r, FINAL_LOOK_MS))]);
    stopFollowing.abort();
    view.finish();
    if (opts.json) out(JSON.stringify(first.toJSON(), null, 2));
    else {
      for (const e of first.errors) info(`  ${errorLine(e)}`);
      out(first.status);
      if (run.uiUrl) info(`  ${run.uiUrl}${runtime.startedEmbeddedServer ? '\n  (the embedded server stops with this command; keep `tempoflow dev` running to browse runs in the Web UI)' : ''}`);
    }
    return first.status === Status.SUCCESS ? ExitCode.OK : ExitCode.RUN_NOT_SUCCESS;
  } finally {
    stopFollowing.abort();
    view?.finish();
    process.off('SIGINT', onSigint);
  }
}

/** How long the run's end waits for the follower's last look, ms. */
const FINAL_LOOK_MS = 5000;

/** Shows the run's snapshots until it ends or `signal` aborts; never throws. */
async function follow(run: RunHandle, view: RunView, runtime: TempoflowRuntime, signal: AbortSignal): Promise<void> {
  let hostGone = false;
  try {
    for await (const snapshot of run.watch({ signal })) {
      view.update(snapshot);
      const host = runtime.workerHost;
      if (host && !hostGone && !processAlive(host.pid)) {
        hostGone = true;
        info(`${host.kind} (pid ${host.pid}) stopped: the run waits until a worker serves task queue '${host.taskQueue}' again (start \`tempoflow dev\`)`);
      }
    }
  } catch (err) {
    if (!signal.aborted) info(`(cannot show the run's progress: ${(err as Error).message})`);
  }
}

/** `--detach`: starts the run with every run option and prints its id. */
async function detachedRun(wf: Workflow, params: Record<string, unknown>, opts: RunOptions): Promise<ExitCode> {
  if (!remoteConfigured() && !findWorkerHost(process.env.WORKFLOW_CORE_TASK_QUEUE ?? DEFAULT_TASK_QUEUE)) {
    throw new CliExit(
      ExitCode.INVALID,
      '--detach needs a server and a worker that outlive this command: start `tempoflow dev` in another terminal (in this directory), or set TEMPORAL_ADDRESS to your cluster',
    );
  }
  return withRuntime({}, async (runtime) => {
    const run = await wf.start(params, startOptions(opts, runtime));
    out(run.runId);
    if (run.uiUrl) info(`  ${run.uiUrl}`);
    return ExitCode.OK;
  });
}

/** What happens to a run this command leaves. */
function detachedNote(runtime: TempoflowRuntime): string {
  if (!runtime.isEmbedded || runtime.workerHost) return `the run goes on (\`tempoflow status\`, \`tempoflow logs --follow\`)`;
  return `the run waits for a worker on task queue '${runtime.taskQueue}', private to this command: \`tempoflow worker --task-queue ${runtime.taskQueue}\` serves it (next time, start \`tempoflow dev\` first)`;
}

export function register(program: Command): void {
  program
    .command('run')
    .description('run a workflow and wait for its result')
    .argument('<name>', 'workflow name')
    .option('-p, --param <key=value>', 'a param value (repeatable)', collectParam)
    .option('--params-file <file>', 'params from a JSON or YAML file (-p wins)')
    .option('--json', 'print the result as JSON on stdout (stage output goes to stderr)')
    .option('-q, --quiet', "hide the stages' output")
    .option('--timeout <seconds>', 'run timeout', positiveNumber('--timeout'))
    .option('--max-job-parallel <n>', 'jobs running at once', positiveNumber('--max-job-parallel'))
    .option('--job <id...>', 'run only these jobs (their needs are not required to have run)')
    .option('--detach', 'start the run with these options, print its id and return at once')
    .option('--run-id <id>', 'run id (attaches when it exists)')
    .option('--conf <path>', 'conf path (default WORKFLOW_CORE_CONF_PATH or ./conf)')
    .action(action(runCommand));
}
