/**
 * zod schemas of the YAML format (docs/yaml-format.md). They are the single source of
 * the format: the validator checks files against them and the editor JSON
 * Schema (`schema/workflow.schema.json`) is generated from them.
 *
 * Objects are strict, so a typo is an error (with a "did you mean" from the
 * validator), never silently ignored. Each schema and its inferred type share
 * a name. Rules that a JSON Schema cannot say well — exactly one action key
 * per stage, cron syntax, timezones, extends, expressions, the job graph —
 * are checked by the validator (`checks.ts`, `expression-checks.ts`).
 *
 * Pure module: no I/O.
 */
import { z } from 'zod';
import { DEFAULT_CONCURRENCY_LIMIT, DEFAULT_CONCURRENCY_QUEUE, MAX_CONCURRENCY_LIMIT, MAX_CONCURRENCY_QUEUE } from '../engine/concurrency.js';

/** What the validator says a field expects, and the issue code when a value does not fit. */
export interface FieldLabel {
  /** e.g. `an integer ≥ 0 or a \`${{ }}\` expression`. */
  readonly label: string;
  /** Issue code for a value that does not fit (default `invalid-value`). */
  readonly code?: string;
}

const LABELS = new WeakMap<z.ZodType, FieldLabel>();

function labeled<S extends z.ZodType>(schema: S, label: string, code?: string): S {
  LABELS.set(schema, code ? { label, code } : { label });
  return schema;
}

/** The label registered for a schema (used to phrase validation messages). */
export function fieldLabel(schema: z.ZodType): FieldLabel | undefined {
  return LABELS.get(schema);
}

/** Matches a string that is exactly one `${{ }}` template (spaces around allowed). */
export const WHOLE_TEMPLATE = /^\s*\$\{\{[\s\S]*\}\}\s*$/;

/** A string holding exactly one `${{ }}` template, accepted where a number or boolean is expected. */
export const TemplateString = z.string().regex(WHOLE_TEMPLATE, 'expected a `${{ }}` expression').describe('A `${{ expression }}` evaluated at run time');
export type TemplateString = z.infer<typeof TemplateString>;

/** A literal duration in text: `30s`, `10m`, `1h30m`, `2d`, `500ms`. */
export const DURATION_TEXT = /^(\d+(\.\d+)?(ms|s|m|h|d))+$/;
const DURATION_OR_TEMPLATE = /^(?:(\d+(\.\d+)?(ms|s|m|h|d))+|\s*\$\{\{[\s\S]*\}\}\s*)$/;

/** A duration: seconds as a number, or text like `30s`, `10m`, `1h30m`, `2d`; or a `${{ }}` (seconds). */
export const Duration = labeled(
  z.union([z.number().positive(), z.string().regex(DURATION_OR_TEMPLATE)]).describe('Seconds as a number, a duration such as `30s`, `10m`, `1h30m`, `2d`, or a `${{ }}` expression yielding seconds'),
  'a duration: seconds, or text such as `30s`, `10m`, `1h30m` (or a `${{ }}` expression)',
  'bad-duration',
);
export type Duration = z.infer<typeof Duration>;

/** A duration fixed in the YAML (no templates): seconds, or text like `30s`, `1h30m`. */
export const LiteralDuration = labeled(
  z.union([z.number().positive(), z.string().regex(DURATION_TEXT)]).describe('Seconds as a number, or a duration such as `30s`, `10m`, `1h30m`, `2d`'),
  'a duration: seconds, or text such as `30s`, `10m`, `1h30m`',
  'bad-duration',
);
export type LiteralDuration = z.infer<typeof LiteralDuration>;

/** Parses a literal duration into seconds; `undefined` for a template. */
export function durationSeconds(value: number | string): number | undefined {
  if (typeof value === 'number') return value;
  if (value.includes('${{')) return undefined;
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };
  let total = 0;
  for (const m of value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) total += Number(m[1]) * units[m[2]!]!;
  return total;
}

function templated<S extends z.ZodType>(schema: S, label: string, description: string) {
  return labeled(z.union([schema, TemplateString]).describe(description), `${label} or a \`\${{ }}\` expression`);
}

/** An integer ≥ 1, or a `${{ }}`. */
const PositiveOrTemplate = (description: string) => templated(z.int().positive(), 'an integer ≥ 1', description);
/** `true`/`false`, or a `${{ }}`. */
const BoolOrTemplate = (description: string) => templated(z.boolean(), '`true` or `false`', description);

