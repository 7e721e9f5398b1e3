/**
 * Static checks of every `${{ }}` in a workflow, without evaluating
 * anything: syntax (positioned at the YAML line and column), unknown
 * functions and filters, arities, and the namespaces each field may read —
 * `matrix` only in a job with a strategy, `needs.<x>` only for a job listed
 * in `needs`, `stages.<x>` only for an earlier stage, `item`/`loop`/`branch`/
 * `case` only inside the nested stages that define them. Reading an
 * undeclared param and templating a param straight into a bash script are
 * warnings.
 *
 * Pure module: no I/O.
 */
import { analyzeCondition, analyzeTemplate, checkExpression, checkTemplate, namespaceKey, SECRETS_NAMESPACE, type ExpressionAnalysis, type ExpressionError } from '../expressions/index.js';
import { didYouMean } from '../expressions/suggest.js';
import { isRecord, stageId } from './checks.js';
import type { Reporter } from './origins.js';
import type { ValuePath } from './source.js';

/** Roots an expression may read (docs/yaml-format.md "Expressions", the namespace table). */
export const EXPRESSION_ROOTS = ['params', 'matrix', 'env', 'extras', 'needs', 'jobs', 'stages', 'release', 'item', 'loop', 'branch', 'case', 'secrets', 'workflow', 'job', 'event'] as const;

/** Nested-stage roots and the stages that define them. */
const NESTED_ROOTS: Readonly<Record<string, string>> = {
  item: '`foreach` and `until` stages',
  loop: '`foreach` and `until` stages',
  branch: '`parallel` branches',
  case: '`case` branches',
};

/** Roots a workflow-level `concurrency.group` may read: what is known before the first job. */
const RUN_GROUP_ROOTS: ReadonlySet<string> = new Set(['params', 'extras', 'workflow', 'release']);

/** Roots a job-level `concurrency.group` may read: what is known when the job is decided. */
const JOB_GROUP_ROOTS: ReadonlySet<string> = new Set([...RUN_GROUP_ROOTS, 'matrix', 'needs', 'jobs', 'job']);

/** Fields where `secrets.*` are rendered (on the worker). */
const SECRET_FIELDS = new Set(['bash', 'run', 'env', 'with']);

/** Expression issue codes, by expression error code. */
const CODES: Readonly<Record<string, string>> = {
  syntax: 'expression-syntax',
  'unknown-function': 'unknown-function',
  'unknown-filter': 'unknown-filter',
  arity: 'arity',
  cap: 'expression-cap',
};

interface JobScope {
  readonly id: string;
  readonly needs: ReadonlySet<string>;
  readonly matrix: boolean;
}

interface Scope {
  readonly job?: JobScope;
  /** Stage ids that `stages.<id>` may read here (`undefined`: none). */
  readonly stages?: ReadonlySet<string>;
  readonly nested: ReadonlySet<string>;
  /** Top-level key of the stage or job the string sits under (`bash`, `env`, ...). */
  readonly field?: string;
  /** When set, the only roots this field may read (`concurrency.group`). */
  readonly roots?: ReadonlySet<string>;
  /** In the params of a `webhook:` entry, where `event` (the delivery) is defined. */
  readonly event?: boolean;
}

/** What the expression checks need to know of the workflow. */
interface Context {
  readonly r: Reporter;
  readonly jobs: readonly string[];
  readonly params: ReadonlySet<string>;
  readonly allowUndeclared: boolean;
}

function strings(value: unknown, path: ValuePath, visit: (text: string, path: ValuePath) => void, depth = 0): void {
  if (depth > 64) return;
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => strings(v, [...path, i], visit, depth + 1));
  else if (isRecord(value)) for (const [k, v] of Object.entries(value)) strings(v, [...path, k], visit, depth + 1);
}

function needsOf(job: Record<string, unknown>): Set<string> {
  const needs = job.needs;
  return new Set(typeof needs === 'string' ? [needs] : Array.isArray(needs) ? needs.filter((n): n is string => typeof n === 'string') : []);
}

/** Checks every expression of a merged workflow value. */
export function checkExpressions(r: Reporter, wf: unknown): void {
  if (!isRecord(wf)) return;
  const jobs = isRecord(wf.jobs) ? wf.jobs : {};
  const params = new Set(isRecord(wf.params) ? Object.keys(wf.params) : []);
  const ctx: Context = { r, jobs: Object.keys(jobs), params, allowUndeclared: wf['allow-undeclared-params'] === true };
  const global: Scope = { nested: new Set() };
  strings(wf.env, ['env'], (t, p) => check(ctx, t, p, { ...global, field: 'env' }));
  strings(wf.concurrency, ['concurrency'], (t, p) => check(ctx, t, p, { ...global, field: 'concurrency', roots: RUN_GROUP_ROOTS }));
  const webhook = (hook: unknown, path: ValuePath): void => {
    if (isRecord(hook)) strings(hook.params, [...path, 'params'], (t, p) => check(ctx, t, p, { ...global, event: true }));
  };
  if (Array.isArray(wf.on)) {
    wf.on.forEach((e, i) => {
      if (!isRecord(e)) return;
      strings(e.params, ['on', i, 'params'], (t, p) => check(ctx, t, p, global));
      webhook(e.webhook, ['on', i, 'webhook']);
    });
  } else if (isRecord(wf.on)) {
    if (Array.isArray(wf.on.schedule)) wf.on.schedule.forEach((e, i) => isRecord(e) && strings(e.params, ['on', 'schedule', i, 'params'], (t, p) => check(ctx, t, p, global)));
    webhook(wf.on.webhook, ['on', 'webhook']);
  }
  for (const [id, job] of Object.entries(jobs)) if (isRecord(job)) checkJob(ctx, id, job);
}

