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
import { findTriggerCycle, walkStages } from '../engine/triggers.js';
import type { WorkflowSpec } from '../engine/spec.js';
import { didYouMean as suggest } from '../expressions/suggest.js';
import { checkWorkflow } from './checks.js';
import { ConfigError, WorkflowNotFoundError, type ConfigIssue } from './errors.js';
import { checkExpressions } from './expression-checks.js';
import { ExtendsResolver, type ObjectLookup } from './extends.js';
import { normalizeWorkflow } from './normalize.js';
import { Reporter } from './origins.js';
import { JobTemplate, StageTemplate, WorkflowDecl } from './schema.js';
import { formatPath, locate, locationOf, MAX_SOURCE_BYTES, parseSource, type SourceFile, type ValuePath } from './source.js';
import { seedWorkflowKeyHint } from './seed-keys.js';
import { zodCheck, zodDrafts } from './zod-issues.js';

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
    addSource(file, text, files, objects, issues);
  }
  return { root: absRoot, files, objects, issues };
}

/**
 * A conf tree built from texts instead of files (for tools and tests): each
 * entry is a file name, as shown in issues, and its YAML text.
 */
export function confTreeFromTexts(root: string, entries: readonly { file: string; text: string }[]): ConfTree {
  const files: SourceFile[] = [];
  const objects = new Map<string, ConfObject>();
  const issues: ConfigIssue[] = [];
  for (const { file, text } of entries) addSource(file, text, files, objects, issues);
  return { root, files, objects, issues };
}

