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

/** Declared parameter types (SPEC §4 "Params"). */
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
  readonly loc: SourceLocation;
}

/**
 * Retry of a stage's own failures, handled by the workflow on a durable timer
 * (never confused with Temporal's infrastructure retries; SPEC §4).
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

/** `bash:` runs a script in a subprocess through an activity. */
export interface BashStageSpec extends StageCommon {
  readonly kind: 'bash';
  readonly bash: string;
  /** Working directory, relative to the job workspace. */
  readonly cwd?: string;
}

export type StageSpec = EchoStageSpec | BashStageSpec;
export type StageKind = StageSpec['kind'];

/** One job of a workflow. */
export interface JobSpec {
  readonly id: string;
  readonly desc?: string;
  readonly needs: readonly string[];
  readonly if?: string;
  readonly stages: readonly StageSpec[];
  readonly loc: SourceLocation;
}

/** A whole, validated workflow. `jobs` keeps YAML order. */
export interface WorkflowSpec {
  readonly name: string;
  readonly desc?: string;
  /** The YAML file that defines it (relative to the conf path). */
  readonly file: string;
  readonly params: readonly ParamSpec[];
  readonly env: Readonly<Record<string, string>>;
  readonly jobs: readonly JobSpec[];
  readonly loc: SourceLocation;
}
