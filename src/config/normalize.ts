/**
 * Turns a validated workflow (the zod output of its merged YAML) into the
 * normalized `WorkflowSpec` the interpreter walks. Runs only when validation
 * found no error, so shapes are known here.
 *
 * Mapping choices (documented in docs/yaml-format.md):
 * - `retry: N` and `retry: ${{ }}` are retries after the first attempt; the
 *   object form's `maximum-attempts` counts the first attempt too, so
 *   `maximumRetries = maximum-attempts - 1`.
 * - `timeout-minutes: N` is `timeoutSeconds = 60 N`.
 * - `include`/`exclude` written inside `matrix` move to the strategy lists,
 *   ahead of the ones written beside it (the order matrix expansion uses).
 * - `{ else: [stages] }` becomes `{ else: true, stages }`.
 */
import type { ConcurrencySpec, CronTriggerSpec, JobSpec, OverlapPolicyName, ParamSpec, RetrySpec, StageSpec, StrategySpec, Templated, WebhookTriggerSpec, WorkflowSpec } from '../engine/spec.js';
import { DEFAULT_CONCURRENCY_LIMIT, DEFAULT_CONCURRENCY_QUEUE } from '../engine/concurrency.js';
import { stageId, stageName, stageActions } from './checks.js';
import type { Reporter } from './origins.js';
import {
  durationSeconds,
  type CaseBranch,
  type Concurrency,
  type EnvMap,
  type JobDecl,
  type OnEntry,
  type Retry,
  type StageDecl,
  type Strategy,
  type WebhookTrigger,
  type WorkflowDecl,
} from './schema.js';
import { contentLine, type ValuePath } from './source.js';

/** Defaults of the retry policy. */
export const RETRY_DEFAULTS = { initialIntervalSeconds: 1, backoffCoefficient: 2, maximumIntervalSeconds: 300 } as const;

/** The spec of a validated workflow. */
export function normalizeWorkflow(r: Reporter, name: string, file: string, decl: WorkflowDecl): WorkflowSpec {
  const params: ParamSpec[] = Object.entries(decl.params ?? {}).map(([p, d]) => {
    const loc = r.loc(['params', p], 'key');
    if (typeof d === 'string') return { name: p, type: d as ParamSpec['type'], required: true, loc };
    const hasDefault = Object.prototype.hasOwnProperty.call(d, 'default') && d.default !== undefined;
    return {
      name: p,
      type: d.type,
      ...(d.description !== undefined ? { description: d.description } : {}),
      ...(hasDefault ? { default: d.default } : {}),
      required: d.required ?? !hasDefault,
      ...(d.options ? { options: d.options } : {}),
      ...(d.tz !== undefined ? { tz: d.tz } : {}),
      loc,
    };
  });
  const schedules: CronTriggerSpec[] = [];
  let manual = false;
  const on = decl.on;
  const schedule = (path: ValuePath, cron: string, e: Omit<OnEntry, 'cron' | 'manual'>): void => {
    const catchup = e['catchup-window'] === undefined ? undefined : durationSeconds(e['catchup-window']);
    schedules.push({
      cron: cron.trim(),
      timezone: e.timezone ?? 'UTC',
      params: e.params ?? {},
      overlap: (e.overlap ?? 'skip') as OverlapPolicyName,
      ...(catchup !== undefined ? { catchupWindowSeconds: catchup } : {}),
      loc: r.loc(path),
    });
  };
  let webhook: WebhookTriggerSpec | undefined;
  const hook = (path: ValuePath, w: WebhookTrigger): void => {
    webhook = { auth: w.auth ?? 'hmac', secret: w.secret, params: w.params ?? {}, loc: r.loc(path, 'key') };
  };
  if (Array.isArray(on)) {
    on.forEach((e, i) => {
      if (e.manual) manual = true;
      if (e.cron !== undefined) schedule(['on', i], e.cron, e);
      if (e.webhook !== undefined) hook(['on', i, 'webhook'], e.webhook);
    });
  } else if (on) {
    if (on.manual) manual = true;
    (on.schedule ?? []).forEach((e, i) => schedule(['on', 'schedule', i], e.cronjob, e));
    if (on.webhook !== undefined) hook(['on', 'webhook'], on.webhook);
  }
  const timeout = decl.timeout === undefined ? undefined : durationSeconds(decl.timeout);
  return {
    name,
    ...(decl.desc !== undefined ? { desc: decl.desc } : {}),
    file,
    tags: decl.tags ?? [],
    params,
    allowUndeclaredParams: decl['allow-undeclared-params'] ?? false,
    schedules,
    manual,
    ...(webhook ? { webhook } : {}),
    ...(timeout !== undefined ? { timeoutSeconds: timeout } : {}),
    env: stringifyEnv(decl.env),
    ...(decl.concurrency !== undefined ? { concurrency: concurrencySpec(r, ['concurrency'], decl.concurrency) } : {}),
    jobs: Object.entries(decl.jobs).map(([id, job]) => normalizeJob(r, id, job)),
    loc: r.loc([], 'key'),
  };
}

