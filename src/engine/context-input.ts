/**
 * A context written or kept by a caller — the upstream results handed to
 * `executeJob()`, or the previous context handed to `rerun()` — checked and
 * completed into `JobContext`s the interpreter can reuse
 * (docs/api.md "executeJob", docs/coming-from-ddeutil.md "Contexts").
 *
 * Two shapes are read, and may be mixed:
 * - ours, a `Result`'s `context`: `{ params, jobs: { <id>: { status, outputs, stages, errors, ... } } }`;
 * - the seed's hand-written one: `{ params, jobs: { <id>: { status: 'FAILED', errors: {...} } } }`,
 *   where a job's outputs may sit under `stages.<id>.outputs` and `errors`
 *   may be one `{ name, message }` map.
 *
 * Every problem is collected and reported at once, each with its path
 * (`context.jobs.process.status`) and what to write instead.
 *
 * Pure module: safe to import from workflow code.
 */
import type { ErrorInfo, JobContext, StageContext, StrategyContext } from './context.js';
import { mergeSuccessfulOutputs } from './context.js';
import type { WorkflowSpec } from './spec.js';
import { Status } from './status.js';
import { WorkflowError } from '../errors.js';
import { didYouMean } from '../expressions/suggest.js';

/**
 * A context as a caller may write it: a previous run's `result.context`, or
 * one written by hand as the seed does
 * (`{ params, jobs: { <id>: { status: 'SUCCESS', outputs: { ... } } } }`).
 */
export interface JobsContext {
  readonly params?: Readonly<Record<string, unknown>>;
  /** Jobs by id: `status` (a status word), and `outputs`, `stages`, `errors`, `strategies` when known. */
  readonly jobs?: Readonly<Record<string, { readonly status: string; readonly outputs?: Readonly<Record<string, unknown>>; readonly [key: string]: unknown }>>;
  readonly [key: string]: unknown;
}

/** A caller's context, checked: its params (when given) and complete job contexts. */
export interface ContextInput {
  readonly params?: Record<string, unknown>;
  readonly jobs: Record<string, JobContext>;
}

/** Statuses a finished job may have (WAIT is not one). */
const ENDED: readonly Status[] = [Status.SUCCESS, Status.FAILED, Status.SKIP, Status.CANCEL, Status.TIMEOUT];

/** Top-level keys of a run context besides `params` and `jobs`: they describe the previous run as a whole and are not read. */
const RUN_KEYS = ['status', 'start', 'end', 'errors', 'outputs', 'info', 'release'];

/** Keys of a job's entry (`JobContext`). */
const JOB_KEYS = ['status', 'start', 'end', 'attempt', 'matrix', 'strategies', 'continueOnError', 'reusedFrom', 'reason', 'outputs', 'stages', 'errors'];

const SHAPE = "{ jobs: { <job>: { status: 'SUCCESS', outputs: { ... } } } }";

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** Collects problems; each is `<path>: <what is wrong>; <what to do>`. */
class Problems {
  readonly list: string[] = [];
  add(path: string, message: string): void {
    this.list.push(`${path}: ${message}`);
  }
}

function unknownKey(problems: Problems, path: string, key: string, known: readonly string[]): void {
  const close = didYouMean(key, known);
  problems.add(`${path}.${key}`, `unknown key${close ? ` (did you mean '${close}'?)` : `; a job's entry has ${known.join(', ')}`}`);
}

/** A status word, upper-cased (the seed writes `'SUCCESS'`; `'success'` is read too). */
function readStatus(problems: Problems, path: string, value: unknown, fallback?: Status): Status | undefined {
  if (value === undefined && fallback) return fallback;
  if (typeof value !== 'string') {
    problems.add(path, `expected a status (${ENDED.join(', ')}), got ${describe(value)}`);
    return undefined;
  }
  const upper = value.trim().toUpperCase();
  if (upper === Status.WAIT) {
    problems.add(path, 'WAIT is not an end; give only jobs that ended (SUCCESS, FAILED, SKIP, CANCEL, TIMEOUT), and leave out the others');
    return undefined;
  }
  if ((ENDED as readonly string[]).includes(upper)) return upper as Status;
  const close = didYouMean(upper, ENDED);
  problems.add(path, `'${value}' is not a status; use one of ${ENDED.join(', ')}${close ? ` (did you mean ${close}?)` : ''}`);
  return undefined;
}

function readMap(problems: Problems, path: string, value: unknown): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (isMap(value)) return value;
  problems.add(path, `expected a map, got ${describe(value)}`);
  return undefined;
}

/** `errors` as a list of `{ name, message }`, a single such map (the seed's), or a map of name → message. */
function readErrors(problems: Problems, path: string, value: unknown, job: string): ErrorInfo[] {
  if (value === undefined || value === null) return [];
  const one = (entry: unknown, at: string, name?: string): ErrorInfo | undefined => {
    if (typeof entry === 'string') return { name: name ?? 'Error', message: entry, job };
    if (isMap(entry) && entry.message !== undefined) {
      return { name: typeof entry.name === 'string' ? entry.name : (name ?? 'Error'), message: String(entry.message), job, ...(typeof entry.stage === 'string' ? { stage: entry.stage } : {}) };
    }
    problems.add(at, `expected an error ({ name, message } or a message), got ${describe(entry)}`);
    return undefined;
  };
  if (Array.isArray(value)) return value.map((e, i) => one(e, `${path}[${i}]`)).filter((e): e is ErrorInfo => e !== undefined);
  if (isMap(value)) {
    if ('message' in value) return [one(value, path)].filter((e): e is ErrorInfo => e !== undefined);
    return Object.entries(value)
      .map(([name, e]) => one(e, `${path}.${name}`, name))
      .filter((e): e is ErrorInfo => e !== undefined);
  }
  problems.add(path, `expected a list of errors or a map, got ${describe(value)}`);
  return [];
}

