/**
 * Checks of a (merged) workflow that its zod schema cannot express: one
 * action key per stage and the keys that go with it, `if` versus
 * `trigger-rule`, cron and timezone syntax, param defaults, unique stage ids,
 * matrix shape, the job graph. They run on the raw value whatever the schema
 * said, so a single run reports every problem; anything of the wrong shape
 * is left to the schema's report.
 *
 * Pure module: no I/O.
 */
import { groupKeyProblem, MAX_GROUP_KEY_LENGTH } from '../engine/concurrency.js';
import { analyzeDag } from '../engine/dag.js';
import { DEFAULT_MAX_COMBINATIONS, expandMatrix, MatrixError } from '../engine/matrix.js';
import { slugify } from '../engine/slug.js';
import { STAGE_ERROR_NAMES } from '../engine/stage-errors.js';
import { didYouMean } from '../expressions/suggest.js';
import { checkTimezone, reportCron } from './cron.js';
import type { Reporter } from './origins.js';
import { coerceParam } from './params.js';
import { PARAM_TYPES, STAGE_ACTIONS, StageDecl, type StageAction } from './schema.js';
import type { ValuePath } from './source.js';
import { suggestKey } from './zod-issues.js';

/** Ids of jobs, params and stages: a letter or `_`, then letters, digits, `_`, `-`. */
export const ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Pattern of a literal `uses:` reference. */
export const USES_PATTERN = /^tasks\/[A-Za-z0-9_][A-Za-z0-9_.-]*@[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function has(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

const ACTION_KEYS = Object.keys(STAGE_ACTIONS) as StageAction[];

/** The action keys of a raw stage, in YAML order. */
export function stageActions(raw: Record<string, unknown>): StageAction[] {
  return Object.keys(raw).filter((k): k is StageAction => has(STAGE_ACTIONS, k) && raw[k] !== undefined && raw[k] !== null);
}

/** The id a raw stage gets: its `id`, else the slug of its name, else of `<action> <n>`. */
export function stageId(raw: unknown, index: number): string {
  if (!isRecord(raw)) return `stage-${index + 1}`;
  if (typeof raw.id === 'string' && raw.id !== '') return raw.id;
  return slugify(stageName(raw, index));
}

/** The display name of a raw stage: its `name`, else its `id`, else `<action> <n>`. */
export function stageName(raw: Record<string, unknown>, index: number): string {
  if (typeof raw.name === 'string') return raw.name;
  if (typeof raw.id === 'string') return raw.id;
  return `${stageActions(raw)[0] ?? 'stage'} ${index + 1}`;
}

/** Context of the checks. */
export interface CheckContext {
  /** Names of the workflows of the conf tree (for `trigger:`). */
  readonly workflows: readonly string[];
  /** This workflow's name. */
  readonly name: string;
}

/** Runs every structural check of a merged workflow value. */
export function checkWorkflow(r: Reporter, wf: unknown, ctx: CheckContext): void {
  if (!isRecord(wf)) return;
  if (isRecord(wf.params)) checkParams(r, wf.params);
  if (wf.on !== undefined) checkOn(r, wf.on);
  checkConcurrency(r, ['concurrency'], wf.concurrency);
  if (isRecord(wf.jobs)) {
    for (const [id, job] of Object.entries(wf.jobs)) checkJob(r, id, job, ctx);
    checkDag(r, wf.jobs);
  }
}

function checkParams(r: Reporter, params: Record<string, unknown>): void {
  for (const [name, decl] of Object.entries(params)) {
    const path: ValuePath = ['params', name];
    if (!ID_PATTERN.test(name)) {
      r.add(path, 'bad-param-name', `param name '${name}' must start with a letter or '_' and hold letters, digits, '_' and '-'`, { at: 'key' });
    }
    if (!isRecord(decl) || typeof decl.type !== 'string' || !(PARAM_TYPES as readonly string[]).includes(decl.type)) continue;
    const type = decl.type as (typeof PARAM_TYPES)[number];
    const options = Array.isArray(decl.options) ? decl.options : undefined;
    if (type === 'choice' && (!options || options.length === 0)) {
      r.add(has(decl, 'options') ? [...path, 'options'] : [...path, 'type'], 'choice-options', `choice param '${name}' needs a non-empty 'options' list`);
    }
    if (type !== 'choice' && has(decl, 'options')) {
      r.add([...path, 'options'], 'options-not-choice', `'options' only applies to choice params, and '${name}' is ${type}`, { at: 'key', hint: 'use `type: choice` or remove `options`' });
    }
    const tz = typeof decl.tz === 'string' ? decl.tz : undefined;
    if (has(decl, 'tz')) {
      if (type !== 'datetime') r.add([...path, 'tz'], 'tz-not-datetime', `'tz' only applies to datetime params, and '${name}' is ${type}`, { at: 'key', hint: 'use `type: datetime` or remove `tz`' });
      const problem = tz !== undefined ? checkTimezone(tz) : undefined;
      if (problem) r.add([...path, 'tz'], 'bad-timezone', problem.message, { hint: problem.hint });
    }
    const zoneOk = tz === undefined || checkTimezone(tz) === undefined;
    if (zoneOk && has(decl, 'default') && decl.default !== null && (type !== 'choice' || (options && options.length > 0))) {
      const coerced = coerceParam({ type, ...(options ? { options } : {}), ...(tz !== undefined ? { tz } : {}) }, decl.default);
      if ('error' in coerced) r.add([...path, 'default'], 'bad-default', `default of '${name}' does not fit its type: ${coerced.error}`);
    }
    if (decl.required === true && has(decl, 'default')) {
      r.add([...path, 'required'], 'required-with-default', `'${name}' has a default, so it cannot be required`, { severity: 'warning', hint: 'remove `required: true` or the default' });
    }
  }
}

function checkOn(r: Reporter, on: unknown): void {
  const seen = new Map<string, string>();
  let webhookAt: string | undefined;
  const webhook = (path: ValuePath): void => {
    if (webhookAt !== undefined) {
      r.add(path, 'duplicate-webhook', `a workflow has one webhook entry, and the entry at line ${webhookAt} is one`, { at: 'key', hint: 'merge the two entries' });
    } else webhookAt = r.loc(path).split(':').slice(-2, -1)[0] ?? '?';
  };
  const entry = (path: ValuePath, e: unknown, cronKey: 'cron' | 'cronjob'): void => {
    if (!isRecord(e)) return;
    const cron = e[cronKey];
    if (cronKey === 'cron' && e.webhook !== undefined) {
      if (cron !== undefined || e.manual !== undefined) {
        r.add([...path, 'webhook'], 'two-triggers', 'an `on` entry is one of `cron: ...`, `manual: true` or `webhook: {...}`', { at: 'key', hint: 'split it into separate entries' });
        return;
      }
      for (const key of ['timezone', 'params', 'overlap', 'catchup-window']) {
        if (has(e, key)) {
          r.add([...path, key], 'key-not-for-webhook', `'${key}' only applies to cron entries`, { at: 'key', hint: key === 'params' ? 'put the params under `webhook:`' : undefined });
        }
      }
      webhook([...path, 'webhook']);
      return;
    }
    if (cronKey === 'cron') {
      if (e.manual !== undefined && cron !== undefined) {
        r.add([...path, 'manual'], 'cron-and-manual', 'an `on` entry is either `cron: ...` or `manual: true`, not both', { at: 'key', hint: 'split it into two entries' });
      } else if (e.manual !== undefined) {
        for (const key of ['timezone', 'params', 'overlap', 'catchup-window']) {
          if (has(e, key)) r.add([...path, key], 'key-not-for-manual', `'${key}' only applies to cron entries`, { at: 'key' });
        }
        return;
      } else if (cron === undefined) {
        r.add(path, 'missing-key', 'an `on` entry needs `cron: ...`, `manual: true` or `webhook: {...}`', { hint: "e.g. `- cron: '0 9 * * 1-5'`" });
        return;
      }
    }
    if (typeof cron === 'string') reportCron(r, [...path, cronKey], cron);
    const tz = e.timezone;
    if (typeof tz === 'string') {
      const problem = checkTimezone(tz);
      if (problem) r.add([...path, 'timezone'], 'bad-timezone', problem.message, { hint: problem.hint });
    }
    if (typeof cron === 'string') {
      const key = `${cron.trim().replace(/\s+/g, ' ')}|${typeof tz === 'string' ? tz : 'UTC'}`;
      const first = seen.get(key);
      if (first) r.add(path, 'duplicate-schedule', `the same cron and timezone are already scheduled by the entry at line ${first}`, { hint: 'remove one of them' });
      else seen.set(key, r.loc(path).split(':').slice(-2, -1)[0] ?? '?');
    }
  };
  if (Array.isArray(on)) on.forEach((e, i) => entry(['on', i], e, 'cron'));
  else if (isRecord(on)) {
    if (Array.isArray(on.schedule)) on.schedule.forEach((e, i) => entry(['on', 'schedule', i], e, 'cronjob'));
    if (on.webhook !== undefined) webhook(['on', 'webhook']);
  }
}

function checkJob(r: Reporter, id: string, job: unknown, ctx: CheckContext): void {
  const path: ValuePath = ['jobs', id];
  if (!ID_PATTERN.test(id)) {
    r.add(path, 'bad-job-id', `job id '${id}' must start with a letter or '_' and hold letters, digits, '_' and '-'`, { at: 'key' });
  }
  if (!isRecord(job)) return;
  if (job.if !== undefined && job['trigger-rule'] !== undefined) {
    r.add([...path, 'trigger-rule'], 'if-and-trigger-rule', 'a job has `if` or `trigger-rule`, not both', {
      at: 'key',
      hint: 'fold the rule into the condition, e.g. `if: ${{ always() }}` for all_done',
    });
  }
  if (job.timeout !== undefined && job['timeout-minutes'] !== undefined) {
    r.add([...path, 'timeout-minutes'], 'timeout-twice', 'a job has `timeout` or `timeout-minutes`, not both', { at: 'key' });
  }
  checkConcurrency(r, [...path, 'concurrency'], job.concurrency);
  if (isRecord(job.strategy)) checkMatrix(r, [...path, 'strategy'], job.strategy);
  if (Array.isArray(job.stages)) checkStageList(r, [...path, 'stages'], job.stages, ctx);
  if (isRecord(job['runs-on']) && job['runs-on'].type === 'self-hosted') {
    const hint = 'a local activity runs on the worker that runs the workflow, not on the `runs-on` task queue: drop `dispatch: local`, or move these stages to a job without `runs-on`';
    const local = [...(job.dispatch === 'local' ? [[...path, 'dispatch']] : []), ...(Array.isArray(job.stages) ? localDispatches([...path, 'stages'], job.stages) : [])];
    for (const at of local) r.add(at, 'local-dispatch-runs-on', "`dispatch: local` cannot run on a `runs-on: self-hosted` job's task queue", { at: 'key', hint });
  }
}

/** Paths of the `dispatch: local` keys of a stage list, nested lists included. */
function localDispatches(path: ValuePath, stages: readonly unknown[]): ValuePath[] {
  return stages.flatMap((raw, index): ValuePath[] => {
    if (!isRecord(raw)) return [];
    const at: ValuePath = [...path, index];
    const lists: [ValuePath, unknown][] = [
      [[...at, 'stages'], raw.stages],
      ...(isRecord(raw.parallel) ? Object.entries(raw.parallel).map(([b, list]): [ValuePath, unknown] => [[...at, 'parallel', b], list]) : []),
      ...(Array.isArray(raw.match)
        ? raw.match.flatMap((m, i): [ValuePath, unknown][] => (isRecord(m) ? ['stages', 'else'].map((k): [ValuePath, unknown] => [[...at, 'match', i, k], m[k]]) : []))
        : []),
    ];
    return [...(raw.dispatch === 'local' ? [[...at, 'dispatch']] : []), ...lists.flatMap(([p, list]) => (Array.isArray(list) ? localDispatches(p, list) : []))];
  });
}

/** A literal group key must be usable as it is (a templated one is checked when rendered). */
function checkConcurrency(r: Reporter, path: ValuePath, value: unknown): void {
  const keyPath = typeof value === 'string' ? path : [...path, 'group'];
  const key = typeof value === 'string' ? value : isRecord(value) && typeof value.group === 'string' ? value.group : undefined;
  if (key === undefined || key === '' || key.includes('${{')) return; // '' is the schema's to report
  const problem = groupKeyProblem(key.trim());
  if (problem) r.add(keyPath, 'bad-group', problem, { hint: `a group key is 1 to ${MAX_GROUP_KEY_LENGTH} characters on one line, e.g. \`deploy-\${{ params.env }}\`` });
}

function checkMatrix(r: Reporter, path: ValuePath, strategy: Record<string, unknown>): void {
  const matrix = strategy.matrix;
  if (!isRecord(matrix)) return;
  let literal = true;
  const dims: Record<string, unknown> = {};
  for (const [key, values] of Object.entries(matrix)) {
    if (key === 'include' || key === 'exclude') continue;
    if (Array.isArray(values)) {
      if (values.length === 0) r.add([...path, 'matrix', key], 'empty-matrix', `matrix key '${key}' has no values, so the job would never run`, { hint: 'list at least one value' });
      dims[key] = values;
    } else literal = false;
  }
  const lists = (v: unknown): v is Record<string, unknown>[] => Array.isArray(v) && v.every(isRecord);
  const include = [matrix.include, strategy.include].filter(lists).flat();
  const exclude = [matrix.exclude, strategy.exclude].filter(lists).flat();
  if (Object.keys(dims).length === 0 && include.length === 0) {
    if (literal) r.add([...path, 'matrix'], 'empty-matrix', 'the matrix has no keys and no include entries', { hint: 'add a key with a list of values' });
    return;
  }
  if (!literal || JSON.stringify([dims, include, exclude]).includes('${{')) return;
  try {
    expandMatrix({ matrix: dims, include, exclude }, { maxCombinations: DEFAULT_MAX_COMBINATIONS });
  } catch (err) {
    if (err instanceof MatrixError) r.add([...path, 'matrix'], 'matrix', err.message);
    else throw err;
  }
}

/** Checks a list of stages: each stage, and unique ids within the list. */
function checkStageList(r: Reporter, path: ValuePath, stages: readonly unknown[], ctx: CheckContext): void {
  const seen = new Map<string, number>();
  stages.forEach((raw, index) => {
    const stagePath = [...path, index];
    checkStage(r, stagePath, raw, ctx);
    if (!isRecord(raw)) return;
    const id = stageId(raw, index);
    const prev = seen.get(id);
    if (prev !== undefined) {
      r.add(has(raw, 'id') ? [...stagePath, 'id'] : has(raw, 'name') ? [...stagePath, 'name'] : stagePath, 'duplicate-stage-id', `stage id '${id}' is already used by stage ${prev + 1} of this list`, {
        hint: 'give one of them an explicit, unique `id:`',
      });
    } else seen.set(id, index);
  });
}

function checkStage(r: Reporter, path: ValuePath, raw: unknown, ctx: CheckContext): void {
  if (!isRecord(raw)) return;
  const actions = stageActions(raw);
  // A misspelt action key (`bsh:`) is reported as an unknown key with its
  // suggestion; "no action" would only repeat it.
  const misspeltAction = Object.keys(raw).some((k) => !has(StageDecl.shape, k) && suggestKey(k, ACTION_KEYS) !== undefined);
  if (actions.length === 0 && !misspeltAction) {
    r.add(path, 'no-action', 'a stage needs exactly one action key', { hint: `add one of: ${ACTION_KEYS.join(', ')}` });
  } else if (actions.length > 1) {
    for (const extra of actions.slice(1)) {
      r.add([...path, extra], 'two-actions', `a stage has exactly one action key, but this one has ${actions.join(' and ')}`, { at: 'key', hint: 'split it into two stages' });
    }
  }
  const action = actions[0];
  if (action !== undefined && actions.length === 1) {
    const allowed = STAGE_ACTIONS[action] as readonly string[];
    for (const key of Object.keys(raw)) {
      if (allowed.includes(key)) continue;
      const owners = ACTION_KEYS.filter((a) => (STAGE_ACTIONS[a] as readonly string[]).includes(key));
      if (owners.length > 0) {
        r.add([...path, key], 'key-not-for-action', `'${key}' only applies to ${owners.map((o) => `'${o}'`).join(' and ')} stages, not '${action}'`, { at: 'key' });
      }
    }
    const need = (key: string, what: string): void => {
      const article = /^[aeiou]/.test(action) ? 'an' : 'a';
      if (raw[key] === undefined) r.add([...path, action], 'missing-key', `${article} '${action}' stage needs '${key}': ${what}`, { at: 'key' });
    };
    if (action === 'foreach' || action === 'until') need('stages', 'the stages to repeat');
    if (action === 'case') need('match', 'the branches, `- case: x` with `stages:`, and `- else:`');
    if (action === 'uses' && typeof raw.uses === 'string' && !raw.uses.includes('${{') && !USES_PATTERN.test(raw.uses)) {
      r.add([...path, 'uses'], 'bad-uses', `'${raw.uses}' is not a task reference`, { hint: 'write `tasks/<name>@<tag>`, e.g. `tasks/send-mail@v1`' });
    }
    if (action === 'trigger' && typeof raw.trigger === 'string' && !raw.trigger.includes('${{')) {
      if (raw.trigger === ctx.name) {
        r.add([...path, 'trigger'], 'trigger-cycle', `workflow '${ctx.name}' triggers itself`, { hint: 'a trigger chain may not come back to a workflow already running' });
      } else if (!ctx.workflows.includes(raw.trigger)) {
        const best = didYouMean(raw.trigger, ctx.workflows);
        r.add([...path, 'trigger'], 'unknown-workflow', `no workflow named '${raw.trigger}' in the conf tree`, { hint: best ? `did you mean '${best}'?` : undefined });
      }
    }
    if (action === 'parallel' && isRecord(raw.parallel) && Object.keys(raw.parallel).length === 0) {
      r.add([...path, 'parallel'], 'invalid-value', 'a parallel stage needs at least one branch');
    }
  }
  if (raw.timeout !== undefined && raw['timeout-minutes'] !== undefined) {
    r.add([...path, 'timeout-minutes'], 'timeout-twice', 'a stage has `timeout` or `timeout-minutes`, not both', { at: 'key' });
  }
  checkNonRetryableErrors(r, path, raw.retry);
  if (isRecord(raw.parallel)) {
    for (const [branch, list] of Object.entries(raw.parallel)) {
      if (!ID_PATTERN.test(branch)) {
        r.add([...path, 'parallel', branch], 'bad-branch-name', `branch name '${branch}' must start with a letter or '_' and hold letters, digits, '_' and '-'`, { at: 'key' });
      }
      if (Array.isArray(list)) checkStageList(r, [...path, 'parallel', branch], list, ctx);
    }
  }
  if (Array.isArray(raw.stages)) checkStageList(r, [...path, 'stages'], raw.stages, ctx);
  if (Array.isArray(raw.match)) checkMatch(r, [...path, 'match'], raw.match, ctx);
}

/**
 * Names in `non-retryable-errors` are compared exactly, so a misspelt stage
 * error name (`TimeOutError`) silently retries: warn when a name is within
 * two edits of a stage error name without being one. Other names (Python
 * exceptions, task error types) are the user's own.
 */
function checkNonRetryableErrors(r: Reporter, path: ValuePath, retry: unknown): void {
  if (!isRecord(retry) || !Array.isArray(retry['non-retryable-errors'])) return;
  retry['non-retryable-errors'].forEach((name: unknown, i) => {
    if (typeof name !== 'string' || (STAGE_ERROR_NAMES as readonly string[]).includes(name)) return;
    const best = didYouMean(name, STAGE_ERROR_NAMES, { maxDistance: 2 });
    if (best === undefined) return;
    r.add([...path, 'retry', 'non-retryable-errors', i], 'unknown-error-name', `'${name}' is not a stage error name, so a stage failing with ${best} is still retried`, {
      hint: `did you mean '${best}'? Names are compared exactly; see "Stage error names" in docs/semantics.md`,
      severity: 'warning',
    });
  });
}

function checkMatch(r: Reporter, path: ValuePath, match: readonly unknown[], ctx: CheckContext): void {
  let elseAt: number | undefined;
  match.forEach((entry, i) => {
    if (!isRecord(entry)) return;
    const p = [...path, i];
    const isElse = has(entry, 'else');
    if (isElse && (has(entry, 'case') || has(entry, 'stages'))) {
      r.add(p, 'bad-match', 'an `else` entry holds only `else: [stages]`', { hint: 'move the stages under `else:` and drop `case:`/`stages:`' });
    } else if (!isElse && !has(entry, 'case')) {
      r.add(p, 'bad-match', 'a match entry needs `case: <value>` (or is `else: [stages]`)');
    } else if (!isElse && !has(entry, 'stages')) {
      r.add(p, 'missing-key', `the match entry for case ${JSON.stringify(entry.case)} needs 'stages'`);
    }
    if (isElse) {
      if (elseAt !== undefined) r.add([...p, 'else'], 'bad-match', 'a case stage has one `else` entry', { at: 'key' });
      elseAt ??= i;
    }
    for (const key of ['stages', 'else']) if (Array.isArray(entry[key])) checkStageList(r, [...p, key], entry[key] as unknown[], ctx);
  });
  if (elseAt !== undefined && elseAt < match.length - 1) {
    r.add([...path, elseAt, 'else'], 'else-not-last', 'the `else` entry must be the last one: entries after it never run', { at: 'key' });
  }
}

/** Job graph checks: unknown needs, self needs, every cycle, no root. */
function checkDag(r: Reporter, jobs: Record<string, unknown>): void {
  const graph = new Map<string, { needs: string[] }>();
  for (const [id, raw] of Object.entries(jobs)) {
    const needs = isRecord(raw) ? raw.needs : undefined;
    graph.set(id, { needs: typeof needs === 'string' ? [needs] : Array.isArray(needs) ? needs.map((n) => (typeof n === 'string' ? n : String(n))) : [] });
  }
  const { problems } = analyzeDag(graph);
  for (const p of problems) {
    const job = jobs[p.job];
    const rawNeeds = isRecord(job) ? job.needs : undefined;
    const path: ValuePath =
      p.needIndex !== undefined
        ? Array.isArray(rawNeeds)
          ? ['jobs', p.job, 'needs', p.needIndex]
          : ['jobs', p.job, 'needs']
        : p.code === 'cycle' && rawNeeds !== undefined
          ? ['jobs', p.job, 'needs']
          : ['jobs', p.job];
    r.add(path, p.code, p.message, { at: path.length === 2 ? 'key' : 'value' });
  }
}
