/**
 * zod schemas of the YAML format (SPEC §3). Objects are strict, so a typo is
 * an error (with a "did you mean" from the validator), never silently
 * ignored. Each schema and its inferred type share a name.
 *
 * Pure module: no I/O.
 */
import { z } from 'zod';

/** A string holding a `${{ }}` template, accepted where a number or boolean is expected. */
export const TemplateString = z
  .string()
  .regex(/\$\{\{[\s\S]*\}\}/, 'expected a `${{ }}` expression')
  .describe('A `${{ expression }}` evaluated at run time');
export type TemplateString = z.infer<typeof TemplateString>;

const durationPattern = /^(\d+(\.\d+)?(ms|s|m|h|d))+$/;

/** A duration: seconds as a number, or text like `30s`, `10m`, `1h30m`, `2d`. */
export const Duration = z
  .union([z.number().positive(), z.string().regex(durationPattern, 'expected a duration such as `30s`, `10m`, `1h30m`'), TemplateString])
  .describe('Seconds, or a duration such as `30s`, `10m`, `1h30m`');
export type Duration = z.infer<typeof Duration>;

/** Parses a literal duration into seconds; `undefined` for a template. */
export function durationSeconds(value: number | string): number | undefined {
  if (typeof value === 'number') return value;
  if (value.includes('${{')) return undefined;
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };
  let total = 0;
  for (const m of value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) total += Number(m[1]) * units[m[2]!]!;
  return total;
}

const NonNegativeInt = z.number().int().nonnegative();

/** A parameter declaration: shorthand type name, or the full object. */
export const ParamDecl = z.union([
  z.enum(['str', 'int', 'float', 'decimal', 'bool', 'date', 'datetime', 'map', 'array']),
  z.strictObject({
    /** Parameter type. */
    type: z.enum(['str', 'int', 'float', 'decimal', 'bool', 'date', 'datetime', 'choice', 'map', 'array']),
    /** Shown by `tempoflow list` and in docs. */
    description: z.string().optional(),
    /** Used when the caller passes no value; makes the param optional. */
    default: z.unknown().optional(),
    /** Defaults to true when there is no default. */
    required: z.boolean().optional(),
    /** Allowed values of a `choice` param. */
    options: z.array(z.unknown()).optional(),
  }),
]);
export type ParamDecl = z.infer<typeof ParamDecl>;

/** Stage retry: a count, or `${{ }}`. */
export const StageRetry = z.union([NonNegativeInt, TemplateString]);
export type StageRetry = z.infer<typeof StageRetry>;

/** Keys every stage may carry besides its action. */
const stageCommon = {
  /** Display name; may contain templates. Its slug is the default id. */
  name: z.string().optional(),
  /** Unique id within the job, used in `stages.<id>`. */
  id: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'ids start with a letter or `_` and hold letters, digits, `_` and `-`').optional(),
  /** Condition; the stage is SKIP when false. */
  if: z.string().optional(),
  /** Retries of the stage's own failures, on a durable timer. */
  retry: StageRetry.optional(),
  /** Per-attempt timeout. */
  timeout: Duration.optional(),
  /** Environment variables for subprocess stages. */
  env: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  /** The stage keeps FAILED but does not fail the job. */
  'continue-on-error': z.union([z.boolean(), TemplateString]).optional(),
};

/** Every key a stage may have, across all kinds. Exactly one action key is allowed. */
export const StageDecl = z.strictObject({
  ...stageCommon,
  /** Log a templated message (no activity). */
  echo: z.string().optional(),
  /** With `echo`: sleep durably for this many seconds. */
  sleep: z.union([z.number().nonnegative(), TemplateString]).optional(),
  /** Run a bash script (`bash --noprofile --norc -eo pipefail`). */
  bash: z.string().optional(),
  /** With `bash`: working directory relative to `$TF_WORKSPACE`. */
  cwd: z.string().optional(),
});
export type StageDecl = z.infer<typeof StageDecl>;

/** Action keys and the extra keys each allows. */
export const STAGE_ACTIONS = {
  echo: ['sleep'],
  bash: ['cwd'],
} as const satisfies Record<string, readonly string[]>;
export type StageAction = keyof typeof STAGE_ACTIONS;

/** A job. */
export const JobDecl = z.strictObject({
  /** Description (markdown). */
  desc: z.string().optional(),
  /** Jobs that must finish first. */
  needs: z.union([z.string(), z.array(z.string())]).optional(),
  /** Condition deciding whether the job runs once its needs are done. */
  if: z.string().optional(),
  /** The stages, run in order. */
  stages: z.array(z.unknown()).min(1, 'a job needs at least one stage'),
});
export type JobDecl = z.infer<typeof JobDecl>;

/** A runnable workflow (`type: Workflow`). */
export const WorkflowDecl = z.strictObject({
  type: z.literal('Workflow'),
  /** Description (markdown). */
  desc: z.string().optional(),
  /** Typed parameters. */
  params: z.record(z.string(), ParamDecl).optional(),
  /** Environment variables for every stage. */
  env: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  /** Jobs, keyed by id. */
  jobs: z.record(z.string(), z.unknown()).refine((jobs) => Object.keys(jobs).length > 0, 'a workflow needs at least one job'),
});
export type WorkflowDecl = z.infer<typeof WorkflowDecl>;
