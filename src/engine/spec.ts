/**
 * The normalized workflow definition that the interpreter walks.
 *
 * The config layer turns validated YAML into these plain, JSON-serialisable
 * objects; they cross into Temporal as workflow input, so they never hold
 * functions, class instances or `undefined`-only semantics that JSON would
 * drop. Every node carries `loc` (`file:line:col`) so errors raised inside
 * workflow code can point back at the YAML.
 *
 * Pure module: safe to import from workflow code.
 */

/** A `file:line:col` string pointing into a YAML file. */
export type SourceLocation = string;

/** A value that is either literal or a `${{ }}` template rendered at run time. */
export type Templated<T> = T | string;

/** Declared parameter types (docs/yaml-format.md "Params"). */
export const ParamType = {
  str: 'str',
  int: 'int',
  float: 'float',
  decimal: 'decimal',
  bool: 'bool',
  date: 'date',
  datetime: 'datetime',
  choice: 'choice',
  map: 'map',
  array: 'array',
} as const;
export type ParamType = (typeof ParamType)[keyof typeof ParamType];

/** A declared workflow parameter. */
export interface ParamSpec {
  readonly name: string;
  readonly type: ParamType;
  readonly description?: string;
  /** Present only when the YAML declares a default. */
  readonly default?: unknown;
  readonly required: boolean;
  /** Allowed values for `choice`. */
  readonly options?: readonly unknown[];
  /** IANA timezone of a `datetime` param's values written without an offset (default UTC). */
  readonly tz?: string;
  readonly loc: SourceLocation;
}

/**
 * Retry of a stage's own failures, handled by the workflow on a durable timer
 * (never confused with Temporal's infrastructure retries; docs/semantics.md
 * "Retries and timeouts").
 */
export interface RetrySpec {
  /** Retries after the first attempt (`retry: 2` = up to 3 attempts). */
  readonly maximumRetries: Templated<number>;
  /** Seconds before the first retry. */
  readonly initialIntervalSeconds: number;
  readonly backoffCoefficient: number;
  /** Upper bound of one wait, in seconds. */
  readonly maximumIntervalSeconds: number;
  /** Error types (e.g. `TimeoutError`) that are never retried. */
  readonly nonRetryableErrors: readonly string[];
}

interface StageCommon {
  /** Unique within its job: the YAML `id`, or the slug of the raw name. */
  readonly id: string;
  /** The raw name; may hold templates, rendered for display. */
  readonly name: string;
  readonly if?: string;
  readonly retry: RetrySpec;
  /** Seconds, per attempt. */
  readonly timeoutSeconds?: Templated<number>;
  /** Stage env, rendered at run time; merged over workflow and job env. */
  readonly env: Readonly<Record<string, string>>;
  readonly continueOnError: Templated<boolean>;
  readonly loc: SourceLocation;
}

/** `echo:` logs a rendered message and optionally sleeps durably. No activity. */
export interface EchoStageSpec extends StageCommon {
  readonly kind: 'echo';
  readonly echo: string;
  readonly sleepSeconds?: Templated<number>;
}

/**
 * How an action stage's activity is dispatched (docs/semantics.md, "Local
 * dispatch"): `activity` (default), a Temporal activity through the task
 * queue; `local`, a local activity on the worker running the run.
 */
export type StageDispatch = 'activity' | 'local';

/**
 * A job's `dispatch`: the default of its action stages, or `batch`
 * (docs/semantics.md, "Batch dispatch"): consecutive action stages of the
 * job's own list run in one activity.
 */
export type JobDispatch = StageDispatch | 'batch';

/** Keys of the action stages (`bash`, `run`, `uses`). */
interface ActionStageCommon extends StageCommon {
  /** Set on the stage; else the job's `dispatch`, else `activity`. */
  readonly dispatch?: StageDispatch;
}

/** `bash:` runs a script in a subprocess through an activity. */
export interface BashStageSpec extends ActionStageCommon {
  readonly kind: 'bash';
  readonly bash: string;
  /** Working directory, relative to the job workspace. */
  readonly cwd?: string;
}

