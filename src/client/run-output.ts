/**
 * Following a run as it goes: what its stages print, which stages run now,
 * and its context — read through Temporal only, so it works from any
 * machine that reaches the server (docs/operations.md, "Stage output").
 *
 * A running stage activity heartbeats its newest output lines with a line
 * counter (`activities/output-window.ts`); they are read from the pending
 * activities of the run's execution and of its running matrix combinations
 * and foreach chunks (`describe()`). When a stage ends, its context holds the
 * tails of its output (an `echo` stage's message included), and the lines
 * the heartbeats had not shown are taken from there. One follower serves
 * `tempoflow run`, `tempoflow logs --follow`, `tempoflow status --watch` and
 * the library's `onOutput` (`RunHandle.watch()` / `RunHandle.output()`).
 */
import type { JobContext, RunContext, StageContext } from '../engine/context.js';
import { stageResults } from '../engine/stage-results.js';
import { Status } from '../engine/status.js';

/** Characters of a heartbeat line (`activities/output-window.ts` `OUTPUT_LINE_CHARS`): tails are compared cut to it. */
const LINE_CHARS = 400;

/** Lines remembered per stage attempt and stream, to tell a tail's new lines from those shown. */
const REMEMBERED_LINES = 40;

/** One line a stage printed. */
export interface OutputLine {
  readonly job: string;
  /** The matrix combination's key, in a matrix job. */
  readonly matrixKey?: string;
  /** The matrix combination's values, in a matrix job. */
  readonly matrix?: Readonly<Record<string, unknown>>;
  /** The stage's dotted path in its job (`<parent>.<key>.<stage>` inside nested stages). */
  readonly stage: string;
  /** The stage's display name, when known. */
  readonly stageName?: string;
  /** `stdout` (an `echo` message too), `stderr`, or `log` (a `uses` task's `ctx.log`). */
  readonly stream: 'stdout' | 'stderr' | 'log';
  readonly text: string;
}

/** A stage running now (an activity: `bash`, `run`, `uses`). */
export interface ActiveStage {
  readonly job: string;
  readonly matrixKey?: string;
  readonly matrix?: Readonly<Record<string, unknown>>;
  readonly stage: string;
  readonly stageName?: string;
  /** The stage's attempt (its `retry:` loop). */
  readonly attempt: number;
  /** When this attempt started, when the server knows. */
  readonly startedAt?: Date;
  /** Its newest output line. */
  readonly lastLine?: string;
}

/** What one look at a run shows. */
export interface RunSnapshot {
  readonly running: boolean;
  /** The run's context (the last one read when a look could not read it). */
  readonly context: RunContext;
  /** Matrix combinations' contexts (running ones, and ended ones once read), by job id and matrix key. */
  readonly combinations: Readonly<Record<string, Readonly<Record<string, JobContext>>>>;
  readonly active: readonly ActiveStage[];
  /** Lines printed since the previous snapshot, in order per stage. */
  readonly lines: readonly OutputLine[];
}

/** A pending activity of an execution, as the follower needs it. */
export interface PendingStage {
  /** Unique within its execution (with the Temporal attempt). */
  readonly activityId: string;
  readonly temporalAttempt: number;
  readonly startedAt?: Date;
  /** The decoded heartbeat details, when it heartbeat. */
  readonly details?: unknown;
}

/** One execution of a run's tree: the run itself, a combination, a chunk. */
export interface ExecutionLook {
  readonly workflowId: string;
  readonly running: boolean;
  readonly pending: readonly PendingStage[];
  /** Ids of running child executions that hold jobs (combinations, batches, chunks). */
  readonly children: readonly string[];
}

/** How the follower reads a run (implemented over the client in `run-handle.ts`; fakes in unit tests). */
export interface RunReader {
  readonly runId: string;
  describe(workflowId: string): Promise<ExecutionLook>;
  /** The run's context (live or final). */
  runContext(root: ExecutionLook): Promise<RunContext>;
  /** A running child's job context (its `status` query); undefined when it does not answer. */
  jobContext(workflowId: string): Promise<JobContext | undefined>;
  /** An ended child's job context (from its result or failure); undefined when there is none. */
  endedJobContext(workflowId: string): Promise<JobContext | undefined>;
}