/** Environment variables: names to strings (numbers and booleans are written as text). */
export const EnvMap = labeled(
  z
    .record(z.string(), labeled(z.union([z.string(), z.number(), z.boolean()]), 'a string, number or boolean'))
    .describe('Environment variables (values may hold `${{ }}` templates; numbers and booleans become text)'),
  'a map of names to strings',
);
export type EnvMap = z.infer<typeof EnvMap>;

/** Parameter type names (docs/yaml-format.md "Params"). */
export const PARAM_TYPES = ['str', 'int', 'float', 'decimal', 'bool', 'date', 'datetime', 'choice', 'map', 'array'] as const;

/** The full form of a parameter declaration. */
export const ParamObject = z
  .strictObject({
    /** Parameter type. */
    type: z.enum(PARAM_TYPES).describe('Parameter type: str int float decimal bool date datetime choice map array'),
    /** Shown by `tempoflow list` and in docs. */
    description: z.string().optional().describe('What the parameter is for; shown by `tempoflow list`'),
    /** Used when the caller passes no value; makes the param optional. */
    default: z.unknown().optional().describe('Value used when the caller passes none; makes the parameter optional'),
    /** Defaults to true when there is no default. */
    required: z.boolean().optional().describe('Whether a value must be passed (default: true when there is no default)'),
    /** Allowed values of a `choice` param. */
    options: z.array(z.unknown()).optional().describe('Allowed values of a `choice` parameter'),
    /** Timezone of a `datetime` param's values that carry no offset. */
    tz: z.string().optional().describe('IANA timezone of a `datetime` value written without an offset, e.g. `Asia/Bangkok` (default UTC)'),
  })
  .describe('A parameter declaration');
export type ParamObject = z.infer<typeof ParamObject>;

/** A parameter declaration: shorthand type name (required, no default), or the full object. */
export const ParamDecl = labeled(
  z
    .union([z.enum(['str', 'int', 'float', 'decimal', 'bool', 'date', 'datetime', 'map', 'array']), ParamObject])
    .describe('A parameter: a type name (`str`, required) or `{ type, default, description, required, options, tz }`'),
  'a type name (str int float decimal bool date datetime map array) or `{ type: ..., default: ... }` (a choice param needs `{ type: choice, options: [...] }`)',
);
export type ParamDecl = z.infer<typeof ParamDecl>;

/** The object form of `retry`, after Temporal's RetryPolicy. */
export const RetryObject = z
  .strictObject({
    /**
     * Attempts in all, the first included (`maximum-attempts: 3` = up to 2
     * retries), as in Temporal's RetryPolicy; at least 1.
     */
    'maximum-attempts': labeled(
      z.int().positive().describe('Attempts in all, the first included (3 = up to 2 retries); at least 1. For a templated count use `retry: ${{ }}` (retries after the first attempt)'),
      'an integer ≥ 1',
    ),
    /** Wait before the first retry (default 1s). */
    'initial-interval': LiteralDuration.optional().describe('Wait before the first retry (default 1s)'),
    /** Each wait is the previous one times this (default 2). */
    'backoff-coefficient': labeled(z.number().min(1), 'a number ≥ 1').optional().describe('Each wait is the previous one multiplied by this (default 2, at least 1)'),
    /** Upper bound of one wait (default 300s). */
    'maximum-interval': LiteralDuration.optional().describe('Upper bound of one wait (default 300s)'),
    /** Error types that are never retried, e.g. `TimeoutError`. */
    'non-retryable-errors': z.array(z.string()).optional().describe('Error types that are never retried, e.g. `TimeoutError`'),
  })
  .describe('Retry policy');
export type RetryObject = z.infer<typeof RetryObject>;

/** `retry:` a count of retries after the first attempt, a `${{ }}`, or the object form. */
export const Retry = labeled(
  z
    .union([z.int().nonnegative(), TemplateString, RetryObject])
    .describe(
      'Retries after the first attempt (`retry: 2` = up to 3 attempts), a `${{ }}` expression, or `{ maximum-attempts, initial-interval, backoff-coefficient, maximum-interval, non-retryable-errors }`',
    ),
  'an integer ≥ 0, a `${{ }}` expression, or `{ maximum-attempts: ..., initial-interval: ... }`',
);
export type Retry = z.infer<typeof Retry>;

