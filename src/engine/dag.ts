/**
 * The job graph of a workflow (docs/yaml-format.md "Jobs"): validation of `needs`
 * (unknown needs, self-needs, cycles, no root job), a stable topological
 * order, and the dependents of a set of jobs (for rerun).
 *
 * Every edge goes from a job to one of its needs. All algorithms are
 * iterative (a 10,000-job chain does not overflow the stack) and linear in
 * the size of the graph, except cycle enumeration, which is bounded by the
 * number of cycles reported.
 *
 * Pure and deterministic: safe to import from Temporal workflow code. Job ids
 * are only ever used as `Map`/`Set` keys, so `__proto__` or `constructor` are
 * ordinary ids.
 */
import { suggestName } from './suggest-name.js';

/** What the DAG functions need to know of a job. */
export interface JobNeeds {
  /** Ids of the jobs this job waits for, in YAML order. */
  readonly needs: readonly string[];
}

/**
 * Jobs by id, in YAML order. A `Map` keeps any order; a plain (or
 * null-prototype) object is read with `Object.keys`, which lists integer-like
 * ids (`"1"`, `"42"`) first whatever the YAML order was.
 */
export type JobGraph = Readonly<Record<string, JobNeeds>> | ReadonlyMap<string, JobNeeds>;

/** Kinds of {@link DagProblem}. */
export const DagProblemCode = {
  /** A `needs` entry names no job of the workflow. */
  unknownNeed: 'unknown-need',
  /** Jobs need each other in a loop. */
  cycle: 'cycle',
  /** Every job has needs, so nothing can start. */
  noRoot: 'no-root',
  /** A job lists itself in its `needs`. */
  selfNeed: 'self-need',
} as const;
export type DagProblemCode = (typeof DagProblemCode)[keyof typeof DagProblemCode];

/** One problem of the job graph, positioned at a job (and a `needs` entry). */
export interface DagProblem {
  /** What is wrong. */
  code: DagProblemCode;
  /** One sentence saying what is wrong and how to fix it. */
  message: string;
  /** The job the problem is reported at. */
  job: string;
  /** For `unknown-need` and `self-need`: the index of the entry in the job's `needs`. */
  needIndex?: number;
  /** For `cycle`: the jobs of the cycle in path order, each needing the next (the last needs the first). */
  members?: string[];
}

/** Result of {@link analyzeDag}. */
export interface DagAnalysis {
  /** Every problem found: per-job `needs` problems in YAML order, then cycles, then `no-root`. */
  problems: DagProblem[];
  /**
   * A topological order (every job after all of its needs). Among jobs that
   * are ready at the same time, YAML order wins, so a file already written in
   * dependency order keeps its order. Unknown needs are ignored; jobs on a
   * cycle, needing themselves, or depending on such jobs are left out.
   */
  order: string[];
}

/** How many cycles {@link analyzeDag} reports before summarising. */
export const MAX_REPORTED_CYCLES = 50;

/** The graph with ids replaced by their YAML index. */
interface Indexed {
  ids: string[];
  index: Map<string, number>;
  /** Raw string needs per job, as written. */
  needs: string[][];
  /** Distinct known needs per job (self included), in first-seen order. */
  edges: number[][];
}

function indexGraph(jobs: JobGraph): Indexed {
  const entries: Array<[string, JobNeeds | undefined]> = isMap(jobs) ? [...jobs.entries()] : Object.keys(jobs).map((id) => [id, (jobs as Readonly<Record<string, JobNeeds>>)[id]]);
  const ids: string[] = [];
  const index = new Map<string, number>();
  const needs: string[][] = [];
  for (const [id, job] of entries) {
    if (index.has(id)) continue;
    index.set(id, ids.length);
    ids.push(id);
    const raw: unknown = job?.needs;
    needs.push(Array.isArray(raw) ? raw.map((n: unknown) => (typeof n === 'string' ? n : String(n))) : []);
  }
  const edges = needs.map((list) => {
    const seen = new Set<number>();
    for (const need of list) {
      const target = index.get(need);
      if (target !== undefined) seen.add(target);
    }
    return [...seen];
  });
  return { ids, index, needs, edges };
}

function isMap(jobs: JobGraph): jobs is ReadonlyMap<string, JobNeeds> {
  return jobs instanceof Map;
}

/**
 * Checks a workflow's job graph and computes a topological order. Reports
 * every unknown need (with the closest job id as a suggestion), every
 * self-need, every elementary cycle (up to {@link MAX_REPORTED_CYCLES}, then a
 * summary), and the absence of a root job.
 */
