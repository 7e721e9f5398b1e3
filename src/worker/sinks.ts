/**
 * The worker side of the sinks workflow code calls (`TempoflowSinks`):
 * an `echo` stage's message goes to the run's trace file, prefixed and
 * masked like a `bash` stage's output (docs/semantics.md, "Stages"). Sinks
 * run after the workflow activation, on the worker, and not during replay.
 */
import type { InjectedSinks } from '@temporalio/worker';
import type { ActivityConfig } from '../activities/index.js';
import { SecretStore } from '../activities/secrets.js';
import { StageTrace, TRACE_STAGE_BYTES } from '../activities/trace.js';
import type { TempoflowSinks } from '../activities/types.js';

/** The sinks of a worker whose stage activities use `config`. */
export function createSinks(config: ActivityConfig): InjectedSinks<TempoflowSinks> {
  const secrets = config.secrets ?? SecretStore.fromEnv(config.baseEnv);
  return {
    trace: {
      echo: {
        fn(_info, line) {
          const address = { runId: line.runId, workflowName: line.workflowName, jobId: line.jobId, stageId: line.stageId, stageName: line.stageId, location: '', attempt: 1 };
          new StageTrace(config.traceDir, address, config.traceStageBytes ?? TRACE_STAGE_BYTES, secrets.masker()).output('log', line.message.endsWith('\n') ? line.message : `${line.message}\n`);
        },
        callDuringReplay: false,
      },
    },
  };
}
