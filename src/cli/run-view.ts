/**
 * What `tempoflow run` and `tempoflow status --watch` show while a run goes
 * on, from the run handle's snapshots (`RunHandle.watch()`):
 *
 * - on a terminal, a live tree redrawn in place (`log-update`): each job with
 *   its status and duration, matrix combinations (the first few, then a
 *   count), the running stage with its elapsed time and newest output line,
 *   and waiting approvals with the command that approves them; stage output
 *   lines scroll above it;
 * - elsewhere (a pipe, a file, CI), one line per event: each output line
 *   `job / stage | text`, each job as it ends, each approval as it starts
 *   waiting.
 *
 * Colours follow `NO_COLOR`/`FORCE_COLOR` (picocolors). Output lines are
 * masked by the worker; control characters are removed here so that a stage
 * cannot move the cursor or clear the screen.
 */
import { createLogUpdate } from 'log-update';
import pc from 'picocolors';
import type { JobContext, RunContext, StageContext, StrategyContext } from '../client/result.js';
import { waitingApprovalsIn, type WaitingApproval } from '../client/run-handle.js';
import type { ActiveStage, OutputLine, RunSnapshot } from '../client/run-output.js';

/** Combinations listed one per line before the rest are counted. */
export const COMBINATIONS_SHOWN = 4;

type Colors = ReturnType<typeof pc.createColors>;

/** Removes escape sequences and control characters (tabs become spaces). */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)?|\x1b[@-_]/g, '')
    .replace(/\t/g, '  ')
    .replace(/[\x00-\x1f\x7f]/g, '');
}

