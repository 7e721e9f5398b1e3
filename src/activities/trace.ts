/**
 * The run's trace file (`<trace path>/<run-id>.log`): each stage attempt's
 * events and output lines, prefixed `[WORKFLOW] [JOB] [STAGE]` and masked
 * (docs/semantics.md, "Stages"). Best effort: tracing never fails a stage.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { MaskingDecoder, type Masker } from './secrets.js';
import { traceFilePath } from './trace-file.js';
import type { StageAddress } from './types.js';

/** Default of `ActivityConfig.traceStageBytes`: bytes of one attempt's output written to the trace. */
export const TRACE_STAGE_BYTES = 64 * 1024 * 1024;

/**
 * One stage attempt's lines in the run's trace file, prefixed
 * `[WORKFLOW] [JOB] [STAGE]`. Output beyond `limit` bytes is counted and
 * noted, not written. Best effort: tracing never fails a stage.
 */
export class StageTrace {
  readonly prefix: string;
  private readonly file: string;
  private written = 0;
  private cut = 0;
  /** Per stream: UTF-8 decoding and secret masking across chunks. */
  private readonly decoders = new Map<'stdout' | 'stderr', MaskingDecoder>();

  constructor(
    private readonly dir: string,
    input: StageAddress,
    private readonly limit: number,
    private readonly masker: Masker,
  ) {
    this.prefix = `[${input.workflowName}] [${input.jobId}] [${input.stageId}]`;
    this.file = traceFilePath(dir, input.runId);
  }

  private append(text: string): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      appendFileSync(this.file, text);
    } catch {
      // Tracing is best effort; the stage result keeps the tails.
    }
  }

  /** A timestamped event line. */
  event(text: string): void {
    this.append(`${new Date().toISOString()} ${this.prefix} ${this.masker.mask(text)}\n`);
  }

  /** Text from the stage itself (a task's `ctx.log`, a subprocess's output), one prefix per line. */
  output(stream: 'stdout' | 'stderr' | 'log', chunk: Buffer | string): void {
    let bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (this.written + bytes.length > this.limit) {
      const room = Math.max(0, this.limit - this.written);
      this.cut += bytes.length - room;
      if (room === 0) return;
      bytes = bytes.subarray(0, room);
    }
    this.written += bytes.length;
    if (stream === 'log') return this.write(stream, this.masker.mask(bytes.toString('utf8')));
    let decoder = this.decoders.get(stream);
    if (!decoder) this.decoders.set(stream, (decoder = new MaskingDecoder(this.masker)));
    this.write(stream, decoder.write(bytes));
  }

  private write(stream: 'stdout' | 'stderr' | 'log', masked: string): void {
    if (masked === '') return;
    const text = masked.replace(/\n(?!$)/g, `\n${this.prefix} `);
    this.append(`${this.prefix} ${stream === 'stderr' ? '[stderr] ' : ''}${text}${text.endsWith('\n') ? '' : '\n'}`);
  }

  /** Writes what the maskers held back and notes a cut, once the attempt is over. */
  close(): void {
    for (const [stream, decoder] of this.decoders) this.write(stream, decoder.end());
    this.decoders.clear();
    if (this.cut > 0) this.event(`warning: trace cut: ${this.cut} more bytes of output were not written (limit ${this.limit} bytes per stage attempt)`);
  }
}