/** Most child executions one look describes. */
export const MAX_CHILDREN_FOLLOWED = 50;

interface Heartbeat {
  job: string;
  stage: string;
  /** The stage's display name, when the heartbeat carries it (a stage batch's stages are not in the run's context yet). */
  name?: string;
  attempt: number;
  seq: number;
  lines: [OutputLine['stream'], string][];
}

function asHeartbeat(details: unknown): Heartbeat | undefined {
  if (!details || typeof details !== 'object') return undefined;
  const d = details as { job?: unknown; stage?: unknown; name?: unknown; attempt?: unknown; output?: { seq?: unknown; lines?: unknown } };
  if (typeof d.job !== 'string' || typeof d.stage !== 'string' || typeof d.attempt !== 'number') return undefined;
  const seq = typeof d.output?.seq === 'number' ? d.output.seq : 0;
  const lines = Array.isArray(d.output?.lines)
    ? (d.output.lines as unknown[]).filter((l): l is [OutputLine['stream'], string] => Array.isArray(l) && typeof l[1] === 'string' && (l[0] === 'stdout' || l[0] === 'stderr' || l[0] === 'log'))
    : [];
  return { job: d.job, stage: d.stage, ...(typeof d.name === 'string' ? { name: d.name } : {}), attempt: d.attempt, seq, lines };
}

/** A tail's lines as a heartbeat would show them (`\r` redraws kept last, long lines cut). */
export function tailLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.replace(/\n$/, '').split('\n');
  return lines.map((raw) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    return line.includes('\r') ? line.slice(line.lastIndexOf('\r') + 1) : line;
  });
}

function cut(line: string): string {
  return line.length > LINE_CHARS ? `${line.slice(0, LINE_CHARS - 1)}…` : line;
}

/**
 * The lines of `tail` not yet shown, given the last lines shown of the same
 * stream (`seen`): everything after the last place where the newest shown
 * lines (up to 3) appear in order; all of it when they do not appear (the
 * tail then starts after them).
 */
export function unseenTail(tail: readonly string[], seen: readonly string[]): string[] {
  if (seen.length === 0) return [...tail];
  const m = Math.min(3, seen.length);
  const last = seen.slice(-m);
  for (let end = tail.length - 1; end >= m - 1; end--) {
    let match = true;
    for (let i = 0; i < m && match; i++) match = cut(tail[end - m + 1 + i]!) === last[i];
    if (match) return tail.slice(end + 1);
  }
  return [...tail];
}

function stageTail(stage: StageContext, stream: 'stdout' | 'stderr'): string {
  const text = stage.logs?.[stream] ?? stage.outputs?.[stream];
  return typeof text === 'string' ? text : '';
}

/** See the module doc. One follower per reader of a run; call {@link look} repeatedly. */
export class RunFollower {
  /** Per activity (execution + activity id + Temporal attempt): the last line number shown. */
  private readonly shownSeq = new Map<string, number>();
  /** Per stage attempt and stream: the newest lines shown. */
  private readonly shownLines = new Map<string, string[]>();
  /** Stage attempts whose final tails were shown. */
  private readonly ended = new Set<string>();
  /** Ended children's final contexts, read once. */
  private readonly endedChildren = new Map<string, JobContext | undefined>();
  /** Matrix combinations' workflow ids, with their job and key (from the context's strategies). */
  private readonly combinationIds = new Map<string, { job: string; matrixKey: string; matrix: Readonly<Record<string, unknown>> }>();
  /** Other children (foreach chunks, batches), with the combination they belong to, if any. */
  private readonly owners = new Map<string, { job: string; matrixKey?: string; matrix?: Readonly<Record<string, unknown>> }>();
  private lastContext?: RunContext;

  constructor(private readonly reader: RunReader) {}