function checkJob(ctx: Context, id: string, job: Record<string, unknown>): void {
  const base: ValuePath = ['jobs', id];
  const matrix = isRecord(job.strategy) && job.strategy.matrix !== undefined;
  const decide: Scope = { job: { id, needs: needsOf(job), matrix: false }, nested: new Set() };
  const inJob: Scope = { job: { id, needs: needsOf(job), matrix }, nested: new Set() };
  const stages = Array.isArray(job.stages) ? job.stages : [];
  for (const [key, value] of Object.entries(job)) {
    const path = [...base, key];
    switch (key) {
      case 'desc':
      case 'needs':
      case 'extends':
      case 'trigger-rule':
      case 'stages':
        break;
      case 'if':
        if (typeof value === 'string') check(ctx, value, path, decide, 'condition');
        break;
      case 'strategy':
      case 'runs-on':
        strings(value, path, (t, p) => check(ctx, t, p, decide));
        break;
      case 'outputs':
        strings(value, path, (t, p) => check(ctx, t, p, { ...inJob, stages: new Set(stages.map((s, i) => stageId(s, i))) }));
        break;
      case 'concurrency':
        strings(value, path, (t, p) => check(ctx, t, p, { ...inJob, field: key, roots: JOB_GROUP_ROOTS }));
        break;
      default:
        strings(value, path, (t, p) => check(ctx, t, p, { ...inJob, field: key }));
    }
  }
  checkStages(ctx, stages, [...base, 'stages'], inJob);
}

function checkStages(ctx: Context, stages: readonly unknown[], path: ValuePath, outer: Scope): void {
  const earlier = new Set(outer.stages ?? []);
  stages.forEach((raw, index) => {
    if (isRecord(raw)) checkStage(ctx, raw, [...path, index], { ...outer, stages: new Set(earlier) });
    earlier.add(stageId(raw, index));
  });
}

function checkStage(ctx: Context, stage: Record<string, unknown>, base: ValuePath, scope: Scope): void {
  const withRoots = (...roots: string[]): Scope => ({ ...scope, nested: new Set([...scope.nested, ...roots]) });
  for (const [key, value] of Object.entries(stage)) {
    const path = [...base, key];
    switch (key) {
      case 'id':
      case 'extends':
        break;
      case 'if':
        if (typeof value === 'string') check(ctx, value, path, scope, 'condition');
        break;
      case 'until':
        if (typeof value === 'string') check(ctx, value, path, withRoots('item', 'loop'), 'condition');
        break;
      case 'parallel':
        if (isRecord(value)) for (const [b, list] of Object.entries(value)) if (Array.isArray(list)) checkStages(ctx, list, [...path, b], withRoots('branch'));
        break;
      case 'stages':
        if (Array.isArray(value)) checkStages(ctx, value, path, withRoots('item', 'loop'));
        break;
      case 'match':
        if (Array.isArray(value)) {
          value.forEach((entry, i) => {
            if (!isRecord(entry)) return;
            strings(entry.case, [...path, i, 'case'], (t, p) => check(ctx, t, p, scope));
            for (const k of ['stages', 'else']) if (Array.isArray(entry[k])) checkStages(ctx, entry[k] as unknown[], [...path, i, k], withRoots('case'));
          });
        }
        break;
      default:
        strings(value, path, (t, p) => check(ctx, t, p, { ...scope, field: key }));
    }
  }
}

/** Checks one string: syntax and calls, then what it reads. */
function check(ctx: Context, text: string, path: ValuePath, scope: Scope, mode: 'template' | 'condition' = 'template'): void {
  const bare = mode === 'condition' && !text.includes('${{');
  if (!bare && !text.includes('${{')) return;
  const problems: ExpressionError[] = bare ? checkExpression(text) : checkTemplate(text);
  for (const e of problems) {
    ctx.r.addInString(path, text, e.offset, CODES[e.code] ?? 'expression-syntax', `${bare ? 'condition' : 'expression'}: ${e.reason}`, { hint: e.hint });
  }
  if (problems.some((e) => e.code === 'syntax' || e.code === 'cap')) return;
  let analysis: ExpressionAnalysis;
  try {
    analysis = bare ? analyzeCondition(text) : analyzeTemplate(text);
  } catch {
    return;
  }
  const seen = new Set<string>();
  for (const ref of analysis.references) {
    const key = `${ref.path.slice(0, 2).join('.')}@${ref.offset}`;
    if (seen.has(key)) continue;
    seen.add(key);
    checkReference(ctx, text, path, scope, ref.path, ref.offset);
  }
}

