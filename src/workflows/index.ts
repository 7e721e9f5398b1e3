/**
 * Temporal workflow code only. Everything here runs in the deterministic
 * sandbox: no I/O, no Node built-ins, no clocks or randomness but the SDK's.
 * Activities are reached through `proxyActivities` and imported as types.
 */
import { tempoflowMatrixBatch as matrixBatch } from './combinations.js';
import { tempoflowConcurrencyGroup as concurrencyGroup } from './concurrency-group.js';
import { guarded } from './guard.js';
import { tempoflowJob as jobWorkflow } from './job-workflow.js';
import { tempoflowRelease as releaseWorkflow } from './release-workflow.js';
import { tempoflowRun as runEntry } from './run-entry.js';

export { cancelSignal, statusQuery } from './definitions.js';

/**
 * The interpreter workflow: runs one tempoflow workflow from its YAML
 * snapshot, or from its name for other Temporal clients (`run-entry.ts`).
 */
export const tempoflowRun = guarded('tempoflowRun', runEntry);

/** One job (a matrix combination or a foreach chunk) as a child workflow. */
export const tempoflowJob = guarded('tempoflowJob', jobWorkflow);

/** A batch of combinations of a very large matrix. */
export const tempoflowMatrixBatch = guarded('tempoflowMatrixBatch', matrixBatch);

/** A release: a scheduled or manual run of a workflow, with its audit record. */
export const tempoflowRelease = guarded('tempoflowRelease', releaseWorkflow);

/** A concurrency group: its holders and FIFO queue (docs/semantics.md, "Concurrency groups"). */
export const tempoflowConcurrencyGroup = guarded('tempoflowConcurrencyGroup', concurrencyGroup);