/** A `case:` branch: `{ case: value, stages: [...] }` or `{ else: [...] }`. */
export const CaseBranch = z.strictObject({
  /** The value this branch matches (compared after rendering). */
  case: z.unknown().optional().describe('The value this branch matches'),
  /** Stages of a `case:` branch. */
  get stages(): z.ZodOptional<z.ZodArray<typeof StageDecl>> {
    return stageList().optional().describe('Stages run when this branch matches');
  },
  /** Stages run when no branch matches (last entry only). */
  get else(): z.ZodOptional<z.ZodArray<typeof StageDecl>> {
    return stageList().optional().describe('Stages run when no `case` matches (the last entry)');
  },
});
z.globalRegistry.add(CaseBranch, { description: 'A branch of `match:`: `{ case: value, stages: [...] }` or `{ else: [...] }`' });
export type CaseBranch = z.infer<typeof CaseBranch>;

/** A stage. Exactly one action key (`echo`, `bash`, `run`, ...) is allowed; the validator checks it. */
export const StageDecl = z.strictObject({
  // Keys every stage may carry besides its action (written out, not spread:
  // a spread defeats the inference of this recursive schema).
  /** Display name; may contain templates. Its slug is the default id. */
  name: z.string().optional().describe('Display name; may hold `${{ }}`. Its slug (templates stripped) is the default id'),
  /** Unique id within its stage list, used in `stages.<id>`. */
  id: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'ids start with a letter or `_` and hold letters, digits, `_` and `-`')
    .optional()
    .describe('Unique id within its stage list, used as `stages.<id>` (default: slug of the name)'),
  /** Pulls in a reusable `type: Stage` object; local keys win. */
  extends: z.string().optional().describe('Name of a reusable `type: Stage` object to deep-merge under this one (local keys win)'),
  /** Condition; the stage is SKIP when false. */
  if: z.string().optional().describe('Condition (`${{ }}` or a bare expression); the stage is SKIP when false'),
  /** Retries of the stage's own failures, on a durable timer. */
  retry: Retry.optional(),
  /** Per-attempt timeout. */
  timeout: Duration.optional().describe('Timeout of one attempt'),
  /** Per-attempt timeout in minutes (GitHub Actions spelling). */
  'timeout-minutes': labeled(z.number().positive().optional().describe('Timeout of one attempt, in minutes'), 'a number of minutes > 0'),
  /** Environment variables for subprocess stages, over workflow and job env. */
  env: EnvMap.optional(),
  /** The stage keeps FAILED but does not fail the job. */
  'continue-on-error': BoolOrTemplate('When true, a failure of this stage does not fail the job').optional(),
  /** Log a templated message (no activity). */
  echo: z.string().optional().describe('Action: log this message (templated); no activity'),
  /** With `echo`: sleep durably for this many seconds. */
  sleep: templated(z.number().nonnegative(), 'a number of seconds ≥ 0', 'With `echo`: sleep durably for this many seconds').optional(),
  /** Run a bash script (`bash --noprofile --norc -eo pipefail`). */
  bash: z.string().optional().describe('Action: run this bash script (`bash --noprofile --norc -eo pipefail`)'),
  /** With `bash`/`run`/`uses`: how the stage's activity is dispatched. */
  dispatch: z
    .enum(['activity', 'local'])
    .optional()
    .describe(
      'With `bash` / `run` / `uses`: `activity` (default) or `local`, a local activity on the worker running the run: faster for short stages, but re-run if that worker dies mid-stage (docs/semantics.md, "Local dispatch")',
    ),
  /** With `bash`: working directory relative to `$TF_WORKSPACE`. */
  cwd: z.string().optional().describe('With `bash`: working directory, relative to `$TF_WORKSPACE`'),
  /** Run Python 3 code in a subprocess. */
  run: z.string().optional().describe('Action: run this Python 3 code in a subprocess'),
  /** With `run`: extra variables for the code. */
  vars: z.record(z.string(), z.unknown()).optional().describe('With `run`: extra variables visible to the code (values may hold templates)'),
  /** Call a registered TypeScript task, `tasks/<name>@<tag>`. */
  uses: z.string().optional().describe('Action: call the registered TypeScript task `tasks/<name>@<tag>`'),
  /** With `uses`: the task's arguments. */
  with: z.record(z.string(), z.unknown()).optional().describe("With `uses`: arguments, validated against the task's zod schema"),
  /** Run another conf workflow as a child workflow. */
  trigger: z.string().optional().describe('Action: run this conf workflow as a Temporal child workflow'),
  /** With `trigger`: params of the triggered workflow. */
  params: z.record(z.string(), z.unknown()).optional().describe('With `trigger`: params of the triggered workflow'),
  /** Run named branches of stages at once. */
  get parallel(): z.ZodOptional<z.ZodRecord<z.ZodString, z.ZodArray<typeof StageDecl>>> {
    return labeled(z.record(z.string(), stageList()).optional().describe('Action: run these named branches of stages at once'), 'a map of branch names to stage lists');
  },
  /** With `parallel`: branches running at once. */
  'max-workers': PositiveOrTemplate('With `parallel`: branches running at once').optional(),
  /** Run the nested stages once per item. */
  foreach: labeled(
    z
      .union([z.array(z.unknown()), TemplateString])
      .optional()
      .describe('Action: run `stages` once per item of this list (or a `${{ }}` yielding one)'),
    'a list or a `${{ }}` expression',
  ),
  /** With `foreach`/`until`: the nested stages. */
  get stages(): z.ZodOptional<z.ZodArray<typeof StageDecl>> {
    return stageList().optional().describe('With `foreach` / `until`: the nested stages');
  },
  /** With `foreach`: items running at once. */
  concurrent: PositiveOrTemplate('With `foreach`: items running at once (default 1)').optional(),
  /** Repeat the nested stages until this condition holds. */
  until: z.string().optional().describe('Action: repeat `stages` until this condition (with `item` and `loop`) holds'),
  /** With `until`: the initial `item`. */
  item: z.unknown().optional().describe('With `until`: the initial `item`'),
  /** With `until`: safety cap on loops. */
  'max-loop': PositiveOrTemplate('With `until`: safety cap on loops (default 100)').optional(),
  /** Run the stages of the first matching branch. */
  case: z.string().optional().describe('Action: run the stages of the first `match` branch equal to this value'),
  /** With `case`: the branches. */
  get match(): z.ZodOptional<z.ZodArray<typeof CaseBranch>> {
    return z.array(CaseBranch).optional().describe('With `case`: the branches, `{ case: x, stages: [...] }` / `{ else: [...] }`');
  },
  /** With `case`: SKIP instead of FAILED when nothing matches. */
  'skip-not-match': z.boolean().optional().describe('With `case`: SKIP (instead of FAILED) when no branch matches and there is no `else`'),
  /** Fail with this message. */
  raise: z.string().optional().describe('Action: fail with this message'),
  /** Wait for `tempoflow approve|reject`. */
  approval: z.string().optional().describe('Action: wait for `tempoflow approve|reject`, showing this message'),
  /** With `approval`: who may approve (advisory). */
  approvers: z.array(z.string()).optional().describe('With `approval`: who may approve (advisory)'),
});
// Registered in place: chaining `.meta()` on a recursive schema defeats type inference.
z.globalRegistry.add(StageDecl, {
  id: 'Stage',
  description: 'A stage: common keys plus exactly one action key (echo bash run uses trigger parallel foreach until case raise approval)',
});
export type StageDecl = z.infer<typeof StageDecl>;