  /** One look at the run: what runs, what it printed since the last look. */
  async look(): Promise<RunSnapshot> {
    const lines: OutputLine[] = [];
    const active: ActiveStage[] = [];
    const root = await this.reader.describe(this.reader.runId);
    let context: RunContext;
    try {
      context = await this.reader.runContext(root);
      this.lastContext = context;
    } catch (err) {
      if (!this.lastContext) throw err;
      context = this.lastContext; // no worker answered this time
    }

    // Which child belongs to which combination: the strategies of matrix jobs.
    for (const [job, jc] of Object.entries(context.jobs)) {
      for (const s of jc.strategies ?? []) if (s.workflowId) this.combinationIds.set(s.workflowId, { job, matrixKey: s.key, matrix: s.matrix });
    }

    // The run's tree of running executions, breadth first, bounded.
    type Owner = { job: string; matrixKey?: string; matrix?: Readonly<Record<string, unknown>> };
    const looks: { look: ExecutionLook; owner?: Owner }[] = [{ look: root }];
    const ownerOf = (id: string) => this.combinationIds.get(id) ?? this.owners.get(id);
    let wave = root.children.map((id) => ({ id, owner: ownerOf(id) }));
    while (wave.length > 0 && looks.length <= MAX_CHILDREN_FOLLOWED) {
      wave = wave.slice(0, MAX_CHILDREN_FOLLOWED + 1 - looks.length);
      const described = await Promise.all(wave.map(async ({ id, owner }) => ({ look: await this.reader.describe(id).catch(() => undefined), owner })));
      const next: typeof wave = [];
      for (const { look, owner } of described) {
        if (!look) continue;
        looks.push({ look, ...(owner ? { owner } : {}) });
        for (const id of look.children) {
          const childOwner = ownerOf(id) ?? owner;
          if (childOwner && !this.combinationIds.has(id)) this.owners.set(id, childOwner);
          next.push({ id, owner: childOwner });
        }
      }
      wave = next;
    }

    // Live lines of running stages, from heartbeats.
    const combinations: Record<string, Record<string, JobContext>> = {};
    const childContexts = new Map<string, JobContext>();
    await Promise.all(
      looks.slice(1).map(async ({ look, owner }) => {
        if (!owner?.matrixKey || !this.combinationIds.has(look.workflowId)) return;
        const jc = await this.reader.jobContext(look.workflowId).catch(() => undefined);
        if (jc) {
          childContexts.set(look.workflowId, jc);
          (combinations[owner.job] ??= {})[owner.matrixKey] = jc;
        }
      }),
    );
    for (const { look, owner } of looks) {
      for (const p of look.pending) {
        const hb = asHeartbeat(p.details);
        if (!hb) continue;
        // A combination of a small matrix runs in the run's own execution: its heartbeat does
        // not say which one, so its lines are printed with its key once it ended (below).
        const inlineCombination = look === root && context.jobs[hb.job]?.strategies !== undefined;
        const matrixKey = owner?.matrixKey;
        const stageName = this.stageName(context, combinations, hb.job, matrixKey, hb.stage) ?? hb.name;
        const where = { job: hb.job, ...(matrixKey !== undefined ? { matrixKey, ...(owner?.matrix ? { matrix: owner.matrix } : {}) } : {}), stage: hb.stage, ...(stageName ? { stageName } : {}) };
        // Per stage attempt too: a stage batch (`dispatch: batch`) runs many stages in one activity, each counting its lines from 1.
        const key = `${look.workflowId}\u0000${p.activityId}\u0000${p.temporalAttempt}\u0000${hb.stage}\u0000${hb.attempt}`;
        const shown = this.shownSeq.get(key) ?? 0;
        const first = hb.seq - hb.lines.length + 1;
        if (hb.seq > shown && !inlineCombination) {
          const attemptKey = this.attemptKey(hb.job, matrixKey, hb.stage, hb.attempt);
          if (first > shown + 1) {
            lines.push({ ...where, stream: 'stdout', text: `[... ${first - shown - 1} lines not shown]` });
            // What is remembered must be a run of consecutive lines, for `unseenTail`.
            for (const stream of ['stdout', 'stderr', 'log']) this.shownLines.delete(`${attemptKey}\u0000${stream}`);
          }
          hb.lines.forEach(([stream, text], i) => {
            if (first + i <= shown) return;
            lines.push({ ...where, stream, text });
            this.remember(attemptKey, stream, text);
          });
          this.shownSeq.set(key, hb.seq);
        }
        const last = hb.lines[hb.lines.length - 1];
        active.push({ ...where, attempt: hb.attempt, ...(p.startedAt ? { startedAt: p.startedAt } : {}), ...(last ? { lastLine: last[1] } : {}) });
      }
    }

    // Final tails of stages that ended: inline jobs, then combinations.
    for (const [job, jc] of Object.entries(context.jobs)) {
      if (!jc.strategies) this.endedStages(job, undefined, jc.stages, lines);
    }
    for (const [job, jc] of Object.entries(context.jobs)) {
      for (const s of jc.strategies ?? []) if (!s.workflowId && s.stages) this.endedStages(job, s.key, s.stages, lines, s.matrix);
    }
    let reads = 0;
    for (const [workflowId, owner] of this.combinationIds) {
      let jc = childContexts.get(workflowId);
      const strategy = context.jobs[owner.job]?.strategies?.find((s) => s.key === owner.matrixKey);
      if (!jc && strategy && strategy.status !== Status.WAIT) {
        if (!this.endedChildren.has(workflowId)) {
          if (reads++ >= MAX_CHILDREN_FOLLOWED) continue; // the next look reads more
          this.endedChildren.set(workflowId, await this.reader.endedJobContext(workflowId).catch(() => undefined));
        }
        jc = this.endedChildren.get(workflowId);
      }
      if (jc) {
        (combinations[owner.job] ??= {})[owner.matrixKey] = jc;
        this.endedStages(owner.job, owner.matrixKey, jc.stages, lines, owner.matrix);
      }
    }

    return { running: root.running, context, combinations, active, lines };
  }

