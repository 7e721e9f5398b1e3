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
