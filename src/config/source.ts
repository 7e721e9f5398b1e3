/**
 * YAML source files with positions: parse with a `LineCounter` and map a
 * value path (`['jobs', 'build', 'needs', 0]`) back to `line:col`.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, Scalar, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import type { ConfigIssue } from './errors.js';

/** A parsed YAML file. */
export interface SourceFile {
  /** Path as shown to users (relative to the working directory when possible). */
  readonly file: string;
  /** The file's text, for positions inside scalars. */
  readonly text: string;
  readonly doc: Document.Parsed;
  readonly lineCounter: LineCounter;
}

/** Largest YAML file accepted, in bytes. */
export const MAX_SOURCE_BYTES = 5 * 1024 * 1024;

/** Parses YAML text; syntax problems come back as positioned issues. */
export function parseSource(file: string, text: string): { source: SourceFile; issues: ConfigIssue[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    uniqueKeys: true,
    prettyErrors: false,
    // Alias expansion is capped by the `yaml` library (maxAliasCount) when
    // converting to JS; keep merge keys off so `<<` is an ordinary key.
    merge: false,
  });
  const source: SourceFile = { file, text, doc, lineCounter };
  const issues: ConfigIssue[] = [];
  for (const err of doc.errors) {
    const offset = err.pos[0];
    const { line, col } = lineCounter.linePos(offset);
    issues.push({
      code: 'yaml-syntax',
      severity: 'error',
      message: firstLine(err.message),
      path: '',
      file,
      line,
      col,
      hint: err.code === 'DUPLICATE_KEY' ? 'remove or rename the duplicate key' : undefined,
    });
  }
  for (const warn of doc.warnings) {
    const { line, col } = lineCounter.linePos(warn.pos[0]);
    issues.push({ code: 'yaml-warning', severity: 'warning', message: firstLine(warn.message), path: '', file, line, col });
  }
  return { source, issues };
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

/** A path into a YAML value. */
export type ValuePath = readonly (string | number)[];

/** Formats a path the way users read it: `jobs.build.needs[0]`. */
export function formatPath(path: ValuePath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out;
}

/** Pairs of a YAML map by key, built once per map (locating is then O(depth), not O(keys)). */
const pairIndexes = new WeakMap<object, Map<string, Pair>>();
function pairIndex(map: YAMLMap): Map<string, Pair> {
  let index = pairIndexes.get(map);
  if (!index) {
    index = new Map();
    for (const p of map.items) {
      if (isPair(p) && isScalar(p.key)) {
        const key = String(p.key.value);
        if (!index.has(key)) index.set(key, p);
      }
    }
    pairIndexes.set(map, index);
  }
  return index;
}

/**
 * `line:col` of the node at `path`. When `at` is `key` and the last segment is
 * a map key, points at the key itself. Missing segments fall back to the
 * deepest node that exists.
 */
export function locate(source: SourceFile, path: ValuePath, at: 'key' | 'value' = 'value'): { line: number; col: number } {
  let node: Node | null | undefined = source.doc.contents as Node | null;
  let best: number = node?.range?.[0] ?? 0;
  for (let i = 0; i < path.length && node; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = pairIndex(node).get(String(seg));
      if (!pair) break;
      const keyNode = pair.key as Node;
      if (last && at === 'key') {
        best = keyNode.range?.[0] ?? best;
        break;
      }
      best = keyNode.range?.[0] ?? best;
      node = pair.value as Node | null;
      if (node?.range) best = node.range[0];
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      node = item;
      if (node.range) best = node.range[0];
    } else {
      break;
    }
  }
  return source.lineCounter.linePos(best);
}

/** A `file:line:col` string for a path. */
export function locationOf(source: SourceFile, path: ValuePath, at: 'key' | 'value' = 'value'): string {
  const { line, col } = locate(source, path, at);
  return `${source.file}:${line}:${col}`;
}

/** The YAML node at `path`, or `undefined` when some segment is missing. */
export function nodeAt(source: SourceFile, path: ValuePath): Node | undefined {
  let node: Node | null | undefined = source.doc.contents as Node | null;
  for (const seg of path) {
    if (!node) return undefined;
    if (isMap(node)) {
      const pair = pairIndex(node).get(String(seg));
      if (!pair) return undefined;
      node = pair.value as Node | null;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg] as Node | undefined;
    } else {
      return undefined;
    }
  }
  return node ?? undefined;
}

/**
 * 1-based line of the first line of a string scalar's content: for a block
 * scalar (`|`, `>`) the line after its header, else the line it starts on.
 */
export function contentLine(source: SourceFile, path: ValuePath): number {
  const node = nodeAt(source, path);
  if (!node?.range) return locate(source, path).line;
  const { line } = source.lineCounter.linePos(node.range[0]);
  const block = isScalar(node) && (node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED);
  return block ? line + 1 : line;
}

/**
 * `line:col` of character `offset` of the string value at `path`. Offsets
 * inside a `${{ }}` are found by matching the template in the scalar's
 * source text (so quotes, block indentation and folding are accounted for);
 * other offsets are found when the value appears verbatim, else the
 * scalar's start is returned.
 */
export function locateInString(source: SourceFile, path: ValuePath, value: string, offset: number): { line: number; col: number } {
  const node = nodeAt(source, path);
  if (!node?.range) return locate(source, path);
  const start = node.range[0];
  const raw = source.text.slice(start, node.range[1]);
  const at = (index: number) => source.lineCounter.linePos(start + index);
  const open = value.lastIndexOf('${{', offset);
  if (open >= 0 && value.indexOf('}}', open) >= offset - 1) {
    // The nth template of the value is the nth `${{` of the source text.
    let n = 0;
    for (let i = value.indexOf('${{'); i >= 0 && i < open; i = value.indexOf('${{', i + 3)) n++;
    let j = raw.indexOf('${{');
    for (let k = 0; k < n && j >= 0; k++) j = raw.indexOf('${{', j + 3);
    if (j >= 0) return at(j + (offset - open));
  }
  const direct = raw.indexOf(value);
  if (direct >= 0 && !value.includes('\n')) return at(direct + offset);
  return at(0);
}