let stageListSchema: z.ZodArray<typeof StageDecl> | undefined;

/** The schema of a list of stages (created once, on first use, because stages nest). */
function stageList(): z.ZodArray<typeof StageDecl> {
  stageListSchema ??= labeled(z.array(StageDecl), 'a list of stages');
  return stageListSchema;
}

/** A list of stages. */
export const StageList = stageList();
export type StageList = z.infer<typeof StageList>;

/** Action keys of a stage and the extra keys each allows. */
export const STAGE_ACTIONS = {
  echo: ['sleep'],
  bash: ['cwd', 'dispatch'],
  run: ['vars', 'dispatch'],
  uses: ['with', 'dispatch'],
  trigger: ['params'],
  parallel: ['max-workers'],
  foreach: ['stages', 'concurrent'],
  until: ['item', 'stages', 'max-loop'],
  case: ['match', 'skip-not-match'],
  raise: [],
  approval: ['approvers'],
} as const satisfies Record<string, readonly string[]>;
export type StageAction = keyof typeof STAGE_ACTIONS;

/** Airflow trigger rules, the alternative to `if`. */
export const TRIGGER_RULES = ['all_success', 'all_failed', 'all_done', 'one_success', 'one_failed', 'none_failed', 'none_skipped'] as const;

/** `runs-on:` where a job's activities and children run. */
export const RunsOn = labeled(
  z
    .discriminatedUnion('type', [
      z.strictObject({
        /** Run on the workflow's own task queue. */
        type: z.literal('local').describe('Run on the default task queue'),
      }),
      z.strictObject({
        /** Run on a dedicated task queue served by your own workers. */
        type: z.literal('self-hosted').describe('Run on a task queue served by your own workers'),
        /** The task queue (`tempoflow worker --task-queue <q>`). */
        'task-queue': z.string().min(1).describe('Task queue of the workers (`tempoflow worker --task-queue <q>`)'),
      }),
    ])
    .describe('Where the job runs: `{ type: local }` or `{ type: self-hosted, task-queue: q }`'),
  '`{ type: local }` or `{ type: self-hosted, task-queue: <queue> }`',
);
export type RunsOn = z.infer<typeof RunsOn>;