/** `1.2s`, `45s`, `3m05s`, `1h02m`. */
export function duration(ms: number): string {
  if (ms < 0) ms = 0;
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 60) return `${Math.floor(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

function elapsed(start: string | undefined, end: string | undefined, now: number): string {
  if (!start) return '';
  return duration((end ? Date.parse(end) : now) - Date.parse(start));
}

/** `job / stage` or `job [key] / stage`: how a line names where it came from. */
export function lineLabel(line: Pick<OutputLine, 'job' | 'matrixKey' | 'matrix' | 'stage' | 'stageName'>): string {
  const combination = line.matrixKey !== undefined ? ` [${matrixLabel({ key: line.matrixKey, matrix: line.matrix ?? {} })}]` : '';
  return `${line.job}${combination} / ${line.stageName ?? line.stage}`;
}

/** One output line as printed: `job / stage | text` (`!` instead of `|` for stderr). */
export function formatLine(line: OutputLine, colors: Colors = pc.createColors(false)): string {
  const bar = line.stream === 'stderr' ? colors.yellow('!') : colors.dim('|');
  return `${colors.dim(printable(lineLabel(line)))} ${bar} ${printable(line.text)}`;
}

function statusMark(status: string, colors: Colors, frame: number): string {
  switch (status) {
    case 'SUCCESS':
      return colors.green('✓');
    case 'FAILED':
    case 'TIMEOUT':
      return colors.red('✗');
    case 'CANCEL':
      return colors.yellow('⊘');
    case 'SKIP':
      return colors.dim('↷');
    default:
      return colors.cyan('⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏'[frame % 10]!);
  }
}

function statusWord(status: string, colors: Colors): string {
  if (status === 'SUCCESS') return colors.green(status);
  if (status === 'FAILED' || status === 'TIMEOUT') return colors.red(status);
  if (status === 'CANCEL') return colors.yellow(status);
  if (status === 'SKIP') return colors.dim(status);
  return colors.cyan('RUNNING');
}

function matrixLabel(s: Pick<StrategyContext, 'matrix' | 'key'>): string {
  const entries = Object.entries(s.matrix ?? {});
  return entries.length ? entries.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ') : s.key;
}

/** What the tree shows of a run at one moment. */
export interface TreeModel {
  readonly runId: string;
  readonly workflowName?: string;
  /** Job ids in YAML order (jobs not started yet show as waiting); default: the context's. */
  readonly jobOrder?: readonly string[];
  readonly snapshot: Pick<RunSnapshot, 'context' | 'combinations' | 'active' | 'running'>;
  /** The newest output line per stage (`job\0key\0stage`), kept by the view across snapshots. */
  readonly lastLines?: ReadonlyMap<string, string>;
  readonly startedAt?: number;
}

/** Key of a stage in {@link TreeModel.lastLines}. */
export function stageKey(job: string, matrixKey: string | undefined, stage: string): string {
  return `${job}\u0000${matrixKey ?? ''}\u0000${stage}`;
}

/** Every waiting approval of a snapshot: inline jobs' and running combinations' (`job[key].stage`). */
export function snapshotApprovals(snapshot: Pick<RunSnapshot, 'context' | 'combinations'>): WaitingApproval[] {
  const combos: Record<string, JobContext> = {};
  for (const [job, byKey] of Object.entries(snapshot.combinations)) for (const [key, jc] of Object.entries(byKey)) combos[`${job}[${key}]`] = jc;
  const inline = Object.fromEntries(Object.entries(snapshot.context.jobs).filter(([, jc]) => !jc.strategies));
  return [...waitingApprovalsIn({ jobs: inline }), ...waitingApprovalsIn({ jobs: combos })];
}

/** The live tree as text (no trailing newline), `width` columns wide at most. */
export function renderTree(model: TreeModel, options: { colors?: Colors; width?: number; now?: number; frame?: number } = {}): string {
  const colors = options.colors ?? pc.createColors(false);
  const now = options.now ?? Date.now();
  const frame = options.frame ?? 0;
  const width = Math.max(40, options.width ?? 100);
  const { context, combinations, active, running } = model.snapshot;
  const fit = (line: string): string => {
    // Cut by visible characters; colour codes do not count.
    // eslint-disable-next-line no-control-regex
    const visible = line.replace(/\x1b\[[0-9;]*m/g, '');
    if (visible.length <= width) return line;
    return `${visible.slice(0, width - 1)}…`;
  };
  const out: string[] = [];
  const runStatus = running ? 'RUNNING' : context.status;
  out.push(`${colors.bold(model.workflowName ?? 'run')} ${colors.dim(model.runId)}  ${statusWord(runStatus, colors)} ${colors.dim(elapsed(context.start, running ? undefined : context.end, now))}`);
  const activeOf = (job: string, matrixKey?: string): ActiveStage[] => active.filter((a) => a.job === job && a.matrixKey === matrixKey);
  const stageLine = (indent: string, job: string, matrixKey: string | undefined, a: ActiveStage): string => {
    const last = model.lastLines?.get(stageKey(job, matrixKey, a.stage)) ?? a.lastLine;
    const attempt = a.attempt > 1 ? colors.yellow(` attempt ${a.attempt}`) : '';
    const since = a.startedAt ? ` ${colors.dim(duration(now - a.startedAt.getTime()))}` : '';
    return fit(`${indent}${colors.cyan('▸')} ${printable(a.stageName ?? a.stage)}${since}${attempt}${last ? `  ${colors.dim('|')} ${printable(last)}` : ''}`);
  };
  const order = model.jobOrder ?? Object.keys(context.jobs);
  const ids = [...order, ...Object.keys(context.jobs).filter((id) => !order.includes(id))];
  for (const id of ids) {
    const job = context.jobs[id];
    if (!job) {
      out.push(fit(`  ${colors.dim('○')} ${id}  ${colors.dim(running ? 'waiting' : 'not run')}`));
      continue;
    }
    const reason = job.status !== 'SUCCESS' && job.status !== 'WAIT' && job.reason ? colors.dim(` (${printable(job.reason)})`) : '';
    const strategies = job.strategies;
    const counts = strategies ? `  ${colors.dim(`${strategies.filter((s) => s.status !== 'WAIT').length}/${strategies.length} combinations done`)}` : '';
    out.push(
      fit(
        `  ${statusMark(job.status, colors, frame)} ${colors.bold(id)}  ${statusWord(job.status, colors)} ${colors.dim(elapsed(job.start, job.status === 'WAIT' ? undefined : job.end, now))}${counts}${reason}`,
      ),
    );
    if (!strategies) {
      for (const a of activeOf(id)) out.push(stageLine('      ', id, undefined, a));
      if (job.status === 'WAIT') for (const w of waitingIn(job.stages)) out.push(fit(`      ${colors.magenta('⏸')} ${printable(w.name)}  ${colors.dim('waiting for approval')}`));
      continue;
    }
    // Running combinations first, then the ones that ended, a handful in all.
    const runningCombos = strategies.filter((s) => s.status === 'WAIT' && combinations[id]?.[s.key]?.status === 'WAIT');
    const ended = strategies.filter((s) => s.status !== 'WAIT');
    const runningShown = runningCombos.slice(0, COMBINATIONS_SHOWN);
    const room = COMBINATIONS_SHOWN - runningShown.length;
    const shown = strategies.length <= COMBINATIONS_SHOWN + 1 ? strategies : [...runningShown, ...(room > 0 ? ended.slice(-room) : [])];
    for (const s of shown) {
      const jc = combinations[id]?.[s.key];
      out.push(
        fit(
          `      ${statusMark(s.status, colors, frame)} [${printable(matrixLabel(s))}]  ${statusWord(s.status, colors)} ${colors.dim(jc ? elapsed(jc.start, s.status === 'WAIT' ? undefined : jc.end, now) : '')}`,
        ),
      );
      if (s.status === 'WAIT') for (const a of activeOf(id, s.key)) out.push(stageLine('          ', id, s.key, a));
    }
    const hidden = strategies.length - shown.length;
    if (hidden > 0) {
      const waiting = strategies.filter((s) => s.status === 'WAIT' && !shown.includes(s)).length;
      out.push(colors.dim(`      … ${hidden} more (${waiting} running or waiting, ${hidden - waiting} ended)`));
    }
  }
  const approvals = snapshotApprovals(model.snapshot);
  for (const w of approvals) {
    out.push(fit(`  ${colors.magenta('⏸')} ${colors.bold(w.path)} waits for approval: ${printable(w.message)}`));
    out.push(fit(`      ${colors.dim('approve:')} tempoflow approve ${model.runId} ${w.path}   ${colors.dim('reject:')} tempoflow reject ${model.runId} ${w.path} --reason "..."`));
  }
  return out.map(fit).join('\n');
}

function waitingIn(stages: Record<string, StageContext>): { name: string }[] {
  return Object.values(stages).filter((s) => s.status === 'WAIT' && (s.outputs?.approval as { waiting?: boolean } | undefined)?.waiting === true);
}

/** Options of a {@link RunView}. */
export interface RunViewOptions {
  readonly runId: string;
  readonly workflowName?: string;
  readonly jobOrder?: readonly string[];
  /** Hide stage output lines. */
  readonly quiet?: boolean;
  /** Where output lines go in line mode (default stdout; `--json` sends them to stderr). */
  readonly lines?: NodeJS.WritableStream;
  /** Live tree (a terminal) or one line per event. */
  readonly live: boolean;
  /** Progress lines (job ends, approvals) in line mode. */
  readonly info: (message: string) => void;
}

/** Shows a run's snapshots: see the module doc. */
export class RunView {
  private readonly colors: Colors;
  private readonly lastLines = new Map<string, string>();
  private readonly printedJobs = new Set<string>();
  private readonly printedApprovals = new Set<string>();
  private last?: RunSnapshot;
  private timer?: NodeJS.Timeout;
  private frame = 0;
  private readonly live?: ReturnType<typeof createLogUpdate>;

  constructor(private readonly options: RunViewOptions) {
    this.colors = pc.createColors(options.live ? pc.isColorSupported : false);
    if (options.live) {
      this.live = createLogUpdate(process.stderr);
      // Durations and spinners move between looks too.
      this.timer = setInterval(() => this.redraw(), 250);
      this.timer.unref();
    }
  }

  /** Shows one snapshot. */
  update(snapshot: RunSnapshot): void {
    this.last = snapshot;
    for (const line of snapshot.lines) this.lastLines.set(stageKey(line.job, line.matrixKey, line.stage), line.text);
    if (this.live) {
      if (!this.options.quiet && snapshot.lines.length > 0) {
        this.live.clear();
        process.stderr.write(`${snapshot.lines.map((l) => formatLine(l, this.colors)).join('\n')}\n`);
      }
      this.redraw();
      return;
    }
    const out = this.options.lines ?? process.stdout;
    if (!this.options.quiet) for (const line of snapshot.lines) out.write(`${formatLine(line)}\n`);
    this.printEnds(snapshot.context);
    for (const w of snapshotApprovals(snapshot)) {
      if (this.printedApprovals.has(w.path)) continue;
      this.printedApprovals.add(w.path);
      this.options.info(`  waiting for approval: ${w.path}: ${printable(w.message)}  (tempoflow approve ${this.options.runId} ${w.path})`);
    }
  }

  private finished = false;

  /** Stops redrawing; the tree's last frame stays on the screen. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.live) {
      this.redraw();
      this.live.done();
    } else if (this.last) this.printEnds(this.last.context);
  }

  private redraw(): void {
    if (!this.live || !this.last) return;
    this.frame++;
    const width = (process.stderr as { columns?: number }).columns ?? 100;
    this.live(
      renderTree(
        {
          runId: this.options.runId,
          ...(this.options.workflowName ? { workflowName: this.options.workflowName } : {}),
          ...(this.options.jobOrder ? { jobOrder: this.options.jobOrder } : {}),
          snapshot: this.last,
          lastLines: this.lastLines,
        },
        { colors: this.colors, width, frame: this.frame },
      ),
    );
  }

  private printEnds(context: RunContext): void {
    for (const [id, job] of Object.entries(context.jobs)) {
      if (job.status === 'WAIT' || this.printedJobs.has(id)) continue;
      this.printedJobs.add(id);
      const reason = job.status !== 'SUCCESS' && job.reason ? ` (${job.reason})` : '';
      const took = job.start && job.end ? ` in ${duration(Date.parse(job.end) - Date.parse(job.start))}` : '';
      this.options.info(`  job ${id}: ${job.status}${reason}${took}`);
    }
  }
}