function addSource(file: string, text: string, files: SourceFile[], objects: Map<string, ConfObject>, issues: ConfigIssue[]): void {
  const { source, issues: syntax } = parseSource(file, text);
  issues.push(...syntax);
  if (syntax.some((i) => i.severity === 'error')) return;
  files.push(source);
  indexObjects(source, objects, issues);
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
  // Specs cross Temporal as JSON: values JSON cannot hold are errors here,
  // not silent changes later.
  value = jsonSafe(value, [], (path, what) => issueAt(path, 'unsupported-value', `${what} cannot be used in a workflow file`, 'use strings, numbers, booleans, null, lists and maps only')) as Record<
    string,
    unknown
  >;
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

/** `value` with every non-JSON part (binary, dates, sets, non-finite numbers) reported and replaced by null. */
function jsonSafe(value: unknown, path: ValuePath, report: (path: ValuePath, what: string) => void, depth = 0): unknown {
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    report(path, `the number ${String(value)}`);
    return null;
  }
  if (typeof value === 'bigint') {
    report(path, `the integer ${value} (too large)`);
    return null;
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth > 200) {
    report(path, 'a value nested this deep');
    return null;
  }
  if (Array.isArray(value)) return value.map((v, i) => jsonSafe(v, [...path, i], report, depth + 1));
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    report(path, `a ${(value as object).constructor?.name ?? 'special'} value (YAML tag)`);
    return null;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    Object.defineProperty(out, key, { value: jsonSafe((value as Record<string, unknown>)[key], [...path, key], report, depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return out;
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
 * there are no errors; warnings come back either way. Issues are in file
 * order (file, line, column).
 */
export function validateWorkflow(tree: ConfTree, name: string): { spec?: WorkflowSpec; issues: ConfigIssue[] } {
  const obj = tree.objects.get(name);
  if (!obj || obj.type !== 'Workflow') {
    throw new WorkflowNotFoundError(name, notFoundMessage(tree, name));
  }
  const r = new Reporter({ source: obj.source, path: [name], via: [] });
  try {
    const merged = new ExtendsResolver(lookup(tree), r).workflow(obj.value);
    r.value = merged;
    const { data, drafts } = zodCheck(WorkflowDecl, merged, { unknownKeyHint: seedWorkflowKeyHint });
    for (const d of drafts) r.add(d.path, d.code, d.message, { hint: d.hint, at: d.at });
    checkWorkflow(r, merged, { workflows: listWorkflowNames(tree), name });
    checkExpressions(r, merged);
    const issues = sortIssues(r.issues);
    if (r.hasErrors() || !data) return { issues };
    return { spec: normalizeWorkflow(r, name, obj.source.file, data), issues };
  } catch (err) {
    // Only pathological nesting can exhaust the stack; report it, never crash.
    if (!(err instanceof RangeError && /call stack/i.test(err.message))) throw err;
    const { line, col } = locate(obj.source, [name], 'key');
    const issue: ConfigIssue = { code: 'too-deep', severity: 'error', message: `'${name}' is nested too deeply to check`, path: '', file: obj.source.file, line, col, hint: 'flatten the nesting' };
    return { issues: [...sortIssues(r.issues), issue] };
  }
}

/**
 * Validates a reusable `type: Job` or `type: Stage` object on its own: its
 * keys and value types, and its own `extends:` chain. (Whether a stage has
 * an action, and what its expressions read, depends on where it is used, so
 * it is checked in each workflow that extends it.)
 */
export function validateTemplate(tree: ConfTree, name: string): ConfigIssue[] {
  const obj = tree.objects.get(name);
  if (!obj || (obj.type !== 'Job' && obj.type !== 'Stage')) return [];
  const r = new Reporter({ source: obj.source, path: [name], via: [] });
  const merged = new ExtendsResolver(lookup(tree), r).template(name, obj.value, obj.type);
  r.value = merged;
  for (const d of zodDrafts(obj.type === 'Job' ? JobTemplate : StageTemplate, merged)) r.add(d.path, d.code, d.message, { hint: d.hint, at: d.at });
  return sortIssues(r.issues);
}

/**
 * Validates workflows of a tree (all by default, and then the reusable
 * objects on their own too, so one that no workflow extends yet is still
 * checked). Returns every issue once, in file order, with the tree's own
 * issues, and the names of the workflows checked. A name that is not a
 * workflow is a `not-found` issue.
 */
export function validateTree(tree: ConfTree, names: readonly string[] = []): { issues: ConfigIssue[]; checked: string[]; specs: WorkflowSpec[] } {
  const issues: ConfigIssue[] = [...tree.issues];
  const checked: string[] = [];
  const specs: WorkflowSpec[] = [];
  for (const name of names.length ? names : listWorkflowNames(tree)) {
    try {
      const result = validateWorkflow(tree, name);
      issues.push(...result.issues);
      if (result.spec) specs.push(result.spec);
      checked.push(name);
    } catch (err) {
      issues.push({ code: 'not-found', severity: 'error', message: (err as Error).message, path: '', file: tree.root, line: 1, col: 1 });
    }
  }
  if (!names.length) for (const obj of tree.objects.values()) if (obj.type !== 'Workflow') issues.push(...validateTemplate(tree, obj.name));
  issues.push(...triggerCycleIssues(tree, specs));
  // A problem inside a reusable object is found once per workflow that
  // extends it and once on its own: keep the first report (naming the chain).
  const seen = new Set<string>();
  const unique = sortIssues(issues).filter((i) => {
    const key = `${i.code}|${i.file}|${i.line}|${i.col}|${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { issues: unique, checked, specs };
}

/**
 * `trigger:` stages that lead back to their own workflow (A → B → A), one
 * error per workflow on such a cycle, at the trigger stage that starts it.
 * Templated targets are checked when the run starts.
 */
function triggerCycleIssues(tree: ConfTree, specs: readonly WorkflowSpec[]): ConfigIssue[] {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const load = (name: string): WorkflowSpec | undefined => {
    if (byName.has(name)) return byName.get(name);
    if (tree.objects.get(name)?.type !== 'Workflow') return undefined;
    try {
      const spec = validateWorkflow(tree, name).spec;
      if (spec) byName.set(name, spec);
      return spec;
    } catch {
      return undefined;
    }
  };
  const issues: ConfigIssue[] = [];
  for (const spec of specs) {
    const cycle = findTriggerCycle(spec, load);
    if (!cycle || cycle[0] !== spec.name) continue;
    const stage = spec.jobs.flatMap((j) => [...walkStages(j.stages)]).find((st) => st.kind === 'trigger' && st.trigger === cycle[1]);
    const at = /^(.*):(\d+):(\d+)$/.exec(stage?.loc ?? spec.loc);
    issues.push({
      code: 'trigger-cycle',
      severity: 'error',
      message: `trigger cycle: ${cycle.join(' → ')}; a workflow may not trigger itself, directly or through others`,
      path: '',
      file: at?.[1] ?? spec.file,
      line: Number(at?.[2] ?? 1),
      col: Number(at?.[3] ?? 1),
      hint: 'remove one trigger of the chain',
    });
  }
  return issues;
}

/** Issues in file order; problems reported twice (same code and place) once. */
export function sortIssues(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  const out: ConfigIssue[] = [];
  for (const i of issues) {
    const key = `${i.code}|${i.file}|${i.line}|${i.col}|${i.message}|${(i.via ?? []).join(',')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(i);
  }
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col));
}

function lookup(tree: ConfTree): ObjectLookup {
  return { get: (n) => tree.objects.get(n), values: () => tree.objects.values() };
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
