/**
 * `tempoflowJob`: one job as a child workflow of the run — a matrix
 * combination (id `<run>.<job>.<matrix key>`) or a chunk of a large
 * `foreach`. Its `status` query answers with the live job context; the
 * `approval` signal reaches its approval stages.
 */
import { CancellationScope, CancelledFailure, setHandler } from '@temporalio/workflow';
import { capContext } from '../engine/caps.js';
import type { JobContext } from '../engine/context.js';
import { isFailure } from '../engine/status.js';
import { endingFailure } from './child-outcome.js';
import { GroupSlots } from './concurrency.js';
import { approvalSignal, jobStatusQuery, RunFailureType, type JobRunInput } from './definitions.js';
import { JobRunner } from './job-runner.js';
import { StopState } from './stop-state.js';
import { WaitingDetails } from './waiting-details.js';

/** Runs one job; FAILED/TIMEOUT fail the child (details: the job context), CANCEL ends it Cancelled. */
export async function tempoflowJob(input: JobRunInput): Promise<JobContext> {
  const root = CancellationScope.current();
  // A combination with `concurrency:` holds a slot of its own (the chunks of a large foreach run in their job's).
  const waiting = new WaitingDetails();
  const group = input.job.concurrency && !input.foreachChunk ? { slots: new GroupSlots(waiting) } : undefined;
  const runner = new JobRunner(input, StopState.ofWorkflow(root), waiting, group);
  setHandler(jobStatusQuery, () => runner.state);
  setHandler(approvalSignal, (decision) => runner.decide(decision));
  const state = await runner.run();
  if (root.consideredCancelled) throw new CancelledFailure(`combination ${input.matrixKey ?? ''} of job ${input.job.id} cancelled`);
  if (isFailure(state.status)) {
    const first = state.errors[0];
    const message = `job ${input.job.id} ${state.status}${first ? `: ${first.stage ? `${first.stage}: ` : ''}${first.message}` : ''}`.slice(0, 2000);
    throw endingFailure(RunFailureType.JOB_FAILED, message, summarizeJob(state));
  }
  return summarizeJob(state);
}

/** The job context, capped to 1 MB of JSON for a failure's details. */
function summarizeJob(state: JobContext): JobContext {
  const summary = capContext({ params: {}, jobs: { job: state }, status: state.status, start: state.start ?? '', errors: [] });
  return summary.jobs['job'] ?? state;
}