/** A matrix include/exclude entry: key → value. */
const MatrixEntryList = labeled(z.array(z.record(z.string(), z.unknown())), 'a list of maps (matrix key → value)');

/** A matrix map: key → list of values (or a `${{ }}` yielding one), plus optional `include`/`exclude` (GitHub style). */
export const MatrixMap = z
  .object({
    /** Entries merged into matching combinations or added as new ones. */
    include: MatrixEntryList.optional().describe('Entries merged into matching combinations, or added as new ones'),
    /** Entries removing the combinations that match all their keys. */
    exclude: MatrixEntryList.optional().describe('Entries removing every combination that matches all their keys'),
  })
  .catchall(labeled(z.union([z.array(z.unknown()), TemplateString]).describe('The values of this matrix key, or a `${{ }}` yielding them'), 'a list of values or a `${{ }}` expression'))
  .describe('Matrix: key → list of values; the cartesian product runs, first key outermost');
export type MatrixMap = z.infer<typeof MatrixMap>;

/** `strategy:` of a job. */
export const Strategy = z
  .strictObject({
    /** A map of key → values, or a `${{ }}` yielding a map or a list of combinations. */
    matrix: labeled(
      z.union([MatrixMap, TemplateString]).describe('A map of key → list of values, or a `${{ }}` evaluated when the job starts'),
      'a map of key → list of values, or a `${{ }}` expression',
    ),
    /** Entries merged into matching combinations or added as new ones. */
    include: MatrixEntryList.optional().describe('Entries merged into matching combinations, or added as new ones'),
    /** Entries removing the combinations that match all their keys. */
    exclude: MatrixEntryList.optional().describe('Entries removing every combination that matches all their keys'),
    /** Combinations running at once. */
    'max-parallel': PositiveOrTemplate('Combinations running at once (default: all)').optional(),
    /** Cancel the remaining combinations on the first failure (default true). */
    'fail-fast': BoolOrTemplate('Cancel the remaining combinations on the first failure (default true)').optional(),
  })
  .describe('Run the job once per matrix combination');
export type Strategy = z.infer<typeof Strategy>;

/** The object form of `concurrency:` (docs/semantics.md, "Concurrency groups"). */
export const ConcurrencyObject = z
  .strictObject({
    /** The group's key; a template over params (and matrix, needs, jobs at job level). */
    group: z
      .string()
      .min(1, 'the group key is empty')
      .describe('The group: runs (or jobs) with the same key share its slots. May hold `${{ }}` over params, extras, workflow, release (and matrix, needs, jobs, job at job level)'),
    /** Holders at once (default 1). */
    limit: labeled(
      z.int().min(1).max(MAX_CONCURRENCY_LIMIT).optional().describe(`Runs (or jobs) holding the group at once (default ${DEFAULT_CONCURRENCY_LIMIT}, at most ${MAX_CONCURRENCY_LIMIT})`),
      `an integer from 1 to ${MAX_CONCURRENCY_LIMIT}`,
    ),
    /** Requests waiting at most; past it, `on-full` applies (default 1000). */
    queue: labeled(
      z
        .int()
        .min(0)
        .max(MAX_CONCURRENCY_QUEUE)
        .optional()
        .describe(`Requests waiting at most; past it \`on-full\` applies (default ${DEFAULT_CONCURRENCY_QUEUE}, at most ${MAX_CONCURRENCY_QUEUE}; 0 never waits)`),
      `an integer from 0 to ${MAX_CONCURRENCY_QUEUE}`,
    ),
    /** What a request does when the queue is full: fail (default) or skip. */
    'on-full': z.enum(['fail', 'skip']).optional().describe('When the queue is full: `fail` (default: the run or job ends FAILED, ConcurrencyGroupFull) or `skip` (it ends SKIP)'),
    /** A newcomer cancels every holder and waiter of the group. */
    'cancel-in-progress': z.boolean().optional().describe('When true, a new run (or job) cancels every run holding or waiting in the group, as in GitHub Actions'),
  })
  .describe('A concurrency group: `{ group, limit, queue, on-full, cancel-in-progress }`');
