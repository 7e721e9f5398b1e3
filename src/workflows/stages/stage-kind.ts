/**
 * The one interface of stage kinds. Each kind of stage has its own file in
 * this folder — activity stages (`bash`, `run`, `uses`), `echo`, `raise`,
 * `trigger`, `parallel`, `foreach` (and its chunk children), `until`,
 * `case`, `approval` — exporting a {@link StageKind}; `index.ts` is the one
 * switch that dispatches to them. The stage loop (`../stage-list.ts`) owns
 * everything around an attempt: deciding whether the stage runs, rendering
 * its name and timeout, the retry loop, and recording the result.
 *
 * A kind gets everything it may use in a {@link StageEnv}; it reads no other
 * state. docs/semantics.md ("Stages", "Jobs, matrices and triggers") says
 * what each kind does.
 *
 * Workflow code: deterministic, no I/O.
 */
import type { StageAttemptResult } from '../../activities/types.js';
import type { ErrorInfo, StageContext } from '../../engine/context.js';
import type { StageSpec } from '../../engine/spec.js';
import type { Status } from '../../engine/status.js';
import type { ExpressionContext } from '../../expressions/index.js';
import type { Approvals } from '../approvals.js';
import type { JobRunInput } from '../definitions.js';
import type { PoolOutcome } from '../pool.js';
import type { ErrorWhere } from '../../engine/render.js';
import type { StopState } from '../stop-state.js';
import type { WaitingDetails } from '../waiting-details.js';

/** The spec of one kind of stage. */
export type StageOf<K extends StageSpec['kind']> = Extract<StageSpec, { kind: K }>;

/**
 * Where a list of stages runs: the job's own list, or one nested inside a
 * `parallel` branch, a `foreach` item, an `until` loop or a `case`.
 */
export interface StageScope {
  /** Contexts of this list's stages, filled as they run. */
  readonly stages: Record<string, StageContext>;
  /** Stage contexts of the enclosing lists, also visible as `stages.*`. */
  readonly outer: Record<string, StageContext>;
  /** `item`, `loop`, `branch`, `case` of the enclosing nested stages. */
  readonly extra: Record<string, unknown>;
  /** Dotted path prefix of this list's stage ids (`''` at job level, `fan.a.` in branch `a` of `fan`). */
  readonly prefix: string;
}

/** How a nested list of stages ended (CANCEL when the run is stopping). */
export interface NestedOutcome {
  readonly status: Status;
  /** The first error of a stage that failed the list. */
  readonly error?: ErrorInfo;
}

/** What a stage kind may use: this attempt of the stage, and the services of its job. */
export interface StageEnv {
  /** The stage's display name, rendered, templates of secrets shown as `***`. */
  readonly name: string;
  /** 1-based attempt of the stage's own retry loop (`TF_ATTEMPT`). */
  readonly attempt: number;
  /** Expressions of the stage: the job's values, the scope's `stages.*`, `item`, `loop`, `branch`, `case`. */
  readonly ctx: ExpressionContext;
  /** The stage's `timeout:` for this attempt, rendered (activities enforce it; `approval` waits this long). */
  readonly timeoutSeconds: number | undefined;
  /** The list the stage sits in. */
  readonly scope: StageScope;
  /** The stage's live context (what `status` queries see): kinds that hold stages put their outputs here as they go. */
  readonly live: StageContext;
  /** `{ job, stage, location }` of the stage, for the errors it returns. */
  readonly where: ErrorWhere;

  /** Whether the execution takes the path with fewer promises (`fewer-hops.ts`). */
  readonly fewerHops: boolean;
  /** The job's input: ids, params, env, matrix, `needs`/`jobs`, deadline, activity tuning, limits, chunk. */
  readonly input: JobRunInput;
  /** Contexts of the job's own stage list (`context.stages` of a `run` stage; tells a chunk child's foreach). */
  readonly jobStages: Record<string, StageContext>;
  /** Values visible to expressions in `scope`, with `extra` on top (an `until` condition's `item`, `loop`, `stages`). */
  values(extra: Record<string, unknown>, scope: StageScope): Record<string, unknown>;
  /**
   * Runs `stages` as one nested unit under `parent` (in `scope`): key `key`
   * of its outputs, with `extra` (`item`, `branch`, ...) in scope. The
   * unit's entry (`{ ...extra, status, stages, error? }`) goes live into
   * `into[key]` before its first stage starts.
   */
  runNested(stages: readonly StageSpec[], scope: StageScope, parent: StageSpec, key: string, extra: Record<string, unknown>, into: Record<string, unknown>): Promise<NestedOutcome>;
  /** The bounded pool (`../pool.ts`); starts nothing more once the job is stopping. */
  pool(count: number, limit: number, unit: (i: number) => Promise<Status>, stopOnFailure: boolean): Promise<PoolOutcome>;
  /** Why and when the job stops (`../stop-state.ts`). */
  readonly stop: StopState;
  /** The job's approval decisions (`../approvals.ts`). */
  readonly approvals: Approvals;
  /** What the execution waits for, as its current details (`../waiting-details.ts`). */
  readonly waiting: WaitingDetails;
}

/**
 * One kind of stage. `run` performs one attempt of the stage's action and
 * resolves with its result: the stage's own failure is returned
 * (`ok: false`, retried per `retry:` unless `nonRetryable`); a thrown error
 * fails the stage without retry, a cancellation records CANCEL.
 *
 * Nothing may be awaited before a kind's first command (activity, timer,
 * child) that was not awaited before: the order of commands issued in one
 * workflow activation follows from it, and recorded histories replay only
 * with the same order (ARCHITECTURE.md, "Changing workflow code safely").
 */
export interface StageKind<K extends StageSpec['kind']> {
  run(stage: StageOf<K>, env: StageEnv): Promise<StageAttemptResult>;
}
