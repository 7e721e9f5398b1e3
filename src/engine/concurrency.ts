/**
 * Concurrency groups (docs/semantics.md, "Concurrency groups"): the limits
 * of `concurrency:`, the rule a group key follows, the group workflow's id,
 * and what a run's or job's context records about its slot. One home for
 * the validator (literal keys), the interpreter (rendered keys), the group
 * workflow and the client.
 *
 * Pure module: safe to import from workflow code.
 */

/** `limit:` when the YAML gives none. */
export const DEFAULT_CONCURRENCY_LIMIT = 1;
/** Largest `limit:`. */
export const MAX_CONCURRENCY_LIMIT = 1000;
/** `queue:` when the YAML gives none. */
export const DEFAULT_CONCURRENCY_QUEUE = 1000;
/**
 * Largest `queue:`: the group carries its queue through continue-as-new,
 * whose input must fit a 2 MB payload (about 200 bytes per waiter).
 */
export const MAX_CONCURRENCY_QUEUE = 5000;
/** Longest group key, in characters. */
export const MAX_GROUP_KEY_LENGTH = 200;

/** What happens to a request that finds the queue full. */
export const OnFull = {
  /** The run (or job) ends FAILED with `ConcurrencyGroupFull`. */
  FAIL: 'fail',
  /** The run (or job) ends SKIP. */
  SKIP: 'skip',
} as const;
export type OnFull = (typeof OnFull)[keyof typeof OnFull];

/** Error name of a run or job refused by a full group (`on-full: fail`). */
export const CONCURRENCY_GROUP_FULL = 'ConcurrencyGroupFull';

/** Temporal workflow type of a concurrency group. */
export const GROUP_WORKFLOW_TYPE = 'tempoflowConcurrencyGroup';

/** Signal names of the group protocol (the workflow contract defines the signals; the activity sends one by name). */
export const GroupSignalName = {
  /** To the group: ask for a slot (sent with signal-with-start). */
  ACQUIRE: 'tempoflow.concurrency.acquire',
  /** To the group: give a slot back or leave the queue. */
  RELEASE: 'tempoflow.concurrency.release',
  /** To a holder or waiter: the group's reply (granted, queued, refused, superseded). */
  SLOT: 'tempoflow.concurrency.slot',
} as const;

/** The group workflow's id: `tf-group:<project>:<key>`. */
export function groupWorkflowId(project: string, key: string): string {
  return `tf-group:${project}:${key}`;
}

/**
 * Why a group key (literal or rendered) cannot be used, or `undefined` when
 * it can: 1 to 200 characters, no control characters.
 */
export function groupKeyProblem(key: string): string | undefined {
  if (key.trim() === '') return 'the group key is empty';
  if (key.length > MAX_GROUP_KEY_LENGTH) return `the group key is ${key.length} characters long, over ${MAX_GROUP_KEY_LENGTH}`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) return 'the group key holds a control character (a newline, a tab, ...)';
  return undefined;
}

/** Where a run or job stands with its group. */
export const SlotState = {
  /** In the queue. */
  WAITING: 'waiting',
  /** Holds a slot. */
  HOLDING: 'holding',
  /** Gave its slot back (`heldSince` set), or left the queue without one (cancelled or timed out while waiting). */
  RELEASED: 'released',
  /** The queue was full (`on-full`). */
  REFUSED: 'refused',
  /** Held or waited, and was cancelled by a newcomer with `cancel-in-progress`. */
  SUPERSEDED: 'superseded',
} as const;
export type SlotState = (typeof SlotState)[keyof typeof SlotState];

/** A run's (or job's) place in its concurrency group: `concurrency` of its context. */
export interface ConcurrencyContext {
  /** The group key (rendered). */
  group: string;
  /** The group workflow's id. */
  workflowId: string;
  /** This slot's name in the group: the holder's workflow id, plus `#<job>` for a job. */
  lease: string;
  state: SlotState;
  /** The `limit` this run asked with. */
  limit: number;
  /** The group's serial number of the request: FIFO order. */
  ticket?: number;
  /** 1-based place in the queue while waiting (1 = next); live when read through the client. */
  position?: number;
  /** ISO 8601. */
  waitingSince?: string;
  heldSince?: string;
  releasedAt?: string;
  /** The run whose `cancel-in-progress` superseded this one. */
  supersededBy?: string;
  /** Why it was refused. */
  reason?: string;
}