function checkReference(ctx: Context, text: string, path: ValuePath, scope: Scope, ref: readonly string[], offset: number): void {
  const r = ctx.r;
  const root = namespaceKey(ref[0] ?? '');
  const second = ref[1];
  const at = (code: string, message: string, hint?: string, severity: 'error' | 'warning' = 'error'): void => r.addInString(path, text, offset, code, message, { hint, severity });
  if (!(EXPRESSION_ROOTS as readonly string[]).includes(root)) {
    const best = didYouMean(root, EXPRESSION_ROOTS);
    at('unknown-namespace', `unknown namespace '${ref[0]}'`, best ? `did you mean '${best}'?` : `expressions read ${EXPRESSION_ROOTS.join(', ')}`);
    return;
  }
  if (scope.roots && !scope.roots.has(root)) {
    const level = scope.job ? `job '${scope.job.id}'` : 'the workflow';
    at(
      'namespace-not-here',
      root === SECRETS_NAMESPACE
        ? 'a concurrency group may not read secrets: its key is written to Temporal history (the group workflow is named after it)'
        : `the concurrency group of ${level} may read ${[...scope.roots].join(', ')}, not '${root}'`,
      'the group is rendered when the slot is asked for, before any stage runs',
    );
    return;
  }
  if (root in NESTED_ROOTS && !scope.nested.has(root)) {
    at('namespace-not-here', `'${root}' is only defined inside ${NESTED_ROOTS[root]}`);
    return;
  }
  switch (root) {
    case 'event':
      if (!scope.event) at('namespace-not-here', "'event' (a webhook delivery) is only defined in the params of a `webhook:` entry of `on:`");
      return;
    case 'matrix':
      if (!scope.job) at('namespace-not-here', "'matrix' is only defined inside a job with a strategy");
      else if (!scope.job.matrix) {
        at('namespace-not-here', `job '${scope.job.id}' has no strategy, so 'matrix' is empty here`, `add \`strategy: { matrix: ... }\` to job '${scope.job.id}'`);
      }
      return;
    case 'needs':
      if (!scope.job) {
        at('namespace-not-here', "'needs' is only defined inside a job");
      } else if (second !== undefined && second !== '*' && !scope.job.needs.has(second)) {
        const best = didYouMean(second, [...scope.job.needs]);
        at(
          'unknown-need-ref',
          `job '${scope.job.id}' reads needs.${second}, but '${second}' is not in its needs`,
          best ? `did you mean '${best}'?` : ctx.jobs.includes(second) ? `add '${second}' to the job's needs` : undefined,
        );
      }
      return;
    case 'jobs':
      if (second !== undefined && second !== '*' && !ctx.jobs.includes(second)) {
        const best = didYouMean(second, ctx.jobs);
        at('unknown-job-ref', `no job named '${second}' in this workflow`, best ? `did you mean '${best}'?` : undefined);
      }
      return;
    case 'stages':
      if (!scope.job) at('namespace-not-here', "'stages' is only defined inside a job");
      else if (second !== undefined && second !== '*' && !(scope.stages ?? new Set()).has(second)) {
        const known = [...(scope.stages ?? [])];
        const best = didYouMean(second, known);
        at(
          'unknown-stage-ref',
          `stages.${second} is not an earlier stage of job '${scope.job.id}'`,
          best ? `did you mean '${best}'?` : known.length ? `earlier stages: ${known.join(', ')}` : 'a stage reads only the outputs of stages before it',
        );
      }
      return;
    case 'params':
      if (second !== undefined && second !== '*' && !ctx.params.has(second)) {
        if (!ctx.allowUndeclared) {
          const best = didYouMean(second, [...ctx.params]);
          at('undeclared-param', `params.${second} is not declared by this workflow`, best ? `did you mean '${best}'?` : `declare it under params:`, 'warning');
        }
      }
      if (scope.field === 'bash' && second !== undefined && second !== '*') {
        const env = `TF_PARAM_${second.toUpperCase().replace(/-/g, '_')}`;
        at(
          'param-in-script',
          `params.${second} is templated straight into the bash script, where its value is read as code`,
          `use "$${env}" (every param is in the environment) instead of \${{ params.${second} }}`,
          'warning',
        );
      }
      return;
    case SECRETS_NAMESPACE:
      if (scope.field !== undefined && !SECRET_FIELDS.has(scope.field)) {
        at('secret-not-rendered', `secrets are rendered only in bash, run, env and with, so '${scope.field}' would show the template itself`, undefined, 'warning');
      } else if (scope.field === undefined) {
        at('secret-not-rendered', 'secrets are rendered only in bash, run, env and with', undefined, 'warning');
      }
      return;
  }
}
