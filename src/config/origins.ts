/**
 * Where each part of a (possibly merged) object comes from, and a reporter
 * that positions issues there.
 *
 * A workflow's jobs and stages may pull keys from reusable objects in other
 * files (`extends:`), so "the position of `jobs.build.retry`" depends on
 * which file that key came from. Merging records, per new object, the origin
 * of each of its keys; any other node's origin follows from its parent's
 * origin and its key, as in the YAML.
 */
import type { ConfigIssue } from './errors.js';
import { formatPath, locate, locateInString, type SourceFile, type ValuePath } from './source.js';

/** A place in a YAML file. */
export interface Origin {
  readonly source: SourceFile;
  /** Path from the document root (the object name first). */
  readonly path: ValuePath;
  /** `file:line:col` of each `extends:` that pulled this in, innermost first. */
  readonly via: readonly string[];
}

function isContainer(value: unknown): value is Record<string | number, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Origins of the keys of merged objects. */
export class OriginMap {
  private readonly keys = new WeakMap<object, Map<string, Origin>>();

  /** Records where `obj[key]` comes from. */
  setKey(obj: object, key: string, origin: Origin): void {
    let map = this.keys.get(obj);
    if (!map) {
      map = new Map();
      this.keys.set(obj, map);
    }
    map.set(key, origin);
  }

  /** The origin of `parent[key]`, given the parent's own origin. */
  child(parentOrigin: Origin, parent: unknown, key: string | number): Origin {
    const recorded = isContainer(parent) ? this.keys.get(parent)?.get(String(key)) : undefined;
    return recorded ?? { source: parentOrigin.source, path: [...parentOrigin.path, key], via: parentOrigin.via };
  }

  /** The origin of the node at `path` below `root` (whose origin is `rootOrigin`). */
  resolve(rootOrigin: Origin, root: unknown, path: ValuePath): Origin {
    let origin = rootOrigin;
    let node: unknown = root;
    for (const seg of path) {
      origin = this.child(origin, node, seg);
      node = isContainer(node) && Object.prototype.hasOwnProperty.call(node, seg) ? node[seg] : undefined;
    }
    return origin;
  }
}

/** Options of one issue. */
export interface IssueOptions {
  readonly hint?: string | undefined;
  /** Point at the key rather than the value. */
  readonly at?: 'key' | 'value';
  readonly severity?: 'error' | 'warning';
}

/**
 * Collects positioned issues for one object (a workflow or a reusable
 * object). Paths are relative to the object; positions follow origins into
 * extended files.
 */
export class Reporter {
  readonly issues: ConfigIssue[] = [];
  readonly origins = new OriginMap();
  /** The object's (merged) value; set once extends are resolved. */
  value: unknown;

  constructor(readonly rootOrigin: Origin) {}

  /** Where the node at `path` (relative to the object) comes from. */
  originOf(path: ValuePath): Origin {
    return this.origins.resolve(this.rootOrigin, this.value, path);
  }

  /** `file:line:col` of the node at `path`. */
  loc(path: ValuePath, at: 'key' | 'value' = 'value'): string {
    const o = this.originOf(path);
    const { line, col } = locate(o.source, o.path, at);
    return `${o.source.file}:${line}:${col}`;
  }

  /** Reports a problem at `path`. */
  add(path: ValuePath, code: string, message: string, opts: IssueOptions = {}): void {
    const o = this.originOf(path);
    const { line, col } = locate(o.source, o.path, opts.at ?? 'value');
    this.push(o, path, code, message, line, col, opts);
  }

  /** Reports a problem at a known origin (its path shown without the object name). */
  addAtOrigin(origin: Origin, code: string, message: string, opts: IssueOptions = {}): void {
    const { line, col } = locate(origin.source, origin.path, opts.at ?? 'value');
    this.push(origin, origin.path.slice(1), code, message, line, col, opts);
  }

  /** Reports a problem at character `offset` of the string `value` found at `path`. */
  addInString(path: ValuePath, value: string, offset: number, code: string, message: string, opts: IssueOptions = {}): void {
    const o = this.originOf(path);
    const { line, col } = offset >= 0 ? locateInString(o.source, o.path, value, offset) : locate(o.source, o.path);
    this.push(o, path, code, message, line, col, opts);
  }

  private push(o: Origin, path: ValuePath, code: string, message: string, line: number, col: number, opts: IssueOptions): void {
    const hint = opts.hint;
    this.issues.push({
      code,
      severity: opts.severity ?? 'error',
      message,
      path: formatPath(path),
      file: o.source.file,
      line,
      col,
      ...(hint ? { hint } : {}),
      ...(o.via.length ? { via: o.via } : {}),
    });
  }

  /** Whether any error was reported. */
  hasErrors(): boolean {
    return this.issues.some((i) => i.severity === 'error');
  }
}
