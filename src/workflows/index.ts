/**
 * Temporal workflow code only. Everything here runs in the deterministic
 * sandbox: no I/O, no Node built-ins, no clocks or randomness but the SDK's.
 * Activities are reached through `proxyActivities` and imported as types.
 */
import type { RunOutcome } from '../engine/context.js';
import type { RunInput } from './definitions.js';
import { Interpreter } from './interpreter.js';

export { cancelSignal, statusQuery } from './definitions.js';
export { tempoflowJob } from './job-workflow.js';
export { tempoflowRelease } from './release-workflow.js';
export { tempoflowMatrixBatch } from './combinations.js';

/** The interpreter workflow: runs one tempoflow workflow from its YAML snapshot. */
export async function tempoflowRun(input: RunInput): Promise<RunOutcome> {
  return new Interpreter(input).execute();
}
