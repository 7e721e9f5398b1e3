/**
 * Runs a stage's subprocess so that it can never outlive its stage.
 *
 * The command is spawned directly as the leader of its own session and
 * process group (`detached`), so its group id is its pid and stopping the
 * stage signals the whole group. When the command exits, whatever it left
 * running in its group is killed, so no orphan keeps running beside a retry.
 *
 * If the worker itself dies (SIGKILL, OOM), no code of ours runs to kill the
 * groups of its running stages. One small watcher process per worker
 * process (`GroupWatcher`) covers that: the worker tells it, over a pipe,
 * each group it starts and ends; when the pipe closes without a goodbye —
 * the kernel closes it when the worker dies — the watcher SIGKILLs every
 * group still listed. One watcher per worker, not one supervisor per stage:
 * a stage costs a single fork and exec (docs/benchmarks.md, "Where a stage's
 * time goes").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';

/**
 * The watcher: reads `+<pgid>` and `-<pgid>` lines; at end of input (the
 * worker died, or exited) kills every group still listed.
 */
const WATCHER = [
  "trap '' INT HUP TERM PIPE",
  'declare -A groups=()',
  'while IFS= read -r line; do',
  '  k=${line:1}',
  '  case "$line" in',
  '    +*) groups[$k]=1 ;;',
  '    -*) unset "groups[$k]" ;;',
  '  esac',
  'done',
  'for g in "${!groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done',
].join('\n');

/**
 * Kills the process groups of running stages if this process dies. One per
 * process, started on first use; it runs in its own session, so a Ctrl-C on
 * the worker's terminal does not reach it, and it never keeps the worker's
 * event loop alive.
 */
class GroupWatcher {
  private child: ChildProcess | undefined;
  private readonly groups = new Set<number>();

  /** Lists a group as running; the watcher kills it if this process dies. */
  add(groupId: number): void {
    this.groups.add(groupId);
    this.send(`+${groupId}\n`);
  }

  /** Forgets a group (its stage ended and the group was killed). */
  remove(groupId: number): void {
    if (this.groups.delete(groupId)) this.send(`-${groupId}\n`);
  }

  private send(line: string): void {
    const child = this.child ?? this.start();
    child.stdin?.write(line);
  }

  private start(): ChildProcess {
    const child = spawn('bash', ['--noprofile', '--norc', '-c', WATCHER, 'tempoflow-stage-watcher'], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
    child.unref();
    // The pipe is a socket: unref it too, or it would hold the event loop open.
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    child.stdin?.on('error', () => undefined);
    child.on('error', () => undefined);
    child.on('exit', () => {
      // Killed by someone: start another on the next stage and give it the groups still running.
      if (this.child === child) this.child = undefined;
      if (this.groups.size > 0) this.send([...this.groups].map((g) => `+${g}\n`).join(''));
    });
    this.child = child;
    return child;
  }
}

const watcher = new GroupWatcher();

/** Signals a whole process group; a group that is already gone is fine. */
function killGroup(groupId: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-groupId, signal);
  } catch {
    /* already gone */
  }
}

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

/**
 * Runs `command` as the leader of its own process group; never rejects for
 * the command's own failure. Stopping (timeout, abort) sends SIGTERM to the
 * group and SIGKILL after `killGraceMs`; when the command exits, the rest of
 * its group is killed.
 */
export function runSupervised(options: RunProcessOptions): Promise<ProcessOutcome> {
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const [file, ...args] = options.command;
    const child = spawn(file!, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own session and group: a Ctrl-C on the worker's terminal goes to the worker, which decides
    });
    const groupId = child.pid;
    if (groupId !== undefined) watcher.add(groupId);
    const stdout = new TailBuffer(options.tailBytes);
    const stderr = new TailBuffer(options.tailBytes);
    let timedOut = false;
    let cancelled = false;
    let stopping = false;
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;

    const stop = (): void => {
      if (stopping || exited || groupId === undefined) return;
      stopping = true;
      killGroup(groupId, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(groupId, 'SIGKILL'), options.killGraceMs);
    };

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

    const cleanUp = (): void => {
      if (timeout) clearTimeout(timeout);
      if (killTimer) clearTimeout(killTimer);
      if (drainTimer) clearTimeout(drainTimer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      cleanUp();
      if (groupId !== undefined) watcher.remove(groupId);
      // A program that is missing or not executable fails the stage like the shell would (127/126), never the activity.
      const shellCode = err.code === 'ENOENT' ? 127 : err.code === 'EACCES' ? 126 : undefined;
      if (groupId !== undefined || shellCode === undefined) return reject(err);
      resolvePromise({
        exitCode: shellCode,
        signal: null,
        stdout: '',
        stderr: `cannot run '${file}' (${err.code}): check that it exists and is executable, and that ${options.cwd} exists\n`,
        timedOut,
        cancelled,
        durationMs: Date.now() - started,
      });
    });
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      if (groupId === undefined) return;
      // Whatever the command left running in its group goes with it.
      killGroup(groupId, 'SIGKILL');
      watcher.remove(groupId);
      // A process that left the group (setsid) may still hold the output pipes: stop waiting for them.
      drainTimer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, OUTPUT_DRAIN_MS);
    });
    child.on('close', (code, signal) => {
      cleanUp();
      const ended = exited ?? { code, signal };
      resolvePromise({
        // A signal reads as the shell's 128 + n, as it did when a bash supervisor reported it.
        exitCode: ended.code ?? (ended.signal ? 128 + (osConstants.signals[ended.signal] ?? 0) : null),
        signal: ended.signal,
        stdout: stdout.text(),
        stderr: stderr.text(),
        timedOut,
        cancelled,
        durationMs: Date.now() - started,
      });
    });
  });
}

/** How long output pipes may stay open after the command exited (held by a process that left its group). */
const OUTPUT_DRAIN_MS = 2000;
