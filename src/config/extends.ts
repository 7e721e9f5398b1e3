/**
 * `extends: <name>`: a job pulls in a reusable `type: Job` object, a stage a
 * `type: Stage` object. The reusable object is deep-merged under the local
 * one: maps merge key by key, local keys win, lists are replaced (never
 * concatenated). Reusable objects may extend others (chains); a loop is an
 * error naming the chain.
 *
 * Every merged key keeps its origin, so a problem inside an extended object
 * is reported in that object's file, with the `extends:` that pulled it in.
 */
import { didYouMean } from '../expressions/suggest.js';
import type { Origin, Reporter } from './origins.js';
import { locate, type SourceFile } from './source.js';

/** A named object of the conf tree, as `extends` needs it. */
export interface NamedObject {
  readonly name: string;
  readonly type: string;
  readonly source: SourceFile;
  readonly value: unknown;
}

/** Finds reusable objects by name. */
export interface ObjectLookup {
  get(name: string): NamedObject | undefined;
  values(): Iterable<NamedObject>;
}

/** Stage lists nested deeper than this are left as they are (the schema still checks them). */
const MAX_NESTING = 64;

/** What is being resolved. */
export type ExtendKind = 'Job' | 'Stage';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function has(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** Resolves every `extends:` of one object's jobs and stages, reporting problems through `reporter`. */
export class ExtendsResolver {
  constructor(
    private readonly objects: ObjectLookup,
    private readonly reporter: Reporter,
  ) {}

  /** A workflow value with every job and stage resolved (a new value; the input is not changed). */
  workflow(raw: unknown): unknown {
    if (!isRecord(raw)) return raw;
    const root = this.reporter.rootOrigin;
    const out: Record<string, unknown> = { ...raw };
    if (isRecord(raw.jobs)) {
      const jobsOrigin = this.reporter.origins.child(root, raw, 'jobs');
      const jobs: Record<string, unknown> = {};
      for (const [id, job] of Object.entries(raw.jobs)) jobs[id] = this.node(job, this.reporter.origins.child(jobsOrigin, raw.jobs, id), 'Job', []);
      out.jobs = jobs;
    }
    return out;
  }

  /** A reusable object resolved on its own (for validating it standalone). */
  template(name: string, raw: unknown, kind: ExtendKind): unknown {
    if (!isRecord(raw)) return raw;
    const { type, ...rest } = raw;
    const resolved = this.node(rest, this.reporter.rootOrigin, kind, [name]);
    return isRecord(resolved) ? { type, ...resolved } : resolved;
  }

  /** Resolves one job or stage and the stage lists inside it. */
  /**
   * `chain`: the reusable objects being expanded around this node (its own
   * `extends:` chain and those of the stages and jobs it sits in), so a
   * reusable stage that holds a stage extending itself is a cycle too.
   */
  private node(value: unknown, origin: Origin, kind: ExtendKind, chain: readonly string[], depth = 0): unknown {
    if (!isRecord(value) || depth > MAX_NESTING) return value;
    const expanded: string[] = [];
    const obj = has(value, 'extends') ? this.merge(value, origin, kind, chain, expanded) : { ...value };
    const inner = [...chain, ...expanded];
    const origins = this.reporter.origins;
    const list = (key: string, from: Record<string, unknown>, fromOrigin: Origin): void => {
      const items = from[key];
      if (!Array.isArray(items)) return;
      const listOrigin = origins.child(fromOrigin, from, key);
      from[key] = items.map((item, i) => this.node(item, origins.child(listOrigin, items, i), 'Stage', inner, depth + 1));
    };
    list('stages', obj, origin);
    if (kind === 'Stage') {
      if (isRecord(obj.parallel)) {
        const branches = obj.parallel;
        const pOrigin = origins.child(origin, obj, 'parallel');
        const copy: Record<string, unknown> = {};
        for (const name of Object.keys(branches)) copy[name] = branches[name];
        // Keep the origin of merged branch maps: copy through the original object's origins.
        for (const name of Object.keys(copy)) {
          const items = copy[name];
          if (!Array.isArray(items)) continue;
          const bOrigin = origins.child(pOrigin, branches, name);
          copy[name] = items.map((item, i) => this.node(item, origins.child(bOrigin, items, i), 'Stage', inner, depth + 1));
          origins.setKey(copy, name, bOrigin);
        }
        obj.parallel = copy;
        origins.setKey(obj, 'parallel', pOrigin);
      }
      if (Array.isArray(obj.match)) {
        const entries = obj.match;
        const mOrigin = origins.child(origin, obj, 'match');
        obj.match = entries.map((entry, i) => {
          if (!isRecord(entry)) return entry;
          const eOrigin = origins.child(mOrigin, entries, i);
          const copy = { ...entry };
          for (const key of ['stages', 'else']) {
            const items = copy[key];
            if (!Array.isArray(items)) continue;
            const lOrigin = origins.child(eOrigin, entry, key);
            copy[key] = items.map((item, j) => this.node(item, origins.child(lOrigin, items, j), 'Stage', inner, depth + 1));
            origins.setKey(copy, key, lOrigin);
          }
          return copy;
        });
        origins.setKey(obj, 'match', mOrigin);
      }
    }
    return obj;
  }

  /** The local object merged over the object its `extends:` names (recursively). */
  private merge(local: Record<string, unknown>, localOrigin: Origin, kind: ExtendKind, chain: readonly string[], expanded: string[]): Record<string, unknown> {
    const { extends: name, ...rest } = local;
    const origins = this.reporter.origins;
    const site = origins.child(localOrigin, local, 'extends');
    const fail = (code: string, message: string, hint?: string): Record<string, unknown> => {
      this.reportAt(site, code, message, hint);
      return this.copyWithOrigins(rest, local, localOrigin);
    };
    if (typeof name !== 'string') return fail('invalid-type', `extends takes the name of a \`type: ${kind}\` object, got ${JSON.stringify(name) ?? 'nothing'}`);
    const target = this.objects.get(name);
    if (!target) {
      const candidates = [...this.objects.values()].filter((o) => o.type === kind).map((o) => o.name);
      const best = didYouMean(name, candidates);
      return fail(
        'unknown-extends',
        `no \`type: ${kind}\` object named '${name}' to extend`,
        best ? `did you mean '${best}'?` : candidates.length ? `available: ${candidates.slice(0, 10).join(', ')}` : `define it in a conf file with \`type: ${kind}\``,
      );
    }
    if (target.type !== kind) {
      return fail('extends-type', `'${name}' is a ${target.type}, but a ${kind.toLowerCase()} can only extend a \`type: ${kind}\` object`);
    }
    if (chain.includes(name)) {
      return fail('extends-cycle', `extends forms a cycle: ${[...chain, name].join(' → ')}`, 'remove one of these `extends:`');
    }
    if (!isRecord(target.value)) return this.copyWithOrigins(rest, local, localOrigin);
    const { type: _type, ...baseRaw } = target.value;
    const siteLoc = this.locOf(site);
    const baseOrigin: Origin = { source: target.source, path: [name], via: [siteLoc, ...localOrigin.via] };
    expanded.push(name);
    const base = has(baseRaw, 'extends') ? this.merge(baseRaw, baseOrigin, kind, [...chain, name], expanded) : baseRaw;
    return this.deepMerge(base, baseOrigin, rest, localOrigin, local);
  }

  /** `rest` (a copy of `local` without some keys) with the origins of `local`'s keys. */
  private copyWithOrigins(rest: Record<string, unknown>, local: Record<string, unknown>, localOrigin: Origin): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(rest)) {
      out[key] = rest[key];
      this.reporter.origins.setKey(out, key, this.reporter.origins.child(localOrigin, local, key));
    }
    return out;
  }

  private deepMerge(base: Record<string, unknown>, baseOrigin: Origin, local: Record<string, unknown>, localOrigin: Origin, localSource: Record<string, unknown>): Record<string, unknown> {
    const origins = this.reporter.origins;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(base)) {
      const bOrigin = origins.child(baseOrigin, base, key);
      if (!has(local, key)) {
        out[key] = base[key];
        origins.setKey(out, key, bOrigin);
        continue;
      }
      const lOrigin = origins.child(localOrigin, localSource, key);
      const b = base[key];
      const l = local[key];
      out[key] = isRecord(b) && isRecord(l) ? this.deepMerge(b, bOrigin, l, lOrigin, l) : l;
      origins.setKey(out, key, lOrigin);
    }
    for (const key of Object.keys(local)) {
      if (has(base, key)) continue;
      out[key] = local[key];
      origins.setKey(out, key, origins.child(localOrigin, localSource, key));
    }
    return out;
  }

  private locOf(origin: Origin): string {
    return formatOrigin(origin);
  }

  private reportAt(origin: Origin, code: string, message: string, hint?: string): void {
    this.reporter.addAtOrigin(origin, code, message, hint ? { hint } : {});
  }
}

/** `file:line:col` of an origin's value. */
export function formatOrigin(origin: Origin): string {
  const { line, col } = locate(origin.source, origin.path);
  return `${origin.source.file}:${line}:${col}`;
}