function normalizeJob(r: Reporter, id: string, job: JobDecl): JobSpec {
  const base: ValuePath = ['jobs', id];
  const timeout = timeoutOf(job.timeout, job['timeout-minutes']);
  return {
    id,
    ...(job.desc !== undefined ? { desc: job.desc } : {}),
    needs: job.needs === undefined ? [] : typeof job.needs === 'string' ? [job.needs] : [...new Set(job.needs)],
    ...(job.if !== undefined ? { if: job.if } : {}),
    ...(job['trigger-rule'] !== undefined ? { triggerRule: job['trigger-rule'] } : {}),
    runsOn: job['runs-on']?.type === 'self-hosted' ? { type: 'self-hosted', taskQueue: job['runs-on']['task-queue'] } : { type: 'local' },
    ...(job.dispatch !== undefined ? { dispatch: job.dispatch } : {}),
    ...(job.strategy ? { strategy: normalizeStrategy(job.strategy) } : {}),
    retry: retrySpec(job.retry),
    ...(timeout !== undefined ? { timeoutSeconds: timeout } : {}),
    continueOnError: job['continue-on-error'] ?? false,
    ...(job.outputs ? { outputs: job.outputs } : {}),
    env: stringifyEnv(job.env),
    ...(job.concurrency !== undefined ? { concurrency: concurrencySpec(r, [...base, 'concurrency'], job.concurrency) } : {}),
    stages: normalizeStages(r, job.stages, [...base, 'stages']),
    loc: r.loc(base, 'key'),
  };
}

function normalizeStrategy(s: Strategy): StrategySpec {
  let matrix: StrategySpec['matrix'];
  const include: unknown[] = [];
  const exclude: unknown[] = [];
  if (typeof s.matrix === 'string') matrix = s.matrix;
  else {
    const { include: inc, exclude: exc, ...rest } = s.matrix;
    matrix = rest;
    include.push(...(inc ?? []));
    exclude.push(...(exc ?? []));
  }
  include.push(...(s.include ?? []));
  exclude.push(...(s.exclude ?? []));
  return {
    matrix,
    include,
    exclude,
    ...(s['max-parallel'] !== undefined ? { maxParallel: s['max-parallel'] } : {}),
    failFast: s['fail-fast'] ?? true,
  };
}

/** `concurrency:` with its defaults (a bare string is the group key). */
function concurrencySpec(r: Reporter, path: ValuePath, value: Concurrency): ConcurrencySpec {
  const decl = typeof value === 'string' ? { group: value } : value;
  return {
    group: decl.group.trim(),
    limit: decl.limit ?? DEFAULT_CONCURRENCY_LIMIT,
    queue: decl.queue ?? DEFAULT_CONCURRENCY_QUEUE,
    onFull: decl['on-full'] ?? 'fail',
    cancelInProgress: decl['cancel-in-progress'] ?? false,
    loc: r.loc(path, 'key'),
  };
}

/** The retry policy of a `retry:` value (absent: no retries). */
export function retrySpec(retry: Retry | undefined): RetrySpec {
  const defaults = { ...RETRY_DEFAULTS, nonRetryableErrors: [] as string[] };
  if (retry === undefined) return { maximumRetries: 0, ...defaults };
  if (typeof retry === 'number' || typeof retry === 'string') return { maximumRetries: typeof retry === 'string' ? retry.trim() : retry, ...defaults };
  return {
    maximumRetries: retry['maximum-attempts'] - 1,
    initialIntervalSeconds: retry['initial-interval'] === undefined ? RETRY_DEFAULTS.initialIntervalSeconds : (durationSeconds(retry['initial-interval']) ?? 1),
    backoffCoefficient: retry['backoff-coefficient'] ?? RETRY_DEFAULTS.backoffCoefficient,
    maximumIntervalSeconds: retry['maximum-interval'] === undefined ? RETRY_DEFAULTS.maximumIntervalSeconds : (durationSeconds(retry['maximum-interval']) ?? 300),
    nonRetryableErrors: retry['non-retryable-errors'] ?? [],
  };
}