/** `run:` executes Python 3 code in a subprocess through an activity. */
export interface RunStageSpec extends ActionStageCommon {
  readonly kind: 'run';
  readonly run: string;
  /** Extra variables for the code; values may hold templates. */
  readonly vars: Readonly<Record<string, unknown>>;
  /** 1-based line of the first code line in the YAML file (for error positions). */
  readonly codeLine: number;
}

/** `uses: tasks/<name>@<tag>`: calls a registered TypeScript task through an activity. */
export interface UsesStageSpec extends ActionStageCommon {
  readonly kind: 'uses';
  /** `tasks/<name>@<tag>`; may hold templates. */
  readonly uses: string;
  /** Arguments, validated against the task's zod schema on the worker; may hold templates. */
  readonly with: Readonly<Record<string, unknown>>;
}

/** `trigger:` runs another conf workflow as a Temporal child workflow. */
export interface TriggerStageSpec extends StageCommon {
  readonly kind: 'trigger';
  /** Workflow name; may hold templates. */
  readonly trigger: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/** `parallel:` runs named branches of stages at once. */
export interface ParallelStageSpec extends StageCommon {
  readonly kind: 'parallel';
  /** Branches in YAML order. */
  readonly branches: readonly { readonly name: string; readonly stages: readonly StageSpec[] }[];
  readonly maxWorkers?: Templated<number>;
}

/** `foreach:` runs nested stages once per item of a list. */
export interface ForeachStageSpec extends StageCommon {
  readonly kind: 'foreach';
  /** A list, or a `${{ }}` that yields one. */
  readonly foreach: Templated<readonly unknown[]>;
  readonly stages: readonly StageSpec[];
  /** Items running at once (default 1). */
  readonly concurrent?: Templated<number>;
}

/** `until:` repeats nested stages until a condition holds. */
export interface UntilStageSpec extends StageCommon {
  readonly kind: 'until';
  /** Condition evaluated after each loop, with `item` and `loop` in scope. */
  readonly until: string;
  /** Initial `item`; nested stages may set the next one via outputs `item`. */
  readonly item?: unknown;
  readonly stages: readonly StageSpec[];
  /** Safety cap on loops (default 100). */
  readonly maxLoop?: Templated<number>;
}

/** `case:` runs the stages of the first matching branch. */
export interface CaseStageSpec extends StageCommon {
  readonly kind: 'case';
  /** The value to match, usually a `${{ }}`. */
  readonly case: string;
  readonly match: readonly { readonly case?: unknown; readonly else?: true; readonly stages: readonly StageSpec[] }[];
  /** When no branch matches and there is no `else`: SKIP instead of FAILED. */
  readonly skipNotMatch: boolean;
}

/** `raise:` fails with a rendered message. */
export interface RaiseStageSpec extends StageCommon {
  readonly kind: 'raise';
  readonly raise: string;
}

/** `approval:` waits for `tempoflow approve|reject`. */
export interface ApprovalStageSpec extends StageCommon {
  readonly kind: 'approval';
  readonly approval: string;
  /** Advisory list of who may approve. */
  readonly approvers: readonly string[];
}

export type StageSpec =
  EchoStageSpec | BashStageSpec | RunStageSpec | UsesStageSpec | TriggerStageSpec | ParallelStageSpec | ForeachStageSpec | UntilStageSpec | CaseStageSpec | RaiseStageSpec | ApprovalStageSpec;

/** Airflow trigger rules (`trigger-rule:`), the alternative to `if`. */
export type TriggerRuleName = 'all_success' | 'all_failed' | 'all_done' | 'one_success' | 'one_failed' | 'none_failed' | 'none_skipped';

/** Where a job's activities and children run. */
export type RunsOnSpec = { readonly type: 'local' } | { readonly type: 'self-hosted'; readonly taskQueue: string };

/** `strategy:` of a job. */
export interface StrategySpec {
  /** Map of key → list, or a `${{ }}` evaluated when the job starts (yielding a map or a list of combinations). */
  readonly matrix: Readonly<Record<string, unknown>> | string;
  readonly include: readonly unknown[];
  readonly exclude: readonly unknown[];
  /** Combinations running at once (default: all, bounded by Temporal's pending limits). */
  readonly maxParallel?: Templated<number>;
  /** Cancel the remaining combinations on the first failure (default true). */
  readonly failFast: Templated<boolean>;
}

/** `concurrency:` of a workflow or a job (docs/semantics.md, "Concurrency groups"). */
export interface ConcurrencySpec {
  /** The group key; may hold templates, rendered when the run (or job) asks for its slot. */
  readonly group: string;
  /** Holders at once. */
  readonly limit: number;
  /** Requests waiting at most. */
  readonly queue: number;
  /** A request that finds the queue full fails or skips. */
  readonly onFull: 'fail' | 'skip';
  /** A newcomer cancels every holder and waiter. */
  readonly cancelInProgress: boolean;
  readonly loc: SourceLocation;
}

/** One job of a workflow. */
export interface JobSpec {
  readonly id: string;
  readonly desc?: string;
  readonly needs: readonly string[];
  readonly if?: string;
  readonly triggerRule?: TriggerRuleName;
  readonly runsOn: RunsOnSpec;
  /**
   * Default dispatch of the job's action stages (`bash`, `run`, `uses`, nested ones too); unset = `activity`.
   * `batch` batches the action stages of the job's own list; nested ones run as `activity`.
   */
  readonly dispatch?: JobDispatch;
  readonly strategy?: StrategySpec;
  /** Reruns of the whole job (or combination) after a failure. */
  readonly retry: RetrySpec;
  /** Seconds for the whole job (per attempt). */
  readonly timeoutSeconds?: Templated<number>;
  readonly continueOnError: Templated<boolean>;
  /** Declared outputs (`name: ${{ ... }}`); default: the merged stage outputs. */
  readonly outputs?: Readonly<Record<string, string>>;
  readonly env: Readonly<Record<string, string>>;
  /** The job's concurrency group (absent: none; a spec without it runs exactly as before). */
  readonly concurrency?: ConcurrencySpec;
  readonly stages: readonly StageSpec[];
  readonly loc: SourceLocation;
}

/** How a schedule treats a release that fires while the previous one still runs. */
export type OverlapPolicyName = 'skip' | 'buffer-one' | 'buffer-all' | 'cancel-other' | 'terminate-other' | 'allow-all';

/** One cron entry of `on:`. */
export interface CronTriggerSpec {
  readonly cron: string;
  /** IANA timezone (default UTC). */
  readonly timezone: string;
  /** Params for releases of this entry; templated with `release.*`. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly overlap: OverlapPolicyName;
  /** Seconds a missed release may still run after its time. */
  readonly catchupWindowSeconds?: number;
  readonly loc: SourceLocation;
}

/** The `webhook:` entry of `on:` (docs/api.md "Webhooks"). */
export interface WebhookTriggerSpec {
  /** How deliveries are authenticated: `hmac` (`X-Hub-Signature-256`) or `token` (`Authorization: Bearer`). */
  readonly auth: 'hmac' | 'token';
  /** Name of the secret holding the key or token (never its value). */
  readonly secret: string;
  /** Params of the EVENT release; templates read `event.*` (the delivery) and `release.*`. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly loc: SourceLocation;
}

/** A whole, validated workflow. `jobs` keeps YAML order. */
export interface WorkflowSpec {
  readonly name: string;
  readonly desc?: string;
  /** The YAML file that defines it (relative to the working directory when possible). */
  readonly file: string;
  readonly tags: readonly string[];
  readonly params: readonly ParamSpec[];
  readonly allowUndeclaredParams: boolean;
  /** Cron entries of `on:` (empty when none). */
  readonly schedules: readonly CronTriggerSpec[];
  /** `on: [{ manual: true }]`: manual releases accept any minute. */
  readonly manual: boolean;
  /** The `webhook:` entry of `on:`, when there is one. */
  readonly webhook?: WebhookTriggerSpec;
  /** Run timeout in seconds, when the YAML sets one. */
  readonly timeoutSeconds?: number;
  readonly env: Readonly<Record<string, string>>;
  /** The run's concurrency group (absent: none). */
  readonly concurrency?: ConcurrencySpec;
  readonly jobs: readonly JobSpec[];
  readonly loc: SourceLocation;
}