export type ConcurrencyObject = z.infer<typeof ConcurrencyObject>;

/** `concurrency:` a group key (defaults for the rest), or the object form. */
export const Concurrency = labeled(
  z
    .union([z.string().min(1, 'the group key is empty'), ConcurrencyObject])
    .describe('Limit how many runs (or jobs) hold the same group at once: a group key (`deploy-${{ params.env }}`), or `{ group, limit, queue, on-full, cancel-in-progress }`'),
  'a group key, or `{ group: ..., limit: ..., queue: ..., on-full: fail|skip, cancel-in-progress: ... }`',
);
// Registered in place (a `.meta()` would be a new schema, without its label); one $defs entry for both levels.
z.globalRegistry.add(Concurrency, { id: 'Concurrency', description: z.globalRegistry.get(Concurrency)?.description ?? '' });
export type Concurrency = z.infer<typeof Concurrency>;

/** Keys of a job. */
const jobShape = {
  /** Description (markdown). */
  desc: z.string().optional().describe('Description (markdown)'),
  /** Pulls in a reusable `type: Job` object; local keys win. */
  extends: z.string().optional().describe('Name of a reusable `type: Job` object to deep-merge under this one (local keys win)'),
  /** Jobs that must finish first. */
  needs: labeled(
    z
      .union([z.string(), z.array(z.string())])
      .optional()
      .describe('Jobs that must finish first: one id or a list'),
    'a job id or a list of job ids',
  ),
  /** Condition deciding whether the job runs once its needs are done. */
  if: z.string().optional().describe("Condition decided once every need is done (`${{ always() }}`, `${{ needs.x.result == 'failure' }}`, ...); not with `trigger-rule`"),
  /** Airflow trigger rule, the alternative to `if`. */
  'trigger-rule': z.enum(TRIGGER_RULES).optional().describe('Airflow trigger rule deciding the job from its needs; not with `if`'),
  /** Where the job's activities run. */
  'runs-on': RunsOn.optional(),
  /** Default dispatch of the job's action stages. */
  dispatch: z
    .enum(['activity', 'local', 'batch'])
    .optional()
    .describe(
      'Default dispatch of the job\'s `bash` / `run` / `uses` stages (a stage\'s own `dispatch` wins): `activity` (default), `local` (docs/semantics.md, "Local dispatch"), or `batch`: consecutive action stages of the job\'s own list run in one activity (docs/semantics.md, "Batch dispatch")',
    ),
  /** Matrix strategy. */
  strategy: Strategy.optional(),
  /** Reruns of the whole job (or combination) after a failure. */
  retry: Retry.optional(),
  /** Timeout of the whole job, per attempt. */
  timeout: Duration.optional().describe('Timeout of the whole job (per attempt)'),
  /** Timeout of the whole job in minutes (GitHub Actions spelling). */
  'timeout-minutes': labeled(z.number().positive().optional().describe('Timeout of the whole job, in minutes'), 'a number of minutes > 0'),
  /** The job keeps FAILED but counts as success for what follows. */
  'continue-on-error': BoolOrTemplate('When true, a failure of this job counts as success for the jobs that need it').optional(),
  /** Declared outputs; default: the merged outputs of the stages. */
  outputs: labeled(
    z.record(z.string(), z.string()).optional().describe('Declared outputs, `name: ${{ stages.<id>.outputs.<key> }}` (default: the merged stage outputs)'),
    'a map of output names to `${{ }}` strings',
  ),
  /** Environment variables of every stage of the job. */
  env: EnvMap.optional(),
  /** A concurrency group the job (each matrix combination) holds while it runs. */
  concurrency: Concurrency.optional().describe('A concurrency group the job (each matrix combination) holds while it runs: a group key, or `{ group, limit, queue, on-full, cancel-in-progress }`'),
  /** The stages, run in order. */
  stages: StageList.min(1, 'a job needs at least one stage').describe('The stages, run in order'),
};

