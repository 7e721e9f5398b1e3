/**
 * Discovers the conf tree, indexes its named objects, and validates a
 * workflow into a normalized `WorkflowSpec`, collecting every problem with its
 * `file:line:col`.
 *
 * This module reads files; it runs in clients, the CLI and activities, never
 * inside workflow code.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { isMap, isPair, isScalar } from 'yaml';
import type { z } from 'zod';
import { analyzeDag } from '../engine/dag.js';
import { slugify } from '../engine/slug.js';
import type {
  JobSpec,
  ParamSpec,
  RetrySpec,
  SourceLocation,
  StageSpec,
  WorkflowSpec,
} from '../engine/spec.js';
import { didYouMean as suggest } from '../expressions/suggest.js';
import { ConfigError, WorkflowNotFoundError, type ConfigIssue } from './errors.js';
import {
  durationSeconds,
  JobDecl,
  ParamDecl,
  StageDecl,
  STAGE_ACTIONS,
  WorkflowDecl,
  type StageAction,
} from './schema.js';
import { formatPath, locate, locationOf, MAX_SOURCE_BYTES, parseSource, type SourceFile, type ValuePath } from './source.js';

/** Object types a top-level key may declare. */
const OBJECT_TYPES = ['Workflow', 'Job', 'Stage'] as const;

/** Names of workflows and reusable objects: no path separators, no `..`. */
const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** A named top-level object in the conf tree. */
export interface ConfObject {
  readonly name: string;
  readonly type: string;
  readonly source: SourceFile;
  /** Its raw JS value (aliases resolved, capped). */
  readonly value: unknown;
}

/** Every YAML file under a conf path, parsed and indexed by object name. */
export interface ConfTree {
  readonly root: string;
  readonly files: readonly SourceFile[];
  readonly objects: ReadonlyMap<string, ConfObject>;
  /** Problems with the tree itself: YAML syntax, duplicate names, bad types. */
  readonly issues: readonly ConfigIssue[];
}

/** Default conf path: `WORKFLOW_CORE_CONF_PATH`, else `./conf`. */
export function defaultConfPath(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.WORKFLOW_CORE_CONF_PATH || './conf');
}

function displayPath(abs: string): string {
  const rel = relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
}

/** Lists `*.yml`/`*.yaml` files under `root`, recursively, sorted for stable output. */
export function discoverFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 32) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full, depth + 1);
      else if (entry.isFile() && /\.ya?ml$/i.test(entry.name)) out.push(full);
    }
  };
  walk(root, 0);
  return out;
}

/** Reads and indexes the conf tree at `root`. Never throws for bad content. */
export function loadConfTree(root: string = defaultConfPath()): ConfTree {
  const absRoot = resolve(root);
  const files: SourceFile[] = [];
  const objects = new Map<string, ConfObject>();
  const issues: ConfigIssue[] = [];
  let rootIsDir = false;
  try {
    rootIsDir = statSync(absRoot).isDirectory();
  } catch {
    rootIsDir = false;
  }
  if (!rootIsDir) {
    issues.push({
      code: 'conf-path',
      severity: 'error',
      message: `conf path ${absRoot} is not a directory`,
      path: '',
      file: absRoot,
      line: 1,
      col: 1,
      hint: 'set WORKFLOW_CORE_CONF_PATH or pass --conf to a folder holding *.yml files',
    });
    return { root: absRoot, files, objects, issues };
  }
  for (const abs of discoverFiles(absRoot)) {
    const file = displayPath(abs);
    const size = statSync(abs).size;
    if (size > MAX_SOURCE_BYTES) {
      issues.push({
        code: 'file-too-large',
        severity: 'error',
        message: `file is ${size} bytes; the limit is ${MAX_SOURCE_BYTES}`,
        path: '',
        file,
        line: 1,
        col: 1,
        hint: 'split it into several files',
      });
      continue;
    }
    const buf = readFileSync(abs);
    const text = new TextDecoder('utf-8', { fatal: false }).decode(buf);
    if (text.includes('\uFFFD') && !buf.toString('latin1').includes('\uFFFD')) {
      const bad = text.indexOf('\uFFFD');
      const before = text.slice(0, bad);
      const line = before.split('\n').length;
      const col = bad - before.lastIndexOf('\n');
      issues.push({ code: 'invalid-utf8', severity: 'error', message: 'file is not valid UTF-8', path: '', file, line, col, hint: 'save the file as UTF-8' });
      continue;
    }
    const { source, issues: syntax } = parseSource(file, text);
    issues.push(...syntax);
    if (syntax.some((i) => i.severity === 'error')) continue;
    files.push(source);
    indexObjects(source, objects, issues);
  }
  return { root: absRoot, files, objects, issues };
}

