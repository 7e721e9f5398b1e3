/**
 * `tempoflow logs <run> [--follow]`: each stage's stdout/stderr tails from
 * the run's context (they are part of each stage's result, so this works
 * from any machine that reaches the server), prefixed `[WORKFLOW] [JOB]
 * [STAGE]`, then the full trace file `<trace path>/<run>.log` when this
 * machine has it. `--follow` polls until the run ends.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { TempoflowRuntime } from '../client/runtime.js';
import type { RunContext, StageContext } from '../engine/context.js';
import { action, ExitCode, info } from './common.js';
import { fetchContext } from './control.js';

/** Lines of one stage's tails, each prefixed. */
export function stageLines(workflow: string, job: string, stage: string, st: StageContext): string[] {
  const out: string[] = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    const text = st.logs?.[stream] ?? st.outputs?.[stream];
    if (typeof text !== 'string' || text === '') continue;
    for (const line of text.replace(/\n$/, '').split('\n')) out.push(`[${workflow}] [${job}] [${stage}]${stream === 'stderr' ? ' (stderr)' : ''} ${line}`);
  }
  return out;
}

/** Every finished stage (nested ones included, as `parent.key.stage`) with its key. */
export function finishedStages(context: RunContext): { key: string; job: string; stage: string; st: StageContext }[] {
  const out: { key: string; job: string; stage: string; st: StageContext }[] = [];
  const visit = (job: string, prefix: string, stages: Record<string, StageContext>) => {
    for (const [id, st] of Object.entries(stages)) {
      const path = `${prefix}${id}`;
      if (st.status !== 'WAIT') out.push({ key: `${job}/${path}`, job, stage: path, st });
      for (const nestedKey of ['parallel', 'foreach', 'until', 'branches', 'case'] as const) {
        const nested = (st.outputs as Record<string, unknown> | undefined)?.[nestedKey];
        if (!nested || typeof nested !== 'object') continue;
        for (const [key, entry] of Object.entries(nested as Record<string, { stages?: Record<string, StageContext> }>)) {
          if (entry?.stages) visit(job, `${path}.${key}.`, entry.stages);
        }
      }
    }
  };
  for (const [jobId, job] of Object.entries(context.jobs)) visit(jobId, '', job.stages);
  return out;
}

const TF_WORKFLOW = defineSearchAttributeKey('TfWorkflow', SearchAttributeType.KEYWORD);

/** The workflow name of a run: its `TfWorkflow` attribute, else read from the run id. */
async function workflowName(runtime: TempoflowRuntime, runId: string): Promise<string> {
  try {
    const d = await runtime.client.workflow.getHandle(runId).describe();
    const name = d.typedSearchAttributes.get(TF_WORKFLOW);
    if (name) return name;
  } catch {
    /* fall back to the id */
  }
  const release = /^tf:([^:]+):\d{12}/.exec(runId);
  if (release) return release[1]!;
  const plain = /^(.*)-\d{8}T\d{6}Z-[0-9a-f]{6}$/.exec(runId);
  return plain?.[1] ?? runId;
}

/** Reads a file from `offset`; returns the new text and offset. */
function readFrom(path: string, offset: number): { text: string; offset: number } {
  const size = statSync(path).size;
  if (size <= offset) return { text: '', offset };
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(size - offset);
    readSync(fd, buf, 0, buf.length, offset);
    return { text: buf.toString('utf8'), offset: size };
  } finally {
    closeSync(fd);
  }
}

export function register(program: Command): void {
  program
    .command('logs')
    .description("print a run's stage output tails and its trace file; --follow polls until it ends")
    .argument('<run>', 'run id')
    .option('-f, --follow', 'keep printing until the run ends')
    .option('--trace-path <dir>', 'trace folder (default WORKFLOW_CORE_TRACE_PATH or .tempoflow/traces)')
    .action(
      action(async (runId: string, opts: { follow?: boolean; tracePath?: string }) => {
        const runtime = await TempoflowRuntime.connect({ log: info, inProcessWorker: false });
        try {
          const workflow = await workflowName(runtime, runId);
          const traceFile = join(resolve(opts.tracePath ?? process.env.WORKFLOW_CORE_TRACE_PATH ?? '.tempoflow/traces'), `${runId.replace(/[^A-Za-z0-9_.:=-]/g, '_')}.log`);
          const printed = new Set<string>();
          for (;;) {
            const { context, running } = await fetchContext(runtime, runId);
            for (const s of finishedStages(context)) {
              if (printed.has(s.key)) continue;
              printed.add(s.key);
              for (const line of stageLines(workflow, s.job, s.stage, s.st)) process.stdout.write(`${line}\n`);
            }
            if (!running || !opts.follow) {
              if (existsSync(traceFile)) {
                info(`--- trace file ${traceFile} ---`);
                process.stdout.write(readFrom(traceFile, 0).text);
              } else info(`(no trace file ${traceFile} on this machine; the tails above come from the run's context)`);
              info(`run ${runId}: ${context.status}${running ? ' (running)' : ''}`);
              return ExitCode.OK;
            }
            await new Promise((r) => setTimeout(r, 1000));
          }
        } finally {
          await runtime.close();
        }
      }),
    );
}