/** A job of a workflow. */
export const JobDecl = z.strictObject(jobShape).meta({ id: 'Job' }).describe('A job: stages run in order, after its needs');
export type JobDecl = z.infer<typeof JobDecl>;

/** Keys of one cron entry, shared by both forms of `on:`. */
const scheduleCommon = {
  /** IANA timezone of the cron (default UTC). */
  timezone: z.string().optional().describe('IANA timezone of the cron, e.g. `America/New_York` (default UTC)'),
  /** Params of releases fired by this entry; templated with `release.*`. */
  params: z.record(z.string(), z.unknown()).optional().describe('Params of releases fired by this entry (templated with `release.*`)'),
  /** What a release does while the previous one still runs (default skip). */
  overlap: z
    .enum(['skip', 'buffer-one', 'buffer-all', 'cancel-other', 'terminate-other', 'allow-all'])
    .optional()
    .describe('When a release fires while the previous one runs: skip (default), buffer-one, buffer-all, cancel-other, terminate-other, allow-all'),
  /** How late a missed release may still run. */
  'catchup-window': LiteralDuration.optional().describe('How late a missed release may still run (e.g. `1h`)'),
};

/** How a webhook delivery proves it comes from the sender (docs/api.md "Webhooks"). */
export const WEBHOOK_AUTH = ['hmac', 'token'] as const;

/**
 * `webhook:` of an `on:` entry: `POST /api/hooks/<workflow>` of `tempoflow serve`
 * fires an EVENT release whose params are mapped from the delivery's JSON body.
 */
export const WebhookTrigger = z
  .strictObject({
    /**
     * Name of the secret that authenticates deliveries, read by `tempoflow serve` from
     * `TEMPOFLOW_SECRET_<NAME>` or the secrets file (never written in the YAML).
     */
    secret: labeled(
      z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_-]*$/)
        .describe('Name of the secret authenticating deliveries (`TEMPOFLOW_SECRET_<NAME>` or the secrets file of `tempoflow serve`); never the value'),
      'a secret name (letters, digits, `_` and `-`)',
    ),
    /** `hmac` (default): GitHub-style `X-Hub-Signature-256`; `token`: `Authorization: Bearer <secret>`. */
    auth: z
      .enum(WEBHOOK_AUTH)
      .optional()
      .describe('`hmac` (default): the body signed with the secret in `X-Hub-Signature-256: sha256=<hex>` (GitHub style); `token`: `Authorization: Bearer <secret>`'),
    /** Params of the release, mapped from the delivery with `${{ event.body.x }}` (and `release.*`). */
    params: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('Params of the release, mapped from the delivery: `${{ event.body.<field> }}`, `${{ event.headers.<name> }}`, `${{ event.delivery }}`'),
  })
  .describe('`webhook: { secret: NAME, params: { x: ${{ event.body.x }} } }`: `POST /api/hooks/<workflow>` of `tempoflow serve` fires an EVENT release');
export type WebhookTrigger = z.infer<typeof WebhookTrigger>;

/** One entry of the list form of `on:`: `- cron: ...`, `- manual: true` or `- webhook: {...}`. */
export const OnEntry = z
  .strictObject({
    /** A 5-field cron expression (or `@daily`-style alias). */
    cron: z.string().optional().describe('5-field cron expression (minute hour day-of-month month day-of-week) or `@daily`, `@hourly`, ...'),
    /** Manual releases accept any minute. */
    manual: z.boolean().optional().describe('`manual: true`: no schedule; manual releases accept any minute'),
    /** An HTTP trigger of `tempoflow serve`. */
    webhook: WebhookTrigger.optional(),
    ...scheduleCommon,
  })
  .describe('`- cron: "0 9 * * 1-5"` (+ timezone, params, overlap, catchup-window), `- manual: true` or `- webhook: { secret: NAME, params: {...} }`');
export type OnEntry = z.infer<typeof OnEntry>;