/** Stage entries: each a map; a missing status is the job's, a missing name the stage id. */
function readStages(problems: Problems, path: string, value: unknown, jobStatus: Status): Record<string, StageContext> {
  const stages: Record<string, StageContext> = {};
  const map = readMap(problems, path, value);
  for (const [id, entry] of Object.entries(map ?? {})) {
    const at = `${path}.${id}`;
    if (!isMap(entry)) {
      problems.add(at, `expected a map ({ status, outputs }), got ${describe(entry)}`);
      continue;
    }
    const status = readStatus(problems, `${at}.status`, entry.status, jobStatus);
    const outputs = readMap(problems, `${at}.outputs`, entry.outputs) ?? {};
    if (!status) continue;
    stages[id] = {
      status,
      name: typeof entry.name === 'string' ? entry.name : id,
      ...(typeof entry.start === 'string' ? { start: entry.start } : {}),
      ...(typeof entry.end === 'string' ? { end: entry.end } : {}),
      ...(typeof entry.attempt === 'number' ? { attempt: entry.attempt } : {}),
      ...(typeof entry.reason === 'string' ? { reason: entry.reason } : {}),
      outputs,
    };
  }
  return stages;
}

function readStrategies(problems: Problems, path: string, value: unknown): StrategyContext[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    problems.add(path, `expected a list of combinations ({ matrix, status, outputs }), got ${describe(value)}`);
    return undefined;
  }
  const out: StrategyContext[] = [];
  value.forEach((entry, i) => {
    const at = `${path}[${i}]`;
    if (!isMap(entry)) {
      problems.add(at, `expected a map ({ matrix, status, outputs }), got ${describe(entry)}`);
      return;
    }
    const status = readStatus(problems, `${at}.status`, entry.status);
    const matrix = readMap(problems, `${at}.matrix`, entry.matrix) ?? {};
    const outputs = readMap(problems, `${at}.outputs`, entry.outputs) ?? {};
    if (status) out.push({ key: typeof entry.key === 'string' ? entry.key : String(i), matrix, status, outputs });
  });
  return out;
}

/**
 * Checks a caller's context against `spec` and completes each job's entry.
 * `where` names the argument in messages (`context`). `params` are returned
 * as given (the caller parameterizes them). A job's `outputs`, when absent,
 * are its SUCCESS stages' outputs merged in order, as a run computes them
 * (a stage without a status has its job's).
 * @throws {WorkflowError} listing every problem, each with its path.
 */
export function readContextInput(spec: WorkflowSpec, value: unknown, where = 'context'): ContextInput {
  const problems = new Problems();
  if (!isMap(value)) {
    throw new WorkflowError(`${where} must be a map like ${SHAPE}, got ${describe(value)}`);
  }
  if ('runId' in value && 'context' in value) {
    throw new WorkflowError(`${where} is a Result, not a context: pass result.context`);
  }
  const jobIds = spec.jobs.map((j) => j.id);
  for (const key of Object.keys(value)) {
    if (key === 'params' || key === 'jobs' || RUN_KEYS.includes(key)) continue;
    const close = didYouMean(key, ['params', 'jobs']);
    problems.add(`${where}.${key}`, `unknown key${close ? ` (did you mean '${close}'?)` : `; a context is ${SHAPE}, with params optional`}`);
  }
  const params = readMap(problems, `${where}.params`, value.params);
  const jobs: Record<string, JobContext> = {};
  for (const [id, entry] of Object.entries(readMap(problems, `${where}.jobs`, value.jobs) ?? {})) {
    const at = `${where}.jobs.${id}`;
    if (!jobIds.includes(id)) {
      const close = didYouMean(id, jobIds);
      problems.add(at, `'${spec.name}' has no job '${id}'${close ? ` (did you mean '${close}'?)` : ''}; its jobs: ${jobIds.join(', ')}`);
      continue;
    }
    if (!isMap(entry)) {
      problems.add(at, `expected a map like { status: 'SUCCESS', outputs: { ... } }, got ${describe(entry)}`);
      continue;
    }
    for (const key of Object.keys(entry)) if (!JOB_KEYS.includes(key)) unknownKey(problems, at, key, JOB_KEYS);
    const status = readStatus(problems, `${at}.status`, entry.status);
    if (!status) continue;
    const stages = readStages(problems, `${at}.stages`, entry.stages, status);
    const outputs = readMap(problems, `${at}.outputs`, entry.outputs) ?? mergeSuccessfulOutputs(Object.values(stages));
    const strategies = readStrategies(problems, `${at}.strategies`, entry.strategies);
    const matrix = readMap(problems, `${at}.matrix`, entry.matrix);
    const errors = readErrors(problems, `${at}.errors`, entry.errors, id);
    jobs[id] = {
      status,
      ...(typeof entry.start === 'string' ? { start: entry.start } : {}),
      ...(typeof entry.end === 'string' ? { end: entry.end } : {}),
      ...(typeof entry.attempt === 'number' ? { attempt: entry.attempt } : {}),
      ...(matrix ? { matrix } : {}),
      ...(strategies ? { strategies } : {}),
      ...(entry.continueOnError === true ? { continueOnError: true } : {}),
      ...(typeof entry.reason === 'string' ? { reason: entry.reason } : {}),
      outputs,
      stages,
      errors,
    };
  }
  if (problems.list.length > 0) {
    const count = problems.list.length === 1 ? 'a problem' : `${problems.list.length} problems`;
    throw new WorkflowError(`${where} has ${count} (a context is ${SHAPE}):\n  ${problems.list.join('\n  ')}`);
  }
  return { ...(params ? { params } : {}), jobs };
}
