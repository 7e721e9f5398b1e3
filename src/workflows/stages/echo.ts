/**
 * `echo:` records its rendered message as the stage's output (`logs.stdout`
 * of its context, where `tempoflow run`, `tempoflow logs` and `onOutput` read
 * it), logs it to the workflow log, writes it to the run's trace file
 * through a worker sink and, with `sleep:`, waits on a durable timer. It
 * starts no activity (docs/semantics.md, "Stages").
 *
 * Workflow code: deterministic, no I/O.
 */
import { log, proxySinks, sleep } from '@temporalio/workflow';
import { DEFER_SECRETS, renderTemplate } from '../../expressions/index.js';
import { masked, renderSeconds } from '../../engine/render.js';
import type { TempoflowSinks } from '../../activities/types.js';
import type { StageKind } from './stage-kind.js';

const { trace } = proxySinks<TempoflowSinks>();

/** See the module doc. */
export const echoStage: StageKind<'echo'> = {
  async run(stage, { input, ctx, name, live }) {
    const message = masked(renderTemplate(stage.echo, ctx, DEFER_SECRETS));
    const logs = { stdout: message.endsWith('\n') ? message : `${message}\n`, stderr: '' };
    live.logs = logs; // seen by the status query while it sleeps
    log.info(`[${input.workflowName}] [${input.job.id}] [${stage.id}] ${message}`);
    trace.echo({ runId: input.runId, workflowName: input.workflowName, jobId: input.job.id, stageId: stage.id, message });
    if (stage.sleepSeconds !== undefined) {
      const seconds = renderSeconds(stage.sleepSeconds, ctx, 'sleep');
      if (seconds > 0) await sleep(seconds * 1000, { summary: `${input.job.id} / ${name}: sleep ${seconds} s` });
    }
    return { ok: true, outputs: {}, logs };
  },
};