/** One entry of `on.schedule` (the map form). */
export const ScheduleEntry = z
  .strictObject({
    /** A 5-field cron expression (or `@daily`-style alias). */
    cronjob: z.string().describe('5-field cron expression (minute hour day-of-month month day-of-week) or `@daily`, `@hourly`, ...'),
    ...scheduleCommon,
  })
  .describe('`{ cronjob: "0 2 * * *", timezone: UTC }`');
export type ScheduleEntry = z.infer<typeof ScheduleEntry>;

/** `on:` in the list form (seed) or the map form (`schedule: [{ cronjob, timezone }]`). */
export const On = labeled(
  z
    .union([
      z.array(OnEntry),
      z.strictObject({
        /** Cron entries. */
        schedule: z.array(ScheduleEntry).optional().describe('Cron entries'),
        /** Manual releases accept any minute. */
        manual: z.boolean().optional().describe('`manual: true`: manual releases accept any minute'),
        /** An HTTP trigger of `tempoflow serve`. */
        webhook: WebhookTrigger.optional(),
      }),
    ])
    .describe('Triggers: a list of `{ cron, timezone }` / `{ manual: true }` / `{ webhook: {...} }`, or `{ schedule: [{ cronjob, timezone }], manual, webhook }`'),
  'a list of `- cron: ...` / `- manual: true` / `- webhook: {...}` entries, or `{ schedule: [...] }`',
);
export type On = z.infer<typeof On>;

/** A runnable workflow (`type: Workflow`). */
export const WorkflowDecl = z
  .strictObject({
    /** Object type. */
    type: z.literal('Workflow').describe('`Workflow`: a runnable workflow'),
    /** Description (markdown). */
    desc: z.string().optional().describe('Description (markdown)'),
    /** Tags for grouping. */
    tags: z.array(z.string()).optional().describe('Tags for grouping workflows'),
    /** Typed parameters. */
    params: labeled(z.record(z.string(), ParamDecl).optional().describe('Typed parameters, by name'), 'a map of parameter names to declarations'),
    /** Schedules and manual trigger. */
    on: On.optional(),
    /** Run timeout (releases included). */
    timeout: LiteralDuration.optional().describe('Run timeout, releases included'),
    /** Accept params the workflow does not declare. */
    'allow-undeclared-params': z.boolean().optional().describe('Accept params that are not declared (default false)'),
    /** Environment variables for every stage. */
    env: EnvMap.optional(),
    /** A concurrency group the run holds from its first job to its end. */
    concurrency: Concurrency.optional().describe('A concurrency group the run holds from its first job to its end: a group key, or `{ group, limit, queue, on-full, cancel-in-progress }`'),
    /** Jobs, keyed by id, in YAML order. */
    jobs: labeled(
      z
        .record(z.string(), JobDecl)
        .refine((jobs) => Object.keys(jobs).length > 0, 'a workflow needs at least one job')
        .describe('Jobs by id; they run as a DAG through `needs`'),
      'a map of job ids to jobs',
    ),
  })
  .meta({ id: 'Workflow' })
  .describe('A runnable workflow');
export type WorkflowDecl = z.infer<typeof WorkflowDecl>;

/** A reusable job (`type: Job`), pulled in by a job's `extends:`; every key is optional. */
export const JobTemplate = z
  .strictObject({
    /** Object type. */
    type: z.literal('Job').describe('`Job`: a reusable job, pulled in with `extends:`'),
    ...jobShape,
    stages: StageList.optional().describe('The stages, run in order'),
  })
  .meta({ id: 'JobTemplate' })
  .describe('A reusable job for `extends:`; every key is optional');
export type JobTemplate = z.infer<typeof JobTemplate>;

/** A reusable stage (`type: Stage`), pulled in by a stage's `extends:`; may leave out the action. */
export const StageTemplate = z
  .strictObject({
    /** Object type. */
    type: z.literal('Stage').describe('`Stage`: a reusable stage, pulled in with `extends:`'),
    ...StageDecl.shape,
  })
  .meta({ id: 'StageTemplate' })
  .describe('A reusable stage for `extends:`; every key is optional');
export type StageTemplate = z.infer<typeof StageTemplate>;

/** A conf file: object names → Workflow, Job or Stage objects. */
export const ConfFile = z
  .record(z.string(), z.discriminatedUnion('type', [WorkflowDecl, JobTemplate, StageTemplate]))
  .describe('A tempoflow conf file: each top-level key names a Workflow, a reusable Job or a reusable Stage');
export type ConfFile = z.infer<typeof ConfFile>;