function indexObjects(source: SourceFile, objects: Map<string, ConfObject>, issues: ConfigIssue[]): void {
  const contents = source.doc.contents;
  if (contents === null || contents === undefined) return;
  const issueAt = (path: ValuePath, code: string, message: string, hint?: string, at: 'key' | 'value' = 'value'): void => {
    const { line, col } = locate(source, path, at);
    issues.push({ code, severity: 'error', message, path: formatPath(path), file: source.file, line, col, hint });
  };
  if (!isMap(contents)) {
    issueAt([], 'not-a-map', 'the top level of a conf file must be a map of object names', 'write `my-workflow:` followed by `type: Workflow`');
    return;
  }
  let value: Record<string, unknown>;
  try {
    value = source.doc.toJS({ maxAliasCount: 1000 }) as Record<string, unknown>;
  } catch (err) {
    issueAt([], 'yaml-alias', `cannot expand YAML aliases: ${(err as Error).message}`, 'remove excessive `*alias` references');
    return;
  }
  for (const pair of contents.items) {
    if (!isPair(pair) || !isScalar(pair.key)) continue;
    const name = String(pair.key.value);
    const raw = Object.prototype.hasOwnProperty.call(value, name) ? value[name] : undefined;
    if (!NAME_PATTERN.test(name)) {
      issueAt([name], 'bad-name', `object name '${name}' may only hold letters, digits, '_', '-' and '.'`, undefined, 'key');
      continue;
    }
    const type = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>).type : undefined;
    if (typeof type !== 'string' || !(OBJECT_TYPES as readonly string[]).includes(type)) {
      const hint = typeof type === 'string' ? suggestHint(type, OBJECT_TYPES) : 'add `type: Workflow`';
      issueAt(type === undefined ? [name] : [name, 'type'], 'bad-type', `'${name}' needs a type: one of ${OBJECT_TYPES.join(', ')}`, hint, type === undefined ? 'key' : 'value');
      continue;
    }
    const existing = objects.get(name);
    if (existing) {
      const first = locationOf(existing.source, [name], 'key');
      issueAt([name], 'duplicate-name', `'${name}' is defined twice: here and at ${first}`, 'rename one of them', 'key');
      continue;
    }
    objects.set(name, { name, type, source, value: raw });
  }
}

function suggestHint(word: string, candidates: readonly string[]): string | undefined {
  const s = suggest(word, candidates);
  return s ? `did you mean '${s}'?` : undefined;
}

/** Lists the workflows of a conf tree, in file order. */
export function listWorkflowNames(tree: ConfTree): string[] {
  return [...tree.objects.values()].filter((o) => o.type === 'Workflow').map((o) => o.name);
}

/**
 * Validates one workflow of the tree. Returns the normalized spec only when
 * there are no errors; warnings come back either way.
 */
export function validateWorkflow(tree: ConfTree, name: string): { spec?: WorkflowSpec; issues: ConfigIssue[] } {
  const obj = tree.objects.get(name);
  if (!obj || obj.type !== 'Workflow') {
    throw new WorkflowNotFoundError(name, notFoundMessage(tree, name));
  }
  const v = new WorkflowValidator(obj);
  const spec = v.run();
  const errors = v.issues.filter((i) => i.severity === 'error');
  return errors.length === 0 && spec ? { spec, issues: v.issues } : { issues: v.issues };
}

