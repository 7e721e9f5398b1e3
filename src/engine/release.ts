/**
 * What a release is, shared by the release workflow, its activities, the
 * client and the audit store: its type and the `release.*` expression
 * namespace of a released run (docs/operations.md "Releases").
 */

/** Release types (docs/operations.md "Releases"). */
export const ReleaseType = {
  NORMAL: 'NORMAL',
  RERUN: 'RERUN',
  EVENT: 'EVENT',
  FORCE: 'FORCE',
  DRYRUN: 'DRYRUN',
} as const;
export type ReleaseType = (typeof ReleaseType)[keyof typeof ReleaseType];

// The seed's top-level names (`from ddeutil.workflow import NORMAL`), for `release(..., { releaseType: NORMAL })`.
/** `ReleaseType.NORMAL`: a release that runs once per workflow and minute (a second one is a SKIP). */
export const NORMAL = ReleaseType.NORMAL;
/** `ReleaseType.RERUN`: reruns what failed in the latest run of that release. */
export const RERUN = ReleaseType.RERUN;
/** `ReleaseType.EVENT`: an event-triggered release; runs once per minute like NORMAL, recorded as EVENT. */
export const EVENT = ReleaseType.EVENT;
/** `ReleaseType.FORCE`: runs again even when that release already ran. */
export const FORCE = ReleaseType.FORCE;
/** `ReleaseType.DRYRUN`: plans (params and jobs in run order) without running or auditing. */
export const DRYRUN = ReleaseType.DRYRUN;

/** The `release.*` expression namespace of a released run. */
export interface ReleaseInfo {
  /** The nominal (scheduled) time, ISO 8601 with its offset. */
  readonly logical_date: string;
  /** When the release actually started, ISO 8601. */
  readonly execute_date: string;
  /** The run id of the release's run. */
  readonly run_id: string;
  readonly type: ReleaseType;
}