export function analyzeDag(jobs: JobGraph): DagAnalysis {
  const graph = indexGraph(jobs);
  const { ids, index, needs } = graph;
  const problems: DagProblem[] = [];

  const suggestions = new Map<string, string | undefined>();
  for (let j = 0; j < ids.length; j++) {
    const job = ids[j] ?? '';
    (needs[j] ?? []).forEach((need, needIndex) => {
      if (need === job) {
        problems.push({
          code: DagProblemCode.selfNeed,
          job,
          needIndex,
          message: `job '${job}' needs itself; remove '${need}' from its needs`,
        });
      } else if (!index.has(need)) {
        let hint = suggestions.get(need);
        if (!suggestions.has(need)) {
          hint = suggestions.size < 1000 ? suggestName(need, ids) : undefined;
          suggestions.set(need, hint);
        }
        problems.push({
          code: DagProblemCode.unknownNeed,
          job,
          needIndex,
          message: `job '${job}' needs '${need}', which is not a job of this workflow` + (hint === undefined ? '' : `; did you mean '${hint}'?`),
        });
      }
    });
  }

  const cycles = cyclesOf(graph, MAX_REPORTED_CYCLES + 1);
  for (const members of cycles.slice(0, MAX_REPORTED_CYCLES)) {
    problems.push({
      code: DagProblemCode.cycle,
      job: members[0] ?? '',
      members,
      message: `jobs form a cycle: ${[...members, members[0]].join(' → ')} (each job needs the next); ` + 'remove one of these needs',
    });
  }
  const extra = cycles[MAX_REPORTED_CYCLES];
  if (extra !== undefined) {
    problems.push({
      code: DagProblemCode.cycle,
      job: extra[0] ?? '',
      message: `more than ${MAX_REPORTED_CYCLES} cycles; only the first ${MAX_REPORTED_CYCLES} are reported, ` + 'fix them and validate again',
    });
  }

  if (ids.length > 0 && needs.every((list) => list.length > 0)) {
    const first = ids[0] ?? '';
    problems.push({
      code: DagProblemCode.noRoot,
      job: first,
      message: `every job has needs, so nothing can start; remove the needs of the first job ('${first}')`,
    });
  }

  return { problems, order: topologicalOrder(graph) };
}

/** Kahn's algorithm, taking the ready job with the smallest YAML index first. */
function topologicalOrder({ ids, edges }: Indexed): string[] {
  const n = ids.length;
  const waiting = new Array<number>(n).fill(0);
  const dependents: number[][] = Array.from({ length: n }, () => []);
  for (let j = 0; j < n; j++) {
    for (const need of edges[j] ?? []) {
      waiting[j] = (waiting[j] ?? 0) + 1;
      dependents[need]?.push(j);
    }
  }
  const heap = new MinHeap();
  for (let j = 0; j < n; j++) if (waiting[j] === 0) heap.push(j);
  const order: string[] = [];
  for (let j = heap.pop(); j !== undefined; j = heap.pop()) {
    order.push(ids[j] ?? '');
    for (const dependent of dependents[j] ?? []) {
      const left = (waiting[dependent] ?? 0) - 1;
      waiting[dependent] = left;
      if (left === 0) heap.push(dependent);
    }
  }
  return order;
}

/** A binary min-heap of non-negative integers. */
class MinHeap {
  private readonly items: number[] = [];

  push(value: number): void {
    const items = this.items;
    let i = items.length;
    items.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] ?? 0;
      if (p <= value) break;
      items[i] = p;
      i = parent;
    }
    items[i] = value;
  }

  pop(): number | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const right = left + 1;
      let child = left;
      if (right < items.length && (items[right] ?? 0) < (items[left] ?? 0)) child = right;
      const c = items[child] ?? 0;
      if (c >= last) break;
      items[i] = c;
      i = child;
    }
    items[i] = last;
    return top;
  }
}

/**
 * Every elementary cycle of the job graph, each reported once, up to
 * `limit`; a self-need is not a cycle here (analyzeDag reports it on its
 * own). A cycle lists its jobs in path order, each needing the next and the
 * last needing the first, starting at its job that comes first in YAML
 * order. Cycles come out ordered by that first job. Unknown needs are
 * ignored.
 *
 * Johnson's algorithm (iterative), run only inside strongly connected
 * components (Tarjan, iterative): linear on acyclic graphs, and
 * O((jobs + needs) × (limit + 1)) otherwise.
 */
