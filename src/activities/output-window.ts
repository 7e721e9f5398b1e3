/**
 * The newest output lines of a running stage, for its heartbeats: what a
 * stage prints reaches every client that reaches the server, while it runs
 * (docs/operations.md, "Stage output"). Lines are masked (secrets never
 * enter a heartbeat), cut to {@link OUTPUT_LINE_CHARS} characters, and at
 * most {@link OUTPUT_WINDOW_LINES} are kept; `seq` counts every line so a
 * client that polls can tell which lines it has not seen and how many it
 * missed.
 */
import { MaskingDecoder, type Masker } from './secrets.js';
import type { StageBatchProgress } from './types.js';

/** Lines a heartbeat carries at most. */
export const OUTPUT_WINDOW_LINES = 20;

/** Characters kept of one line (the trace file keeps the whole line). */
export const OUTPUT_LINE_CHARS = 400;

/** Where a line came from: the process's stdout or stderr, or a task's `ctx.log`. */
export type OutputStream = 'stdout' | 'stderr' | 'log';

/** The newest lines of a stage attempt: line `seq - lines.length + 1 + i` is `lines[i]`. */
export interface OutputSnapshot {
  /** Lines seen so far, kept or not. */
  readonly seq: number;
  readonly lines: readonly (readonly [OutputStream, string])[];
}

/** What a stage activity heartbeats (`tempoflow` clients read it from the pending activities of `describe()`). */
export interface StageHeartbeat {
  readonly job: string;
  /** The stage's dotted path in its job. */
  readonly stage: string;
  /** The stage's rendered display name. */
  readonly name?: string;
  readonly attempt: number;
  readonly output: OutputSnapshot;
  /** What a `uses` task passed to `ctx.heartbeat()`, masked. */
  readonly progress?: unknown;
  /** In a stage batch (`dispatch: batch`): the stages it has finished (`stage-batch.ts`). */
  readonly batch?: StageBatchProgress;
}

/** See the module doc. */
export class OutputWindow {
  private seq = 0;
  private readonly lines: [OutputStream, string][] = [];
  private readonly partial = new Map<OutputStream, string>();
  private readonly decoders = new Map<OutputStream, MaskingDecoder>();

  constructor(
    private readonly masker: Masker,
    private readonly limit = OUTPUT_WINDOW_LINES,
  ) {}

  /** A chunk of a process stream (masked across chunks), or a whole `log` message. */
  push(stream: OutputStream, chunk: Buffer | string): void {
    if (stream === 'log') {
      const text = this.masker.mask(String(chunk));
      this.add(stream, text.endsWith('\n') ? text : `${text}\n`);
      return;
    }
    let decoder = this.decoders.get(stream);
    if (!decoder) this.decoders.set(stream, (decoder = new MaskingDecoder(this.masker)));
    this.add(stream, decoder.write(chunk));
  }

  /** Flushes what the maskers held back and the last unterminated lines. */
  end(): void {
    for (const [stream, decoder] of this.decoders) this.add(stream, decoder.end());
    this.decoders.clear();
    for (const [stream, rest] of this.partial) if (rest !== '') this.line(stream, rest);
    this.partial.clear();
  }

  snapshot(): OutputSnapshot {
    return { seq: this.seq, lines: this.lines.map(([s, t]) => [s, t] as const) };
  }

  private add(stream: OutputStream, text: string): void {
    if (text === '') return;
    const parts = `${this.partial.get(stream) ?? ''}${text}`.split('\n');
    let rest = parts.pop() ?? '';
    for (const part of parts) this.line(stream, part);
    // A line that never ends (a progress bar) still shows, in pieces.
    while (rest.length > 4 * OUTPUT_LINE_CHARS) {
      this.line(stream, rest.slice(0, OUTPUT_LINE_CHARS));
      rest = rest.slice(OUTPUT_LINE_CHARS);
    }
    this.partial.set(stream, rest);
  }

  private line(stream: OutputStream, raw: string): void {
    // `\r` redraws a terminal line: keep what it would show last.
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const shown = text.includes('\r') ? text.slice(text.lastIndexOf('\r') + 1) : text;
    this.seq++;
    this.lines.push([stream, shown.length > OUTPUT_LINE_CHARS ? `${shown.slice(0, OUTPUT_LINE_CHARS - 1)}…` : shown]);
    if (this.lines.length > this.limit) this.lines.shift();
  }
}
