/**
 * `tempoflowJob`: one matrix combination of a job, as a child workflow of
 * the run. Its id hashes the matrix key, its summary names the combination,
 * and its `status` query answers with the combination's live job context.
 */
import { ApplicationFailure, CancellationScope, CancelledFailure, setHandler } from '@temporalio/workflow';
import { capContext } from '../engine/caps.js';
import type { JobContext } from '../engine/context.js';
import { isFailure, Status } from '../engine/status.js';
import { approvalSignal, jobStatusQuery, RunFailureType, type JobRunInput } from './definitions.js';
import { JobRunner } from './job-runner.js';

/** Runs one combination; FAILED/TIMEOUT fail the child (details: the job context), CANCEL ends it Cancelled. */
export async function tempoflowJob(input: JobRunInput): Promise<JobContext> {
  const root = CancellationScope.current();
  const runner = new JobRunner(input, { stopCause: () => (root.consideredCancelled ? 'cancel' : undefined) });
  setHandler(jobStatusQuery, () => runner.state);
  setHandler(approvalSignal, (decision) => runner.decide(decision));
  const state = await runner.run();
  if (root.consideredCancelled) throw new CancelledFailure(`combination ${input.matrixKey ?? ''} of job ${input.job.id} cancelled`);
  if (isFailure(state.status)) {
    const first = state.errors[0];
    throw ApplicationFailure.create({
      type: RunFailureType.JOB_FAILED,
      message: `job ${input.job.id} ${state.status}${first ? `: ${first.stage ? `${first.stage}: ` : ''}${first.message}` : ''}`.slice(0, 2000),
      nonRetryable: true,
      details: [summarizeJob(state)],
    });
  }
  return summarizeJob(state);
}

/** The job context, capped to 1 MB of JSON for a failure's details. */
function summarizeJob(state: JobContext): JobContext {
  const summary = capContext({ params: {}, jobs: { job: state }, status: state.status, start: state.start ?? '', errors: [] });
  return summary.jobs['job'] ?? state;
}