  private stageName(context: RunContext, combinations: Record<string, Record<string, JobContext>>, job: string, matrixKey: string | undefined, path: string): string | undefined {
    const stages = matrixKey !== undefined ? combinations[job]?.[matrixKey]?.stages : context.jobs[job]?.stages;
    if (!stages) return undefined;
    for (const visit of stageResults(stages)) if (visit.path === path) return visit.stage.name;
    return undefined;
  }

  private attemptKey(job: string, matrixKey: string | undefined, stage: string, attempt: number): string {
    return `${matrixKey ?? ''}\u0000${job}\u0000${stage}\u0000${attempt}`;
  }

  private remember(attemptKey: string, stream: string, text: string): void {
    const key = `${attemptKey}\u0000${stream}`;
    const list = this.shownLines.get(key) ?? [];
    list.push(text);
    if (list.length > REMEMBERED_LINES) list.shift();
    this.shownLines.set(key, list);
  }

  /** Lines of ended stages' tails not shown yet. */
  private endedStages(job: string, matrixKey: string | undefined, stages: Record<string, StageContext>, lines: OutputLine[], matrix?: Readonly<Record<string, unknown>>): void {
    for (const { path, stage } of stageResults(stages)) {
      if (stage.status === Status.WAIT || stage.reused) continue;
      const attemptKey = this.attemptKey(job, matrixKey, path, stage.attempt ?? 1);
      if (this.ended.has(attemptKey)) continue;
      this.ended.add(attemptKey);
      for (const stream of ['stdout', 'stderr'] as const) {
        const seen = this.shownLines.get(`${attemptKey}\u0000${stream}`) ?? [];
        for (const text of unseenTail(tailLines(stageTail(stage, stream)), seen)) {
          lines.push({ job, ...(matrixKey !== undefined ? { matrixKey, ...(matrix ? { matrix } : {}) } : {}), stage: path, stageName: stage.name, stream, text });
        }
      }
    }
  }
}
