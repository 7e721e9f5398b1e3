/**
 * Runs a stage's subprocess so that it can never outlive its stage.
 *
 * The command runs in its own session and process group under a tiny bash
 * supervisor. The supervisor reports the group id on fd 3 and watches its
 * stdin, a pipe from the worker: when the worker closes it (cancel, timeout)
 * or dies (the kernel closes it), the supervisor SIGKILLs the whole group.
 * When the command exits, whatever it left running in its group is killed
 * too, so no orphan keeps running beside a retry.
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

/**
 * The supervisor. `$@` is the command. fd 3 carries the group id to the
 * worker; fd 4 is a copy of stdin for the watcher, because a background job
 * of a non-interactive shell gets /dev/null as its stdin; fd 5 is the real
 * stderr, given to the command only, so the supervisor's own job notices
 * ("Killed ...") never reach the stage's output.
 */
const SUPERVISOR = String.raw`
exec 4<&0 5>&2 2>/dev/null
setsid "$@" </dev/null 2>&5 3>&- 4<&- 5>&- &
child=$!
printf '%s\n' "$child" >&3
exec 3>&-
{ while IFS= read -r _; do :; done <&4; kill -KILL -- "-$child"; } 5>&- &
watcher=$!
exec 4<&- 5>&-
wait "$child"
rc=$?
kill -KILL -- "-$child"
kill -KILL "$watcher"
exit "$rc"
`;

/** Keeps the last `limit` bytes written to it. */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Total bytes seen, kept or not. */
  total = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.limit && this.chunks.length > 1) {
      this.size -= this.chunks.shift()!.length;
    }
  }

  /** The tail as text; a `[... N bytes truncated]` line marks a cut. */
  text(): string {
    let buf = Buffer.concat(this.chunks);
    if (buf.length > this.limit) buf = buf.subarray(buf.length - this.limit);
    const dropped = this.total - buf.length;
    const text = new TextDecoder('utf-8', { fatal: false }).decode(buf);
    return dropped > 0 ? `[... ${dropped} bytes truncated]\n${text}` : text;
  }
}

/** How a supervised process ended. */
export interface ProcessOutcome {
  /** Exit code, or null when killed by a signal. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly cancelled: boolean;
  readonly durationMs: number;
}

export interface RunProcessOptions {
  readonly command: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Kill the group after this long (per attempt). */
  readonly timeoutMs?: number;
  /** Aborting kills the group. */
  readonly signal?: AbortSignal;
  /** Bytes kept of stdout and of stderr. */
  readonly tailBytes: number;
  /** Time between SIGTERM and SIGKILL when stopping the group. */
  readonly killGraceMs: number;
  /** Every chunk of output, for trace files. */
  readonly onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
}

/** Runs `command` under the supervisor; never rejects for the command's own failure. */
export function runSupervised(options: RunProcessOptions): Promise<ProcessOutcome> {
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-c', SUPERVISOR, 'tempoflow-supervisor', ...options.command], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      detached: true, // its own group: a Ctrl-C on the worker's terminal goes to the worker, which decides
    });
    const stdout = new TailBuffer(options.tailBytes);
    const stderr = new TailBuffer(options.tailBytes);
    let groupId: number | undefined;
    let timedOut = false;
    let cancelled = false;
    let stopping = false;
    let killTimer: NodeJS.Timeout | undefined;

    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      if (groupId !== undefined) {
        try {
          process.kill(-groupId, 'SIGTERM');
        } catch {
          /* already gone */
        }
      }
      // After the grace period, closing stdin makes the supervisor SIGKILL the group.
      killTimer = setTimeout(() => {
        child.stdin?.destroy();
        if (groupId !== undefined) {
          try {
            process.kill(-groupId, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
      }, options.killGraceMs);
    };

    const pidPipe = child.stdio[3] as Readable;
    let pidText = '';
    pidPipe.on('data', (chunk: Buffer) => {
      pidText += chunk.toString('utf8');
      const n = Number.parseInt(pidText, 10);
      if (pidText.includes('\n') && Number.isFinite(n)) {
        groupId = n;
        if (stopping) {
          stopping = false;
          stop();
        }
      }
    });
    pidPipe.on('error', () => undefined);
    child.stdin?.on('error', () => undefined);

    child.stdout?.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      options.onOutput?.('stdout', chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr.push(chunk);
      options.onOutput?.('stderr', chunk);
    });

    const timeout =
      options.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            stop();
          }, options.timeoutMs)
        : undefined;
    const onAbort = (): void => {
      cancelled = true;
      stop();
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });

    child.on('error', (err) => {
      if (timeout) clearTimeout(timeout);
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      reject(err);
    });
    child.on('close', (code, signal) => {
      if (timeout) clearTimeout(timeout);
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      child.stdin?.destroy();
      resolvePromise({
        exitCode: code,
        signal,
        stdout: stdout.text(),
        stderr: stderr.text(),
        timedOut,
        cancelled,
        durationMs: Date.now() - started,
      });
    });
  });
}