function timeoutOf(timeout: number | string | undefined, minutes: number | undefined): Templated<number> | undefined {
  if (minutes !== undefined) return minutes * 60;
  if (timeout === undefined) return undefined;
  return durationSeconds(timeout) ?? (timeout as string).trim();
}

function normalizeStages(r: Reporter, stages: readonly StageDecl[], path: ValuePath): StageSpec[] {
  return stages.map((s, i) => normalizeStage(r, s, [...path, i], i));
}

function normalizeStage(r: Reporter, s: StageDecl, path: ValuePath, index: number): StageSpec {
  const raw = s as unknown as Record<string, unknown>;
  const action = stageActions(raw)[0]!;
  const timeout = timeoutOf(s.timeout, s['timeout-minutes']);
  const common = {
    id: stageId(raw, index),
    name: stageName(raw, index),
    ...(s.if !== undefined ? { if: s.if } : {}),
    retry: retrySpec(s.retry),
    ...(timeout !== undefined ? { timeoutSeconds: timeout } : {}),
    env: stringifyEnv(s.env),
    continueOnError: s['continue-on-error'] ?? false,
    loc: r.loc(path),
  };
  const nested = (key: string, list: readonly StageDecl[] | undefined) => normalizeStages(r, list ?? [], [...path, key]);
  const dispatch = s.dispatch !== undefined ? { dispatch: s.dispatch } : {};
  switch (action) {
    case 'echo':
      return { ...common, kind: 'echo', echo: s.echo!, ...(s.sleep !== undefined ? { sleepSeconds: s.sleep } : {}) };
    case 'bash':
      return { ...common, kind: 'bash', bash: s.bash!, ...(s.cwd !== undefined ? { cwd: s.cwd } : {}), ...dispatch };
    case 'run': {
      const o = r.originOf([...path, 'run']);
      return { ...common, kind: 'run', run: s.run!, vars: s.vars ?? {}, codeLine: contentLine(o.source, o.path), ...dispatch };
    }
    case 'uses':
      return { ...common, kind: 'uses', uses: s.uses!, with: s.with ?? {}, ...dispatch };
    case 'trigger':
      return { ...common, kind: 'trigger', trigger: s.trigger!, params: s.params ?? {} };
    case 'parallel':
      return {
        ...common,
        kind: 'parallel',
        branches: Object.entries(s.parallel ?? {}).map(([name, list]) => ({ name, stages: normalizeStages(r, list, [...path, 'parallel', name]) })),
        ...(s['max-workers'] !== undefined ? { maxWorkers: s['max-workers'] } : {}),
      };
    case 'foreach':
      return { ...common, kind: 'foreach', foreach: s.foreach!, stages: nested('stages', s.stages), ...(s.concurrent !== undefined ? { concurrent: s.concurrent } : {}) };
    case 'until':
      return {
        ...common,
        kind: 'until',
        until: s.until!,
        ...(s.item !== undefined ? { item: s.item } : {}),
        stages: nested('stages', s.stages),
        ...(s['max-loop'] !== undefined ? { maxLoop: s['max-loop'] } : {}),
      };
    case 'case':
      return {
        ...common,
        kind: 'case',
        case: s.case!,
        match: (s.match ?? []).map((m: CaseBranch, i: number) =>
          Object.prototype.hasOwnProperty.call(m, 'else')
            ? { else: true as const, stages: normalizeStages(r, m.else ?? [], [...path, 'match', i, 'else']) }
            : { case: m.case, stages: normalizeStages(r, m.stages ?? [], [...path, 'match', i, 'stages']) },
        ),
        skipNotMatch: s['skip-not-match'] ?? false,
      };
    case 'raise':
      return { ...common, kind: 'raise', raise: s.raise! };
    case 'approval':
      return { ...common, kind: 'approval', approval: s.approval!, approvers: s.approvers ?? [] };
  }
}

function stringifyEnv(env: EnvMap | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env ?? {})) out[k] = String(v);
  return out;
}