function cyclesOf({ ids, edges }: Indexed, limit: number): string[][] {
  const n = ids.length;
  const adjacency = edges.map((list, j) => list.filter((need) => need !== j));
  const found: number[][] = [];
  const inComponent = new Uint8Array(n);
  const blocked = new Uint8Array(n);
  const blockedBy: Array<Set<number> | undefined> = new Array<Set<number> | undefined>(n);

  let start = 0;
  while (start < n && found.length < limit) {
    const component = leastCyclicComponent(adjacency, start);
    if (component === undefined) break;
    const s = component.least;
    for (const v of component.members) {
      inComponent[v] = 1;
      blocked[v] = 0;
      blockedBy[v]?.clear();
    }
    circuits(s);
    for (const v of component.members) inComponent[v] = 0;
    start = s + 1;
  }
  return found.map((cycle) => cycle.map((j) => ids[j] ?? ''));

  function unblock(u: number): void {
    blocked[u] = 0;
    const work = [u];
    for (let x = work.pop(); x !== undefined; x = work.pop()) {
      const set = blockedBy[x];
      if (set === undefined) continue;
      for (const w of set) {
        if (blocked[w]) {
          blocked[w] = 0;
          work.push(w);
        }
      }
      set.clear();
    }
  }

  /** Johnson's CIRCUIT(s), with an explicit stack of frames. */
  function circuits(s: number): void {
    const path: number[] = [s];
    const frames: Array<{ v: number; next: number; closed: boolean }> = [{ v: s, next: 0, closed: false }];
    blocked[s] = 1;
    while (frames.length > 0) {
      const frame = frames[frames.length - 1];
      if (frame === undefined) break;
      const out = adjacency[frame.v] ?? [];
      if (frame.next < out.length) {
        const w = out[frame.next++] ?? 0;
        if (!inComponent[w]) continue;
        if (w === s) {
          found.push([...path]);
          frame.closed = true;
          if (found.length >= limit) return;
        } else if (!blocked[w]) {
          path.push(w);
          blocked[w] = 1;
          frames.push({ v: w, next: 0, closed: false });
        }
        continue;
      }
      if (frame.closed) {
        unblock(frame.v);
      } else {
        for (const w of out) {
          if (!inComponent[w]) continue;
          let set = blockedBy[w];
          if (set === undefined) blockedBy[w] = set = new Set();
          set.add(frame.v);
        }
      }
      frames.pop();
      path.pop();
      const parent = frames[frames.length - 1];
      if (parent !== undefined && frame.closed) parent.closed = true;
    }
  }
}

/**
 * Among the strongly connected components of the subgraph induced by the
 * vertices `>= start`, the cyclic one (more than one member, or a self-loop)
 * holding the smallest vertex; iterative Tarjan.
 */
function leastCyclicComponent(adjacency: number[][], start: number): { least: number; members: number[] } | undefined {
  const n = adjacency.length;
  const order = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  let counter = 0;
  let best: { least: number; members: number[] } | undefined;

  for (let root = start; root < n; root++) {
    if (order[root] !== -1) continue;
    const frames: Array<{ v: number; next: number }> = [{ v: root, next: 0 }];
    order[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (frames.length > 0) {
      const frame = frames[frames.length - 1];
      if (frame === undefined) break;
      const v = frame.v;
      const out = adjacency[v] ?? [];
      if (frame.next < out.length) {
        const w = out[frame.next++] ?? 0;
        if (w < start) continue;
        if (order[w] === -1) {
          order[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          frames.push({ v: w, next: 0 });
        } else if (onStack[w]) {
          low[v] = Math.min(low[v] ?? 0, order[w] ?? 0);
        }
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent !== undefined) low[parent.v] = Math.min(low[parent.v] ?? 0, low[v] ?? 0);
      if (low[v] !== order[v]) continue;
      const members: number[] = [];
      let least = v;
      for (;;) {
        const w = stack.pop();
        if (w === undefined) break;
        onStack[w] = 0;
        members.push(w);
        if (w < least) least = w;
        if (w === v) break;
      }
      const cyclic = members.length > 1 || (adjacency[v] ?? []).includes(v);
      if (cyclic && (best === undefined || least < best.least)) best = { least, members };
    }
  }
  return best;
}

/**
 * Every job that depends on one of `roots`, directly or transitively (rerun
 * re-executes these after the roots), in YAML order. A root is included only
 * when it itself depends on a root (including through a cycle). Unknown
 * roots are ignored.
 */
export function descendants(jobs: JobGraph, roots: Iterable<string>): Set<string> {
  const { ids, index, edges } = indexGraph(jobs);
  const dependents: number[][] = Array.from({ length: ids.length }, () => []);
  edges.forEach((list, j) => {
    for (const need of list) dependents[need]?.push(j);
  });
  const reached = new Uint8Array(ids.length);
  const work: number[] = [];
  for (const root of roots) {
    const r = index.get(root);
    if (r !== undefined) work.push(r);
  }
  for (let j = work.pop(); j !== undefined; j = work.pop()) {
    for (const dependent of dependents[j] ?? []) {
      if (reached[dependent]) continue;
      reached[dependent] = 1;
      work.push(dependent);
    }
  }
  const result = new Set<string>();
  ids.forEach((id, j) => {
    if (reached[j]) result.add(id);
  });
  return result;
}