function notFoundMessage(tree: ConfTree, name: string): string {
  const names = listWorkflowNames(tree);
  const hint = suggest(name, names);
  return (
    `no workflow named '${name}' under ${displayPath(tree.root)}` +
    (hint ? `; did you mean '${hint}'?` : names.length ? `; available: ${names.join(', ')}` : '; the conf path holds no workflows') +
    ` (set WORKFLOW_CORE_CONF_PATH or pass a path to change where workflows are read from)`
  );
}

/**
 * Loads and validates a workflow by name, throwing `WorkflowNotFoundError`
 * or `ConfigError` (holding every problem).
 */
export function loadWorkflowSpec(name: string, options: { path?: string } = {}): { spec: WorkflowSpec; warnings: ConfigIssue[] } {
  if (!NAME_PATTERN.test(name)) {
    throw new WorkflowNotFoundError(name, `'${name}' is not a valid workflow name: use letters, digits, '_', '-' and '.' only`);
  }
  const tree = loadConfTree(options.path ?? defaultConfPath());
  const treeErrors = tree.issues.filter((i) => i.severity === 'error');
  if (!tree.objects.has(name) && treeErrors.length > 0) throw new ConfigError(treeErrors);
  const { spec, issues } = validateWorkflow(tree, name);
  // Problems in other files matter only when they could hide this workflow.
  const relevant = [...issues, ...treeErrors.filter((i) => i.code === 'duplicate-name' && i.message.startsWith(`'${name}'`))];
  if (!spec || relevant.some((i) => i.severity === 'error')) throw new ConfigError(relevant);
  return { spec, warnings: issues.filter((i) => i.severity === 'warning') };
}

/** Walks one workflow object, collecting issues and building the spec. */
class WorkflowValidator {
  readonly issues: ConfigIssue[] = [];
  private readonly source: SourceFile;

  constructor(private readonly obj: ConfObject) {
    this.source = obj.source;
  }

  private loc(path: ValuePath, at: 'key' | 'value' = 'value'): SourceLocation {
    return locationOf(this.source, [this.obj.name, ...path], at);
  }

  private issue(path: ValuePath, code: string, message: string, opts: { hint?: string; at?: 'key' | 'value'; severity?: 'error' | 'warning' } = {}): void {
    const full = [this.obj.name, ...path];
    const { line, col } = locate(this.source, full, opts.at ?? 'value');
    this.issues.push({
      code,
      severity: opts.severity ?? 'error',
      message,
      path: formatPath(path),
      file: this.source.file,
      line,
      col,
      hint: opts.hint,
    });
  }

  /** Validates `value` against `schema`, reporting zod issues at their YAML positions. */
  private check<S extends z.ZodType>(schema: S, value: unknown, path: ValuePath): z.infer<S> | undefined {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const zi of parsed.error.issues) {
      const at = [...path, ...(zi.path as (string | number)[])];
      if (zi.code === 'unrecognized_keys') {
        const known = knownKeys(schema);
        for (const key of zi.keys) {
          this.issue([...at, key], 'unknown-key', `unknown key '${key}'`, {
            at: 'key',
            hint: suggestHint(key, known) ?? (known.length ? `allowed keys: ${known.join(', ')}` : undefined),
          });
        }
      } else if (zi.code === 'invalid_union') {
        this.issue(at, 'invalid-value', describeUnionIssue(zi.message, value, at.slice(path.length)));
      } else {
        this.issue(at, zi.code === 'invalid_type' ? 'invalid-type' : 'invalid-value', zi.message);
      }
    }
    return undefined;
  }

  run(): WorkflowSpec | undefined {
    const decl = this.check(WorkflowDecl, this.obj.value, []);
    const raw = (this.obj.value ?? {}) as Record<string, unknown>;
    const params = this.params(decl?.params ?? (isRecord(raw.params) ? raw.params : {}));
    const rawJobs = isRecord(raw.jobs) ? raw.jobs : {};
    const jobs: JobSpec[] = [];
    for (const [id, rawJob] of Object.entries(rawJobs)) {
      const job = this.job(id, rawJob);
      if (job) jobs.push(job);
    }
    this.dag(rawJobs);
    if (!decl || this.issues.some((i) => i.severity === 'error')) return undefined;
    return {
      name: this.obj.name,
      desc: decl.desc,
      file: this.source.file,
      tags: [],
      params,
      allowUndeclaredParams: false,
      schedules: [],
      manual: false,
      env: stringifyEnv(decl.env),
      jobs,
      loc: this.loc([], 'key'),
    };
  }

  private params(raw: Record<string, unknown>): ParamSpec[] {
    const out: ParamSpec[] = [];
    for (const [name, value] of Object.entries(raw)) {
      if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) {
        this.issue(['params', name], 'bad-param-name', `param name '${name}' must start with a letter or '_' and hold letters, digits, '_' and '-'`, { at: 'key' });
        continue;
      }
      const decl = this.check(ParamDecl, value, ['params', name]);
      if (!decl) continue;
      const loc = this.loc(['params', name], 'key');
      if (typeof decl === 'string') {
        out.push({ name, type: decl, required: true, loc });
        continue;
      }
      if (decl.type === 'choice' && (!decl.options || decl.options.length === 0)) {
        this.issue(['params', name, 'type'], 'choice-options', `choice param '${name}' needs a non-empty 'options' list`);
      }
      const hasDefault = Object.prototype.hasOwnProperty.call(decl, 'default');
      out.push({
        name,
        type: decl.type,
        description: decl.description,
        ...(hasDefault ? { default: decl.default } : {}),
        required: decl.required ?? !hasDefault,
        ...(decl.options ? { options: decl.options } : {}),
        loc,
      });
    }
    return out;
  }

  private job(id: string, raw: unknown): JobSpec | undefined {
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(id)) {
      this.issue(['jobs', id], 'bad-job-id', `job id '${id}' must start with a letter or '_' and hold letters, digits, '_' and '-'`, { at: 'key' });
    }
    const decl = this.check(JobDecl, raw, ['jobs', id]);
    const rawStages = isRecord(raw) && Array.isArray(raw.stages) ? raw.stages : [];
    const stages: StageSpec[] = [];
    const seen = new Map<string, number>();
    rawStages.forEach((rawStage, index) => {
      const stage = this.stage(id, index, rawStage);
      if (!stage) return;
      const prev = seen.get(stage.id);
      if (prev !== undefined) {
        this.issue(['jobs', id, 'stages', index], 'duplicate-stage-id', `stage id '${stage.id}' is already used by stage ${prev + 1} of job '${id}'`, {
          hint: 'give one of them an explicit, unique `id:`',
        });
        return;
      }
      seen.set(stage.id, index);
      stages.push(stage);
    });
    if (!decl) return undefined;
    const needs = decl.needs === undefined ? [] : typeof decl.needs === 'string' ? [decl.needs] : decl.needs;
    return {
      id,
      desc: decl.desc,
      needs,
      if: decl.if,
      runsOn: { type: 'local' },
      retry: retrySpec(0),
      continueOnError: false,
      env: {},
      stages,
      loc: this.loc(['jobs', id], 'key'),
    };
  }

  private stage(jobId: string, index: number, raw: unknown): StageSpec | undefined {
    const path: ValuePath = ['jobs', jobId, 'stages', index];
    const decl = this.check(StageDecl, raw, path);
    if (!isRecord(raw)) return undefined;
    // In YAML order, so a second action key is reported where it is written.
    const actions = Object.keys(raw).filter((k): k is StageAction => Object.prototype.hasOwnProperty.call(STAGE_ACTIONS, k) && raw[k] !== undefined);
    if (actions.length === 0) {
      this.issue(path, 'no-action', 'a stage needs exactly one action key', { hint: `add one of: ${Object.keys(STAGE_ACTIONS).join(', ')}` });
      return undefined;
    }
    if (actions.length > 1) {
      this.issue([...path, actions[1]!], 'two-actions', `a stage has exactly one action key, but this one has ${actions.join(', ')}`, {
        at: 'key',
        hint: 'split it into two stages',
      });
      return undefined;
    }
    const action = actions[0]!;
    for (const [other, extras] of Object.entries(STAGE_ACTIONS)) {
      if (other === action) continue;
      for (const extra of extras) {
        if (raw[extra] !== undefined && !(STAGE_ACTIONS[action] as readonly string[]).includes(extra)) {
          this.issue([...path, extra], 'key-not-for-action', `'${extra}' only applies to '${other}' stages, not '${action}'`, { at: 'key' });
        }
      }
    }
    if (!decl) return undefined;
    const name = decl.name ?? decl.id ?? `${action} ${index + 1}`;
    const common = {
      id: decl.id ?? slugify(name),
      name,
      if: decl.if,
      retry: retrySpec(decl.retry ?? 0),
      timeoutSeconds: decl.timeout === undefined ? undefined : (durationSeconds(decl.timeout) ?? (decl.timeout as string)),
      env: stringifyEnv(decl.env),
      continueOnError: decl['continue-on-error'] ?? false,
      loc: this.loc(path),
    };
    switch (action) {
      case 'echo':
        return { ...common, kind: 'echo', echo: decl.echo ?? '', sleepSeconds: decl.sleep };
      case 'bash':
        return { ...common, kind: 'bash', bash: decl.bash ?? '', cwd: decl.cwd };
    }
  }

  private dag(rawJobs: Record<string, unknown>): void {
    const graph: Record<string, { needs: string[] }> = Object.create(null);
    for (const [id, raw] of Object.entries(rawJobs)) {
      const needs = isRecord(raw) ? raw.needs : undefined;
      graph[id] = { needs: typeof needs === 'string' ? [needs] : Array.isArray(needs) ? needs.filter((n): n is string => typeof n === 'string') : [] };
    }
    const { problems } = analyzeDag(graph);
    for (const p of problems) {
      const rawNeeds = isRecord(rawJobs[p.job]) ? (rawJobs[p.job] as Record<string, unknown>).needs : undefined;
      const needPath: ValuePath =
        p.needIndex !== undefined && Array.isArray(rawNeeds) ? ['jobs', p.job, 'needs', p.needIndex] : p.needIndex !== undefined ? ['jobs', p.job, 'needs'] : ['jobs', p.job];
      this.issue(needPath, p.code, p.message, { at: p.needIndex === undefined ? 'key' : 'value' });
    }
  }
}

function retrySpec(retry: number | string): RetrySpec {
  return {
    maximumRetries: retry,
    initialIntervalSeconds: 1,
    backoffCoefficient: 2,
    maximumIntervalSeconds: 300,
    nonRetryableErrors: [],
  };
}

function stringifyEnv(env: Record<string, string | number | boolean> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env ?? {})) out[k] = String(v);
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The keys a strict zod object schema allows (for "did you mean"). */
function knownKeys(schema: z.ZodType): string[] {
  const def = (schema as unknown as { shape?: Record<string, unknown> }).shape;
  if (def) return Object.keys(def);
  const options = (schema as unknown as { options?: z.ZodType[] }).options;
  if (options) return [...new Set(options.flatMap((o) => knownKeys(o)))];
  return [];
}

function describeUnionIssue(message: string, root: unknown, rel: (string | number)[]): string {
  let value: unknown = root;
  for (const seg of rel) value = isRecord(value) || Array.isArray(value) ? (value as Record<string | number, unknown>)[seg] : undefined;
  const shown = JSON.stringify(value);
  return `${message === 'Invalid input' ? 'invalid value' : message}: ${shown === undefined ? 'nothing' : shown.length > 60 ? shown.slice(0, 57) + '...' : shown}`;
}
