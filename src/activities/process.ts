/**
 * Runs a stage's subprocess so that it can never outlive its stage.
 *
 * The worker does not fork stage processes itself: a `fork()` costs time in
 * proportion to the forking process's memory, tens of milliseconds from a
 * worker (docs/benchmarks.md, "Where a stage's time goes"). One small stage
 * launcher process per worker process starts them — in Python
 * (`stage-launcher-python.ts`, which starts a process with `vfork()`) when the
 * worker has Python 3.9+, else in Node (`stage-launcher-program.ts`) — each as the leader of its own session and process group, and sends
 * back its pid, its output and how it ended.
 *
 * - Stopping a stage (timeout, cancel) signals its whole group from here:
 *   SIGTERM, then SIGKILL after the grace period.
 * - When the command exits, whatever it left running in its group is killed,
 *   so no orphan keeps running beside a retry.
 * - When the worker dies (SIGKILL, OOM), the launcher sees its channel close
 *   and kills every running group. When the launcher dies, the worker kills
 *   the groups it started and fails their attempts (retryable); the next
 *   stage starts a new launcher.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { STAGE_LAUNCHER_PROGRAM } from './stage-launcher-program.js';
import { STAGE_LAUNCHER_PYTHON } from './stage-launcher-python.js';

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
  /** Exit code; for a process killed by a signal, the shell's 128 + n. */
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

/** What the launcher sends about one process. */
type LauncherMessage =
  | { t: 'started'; id: number; pid: number }
  | { t: 'out'; id: number; fd: 1 | 2; data: Uint8Array }
  | { t: 'end'; id: number; code: number | null; signal: NodeJS.Signals | null }
  | { t: 'error'; id: number; code?: string; message: string };

/** One process started through the launcher, as the worker follows it. */
interface LaunchedProcess {
  started(pid: number): void;
  output(fd: 1 | 2, data: Buffer): void;
  ended(code: number | null, signal: NodeJS.Signals | null): void;
  failed(error: NodeJS.ErrnoException): void;
}

/** Which launcher program runs: `TEMPOFLOW_STAGE_LAUNCHER` (`python`, `node`), else Python when it can. */
export type LauncherKind = 'python' | 'node';

/** The Python a launcher runs with: the worker's `python3`. */
const LAUNCHER_PYTHON = 'python3';

/** Probes once whether the worker's Python can run the Python launcher (3.9+, pidfd on this kernel). */
function pythonLauncherUsable(): boolean {
  const probe = spawnSync(LAUNCHER_PYTHON, ['-c', 'import os, sys; assert sys.version_info >= (3, 9); os.close(os.pidfd_open(os.getpid()))'], { stdio: 'ignore', timeout: 10_000 });
  return probe.status === 0;
}

let chosenKind: LauncherKind | undefined;

/**
 * The launcher program this worker uses (docs/operations.md, "Stage
 * processes"): `TEMPOFLOW_STAGE_LAUNCHER=python|node` forces one; by default
 * the Python one when the worker has a Python that can run it, else Node's.
 */
export function stageLauncherKind(env: NodeJS.ProcessEnv = process.env): LauncherKind {
  const forced = env.TEMPOFLOW_STAGE_LAUNCHER?.trim();
  if (forced === 'python' || forced === 'node') return forced;
  chosenKind ??= pythonLauncherUsable() ? 'python' : 'node';
  return chosenKind;
}

/** How the worker talks to one launcher process. */
interface LauncherChannel {
  readonly child: ChildProcess;
  send(message: { t: 'start'; id: number; file: string; args: readonly string[]; cwd: string; env: NodeJS.ProcessEnv }): void;
  /** Whether the channel keeps the worker's event loop alive. */
  hold(held: boolean): void;
}

/** Starts the Node launcher: Node IPC, advanced serialization. */
function nodeLauncher(env: NodeJS.ProcessEnv, receive: (message: LauncherMessage) => void): LauncherChannel {
  const child = spawn(process.execPath, ['-e', STAGE_LAUNCHER_PROGRAM], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    serialization: 'advanced',
    detached: true, // its own session: a Ctrl-C on the worker's terminal goes to the worker, which decides
    env,
  });
  child.on('message', (message: LauncherMessage) => receive(message));
  return {
    child,
    send: (message) => child.send(message),
    hold(held) {
      if (held) {
        child.ref();
        child.channel?.ref();
      } else {
        child.unref();
        child.channel?.unref();
      }
    },
  };
}

/** Starts the Python launcher (`stage-launcher-python.ts`): length-prefixed JSON frames on its stdin and stdout. */
function pythonLauncher(env: NodeJS.ProcessEnv, receive: (message: LauncherMessage) => void): LauncherChannel {
  const child = spawn(LAUNCHER_PYTHON, ['-c', STAGE_LAUNCHER_PYTHON, 'tempoflow-stage-launcher'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    detached: true,
    env,
  });
  const stdin = child.stdin!;
  const stdout = child.stdout!;
  stdin.on('error', () => undefined); // the launcher died: its 'exit' handles that
  let inbox: Buffer = Buffer.alloc(0);
  stdout.on('data', (chunk: Buffer) => {
    inbox = inbox.length ? Buffer.concat([inbox, chunk]) : chunk;
    for (;;) {
      if (inbox.length < 4) return;
      const headerEnd = 4 + inbox.readUInt32BE(0);
      if (inbox.length < headerEnd) return;
      const header = JSON.parse(inbox.toString('utf8', 4, headerEnd)) as LauncherMessage | { t: 'out'; id: number; fd: 1 | 2; n: number };
      if (header.t === 'out' && 'n' in header) {
        if (inbox.length < headerEnd + header.n) return;
        receive({ t: 'out', id: header.id, fd: header.fd, data: inbox.subarray(headerEnd, headerEnd + header.n) });
        inbox = inbox.subarray(headerEnd + header.n);
      } else {
        receive(header as LauncherMessage);
        inbox = inbox.subarray(headerEnd);
      }
    }
  });
  return {
    child,
    send(message) {
      const header = Buffer.from(JSON.stringify(message));
      const frame = Buffer.allocUnsafe(4 + header.length);
      frame.writeUInt32BE(header.length, 0);
      header.copy(frame, 4);
      stdin.write(frame);
    },
    hold(held) {
      for (const handle of [child, stdin, stdout] as { ref(): void; unref(): void }[]) {
        if (held) handle.ref();
        else handle.unref();
      }
    },
  };
}

/** The worker's side of the stage launcher: one per worker process, started on first use. */
class StageLauncher {
  private channel: LauncherChannel | undefined;
  private nextId = 1;
  private readonly processes = new Map<number, { process: LaunchedProcess; pid?: number }>();

  /** Starts `file args` through the launcher; `process` hears what becomes of it. */
  launch(file: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv, process: LaunchedProcess): void {
    const id = this.nextId++;
    this.processes.set(id, { process });
    const channel = this.channel ?? this.start();
    this.holdEventLoop(channel);
    channel.send({ t: 'start', id, file, args, cwd, env });
  }

  /** While a process runs, the launcher keeps the event loop alive; idle, it never does. */
  private holdEventLoop(channel: LauncherChannel | undefined = this.channel): void {
    channel?.hold(this.processes.size > 0);
  }

  private start(): LauncherChannel {
    const env = { ...process.env };
    delete env.NODE_OPTIONS; // a loader (tsx, a test runner) has no business in the launcher
    const receive = (message: LauncherMessage) => this.receive(message);
    const channel = stageLauncherKind() === 'python' ? pythonLauncher(env, receive) : nodeLauncher(env, receive);
    channel.child.on('error', () => undefined);
    // 'close', not 'exit': the frames it sent before dying (a 'started' with a pid to kill) are read first.
    channel.child.on('close', () => this.lost(channel));
    this.channel = channel;
    return channel;
  }

  private receive(message: LauncherMessage): void {
    const entry = this.processes.get(message.id);
    if (!entry) return;
    switch (message.t) {
      case 'started':
        entry.pid = message.pid;
        return entry.process.started(message.pid);
      case 'out':
        return entry.process.output(message.fd, Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength));
      case 'end':
        this.processes.delete(message.id);
        this.holdEventLoop();
        return entry.process.ended(message.code, message.signal);
      case 'error':
        this.processes.delete(message.id);
        this.holdEventLoop();
        return entry.process.failed(Object.assign(new Error(message.message), { code: message.code }));
    }
  }

  /**
   * The launcher is gone (killed by hand, OOM): its processes must not outlive it.
   * A process it started but had not reported yet (it died in that instant) has no
   * known pid and keeps running; its attempt still fails here and is retried.
   */
  private lost(channel: LauncherChannel): void {
    if (this.channel !== channel) return;
    this.channel = undefined;
    const orphans = [...this.processes.values()];
    this.processes.clear();
    for (const { process: launched, pid } of orphans) {
      if (pid !== undefined) killGroup(pid, 'SIGKILL');
      launched.failed(new Error(`the worker's stage launcher process exited while the stage ran (pid ${channel.child.pid}); its process group was killed`));
    }
  }
}

const launcher = new StageLauncher();

/** Signals a whole process group; a group that is already gone is fine. */
function killGroup(groupId: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-groupId, signal);
  } catch {
    /* already gone */
  }
}

/**
 * Runs `command` as the leader of its own process group; never rejects for
 * the command's own failure (a missing program is exit 127, as in a shell).
 * Stopping (timeout, abort) sends SIGTERM to the group and SIGKILL after
 * `killGraceMs`; when the command exits, the rest of its group is killed.
 */
export function runSupervised(options: RunProcessOptions): Promise<ProcessOutcome> {
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const [file, ...args] = options.command;
    const stdout = new TailBuffer(options.tailBytes);
    const stderr = new TailBuffer(options.tailBytes);
    let groupId: number | undefined;
    let timedOut = false;
    let cancelled = false;
    let stopRequested = false;
    let ended = false;
    let killTimer: NodeJS.Timeout | undefined;

    const signalGroup = (): void => {
      if (groupId === undefined || ended) return;
      const pid = groupId;
      killGroup(pid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(pid, 'SIGKILL'), options.killGraceMs);
    };
    const stop = (): void => {
      if (stopRequested) return;
      stopRequested = true;
      signalGroup(); // before the pid is known: done when it arrives
    };
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
    const finish = (): void => {
      ended = true;
      if (timeout) clearTimeout(timeout);
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const outcome = (exitCode: number | null, signal: NodeJS.Signals | null): ProcessOutcome => ({
      exitCode,
      signal,
      stdout: stdout.text(),
      stderr: stderr.text(),
      timedOut,
      cancelled,
      durationMs: Date.now() - started,
    });

    launcher.launch(file!, args, options.cwd, options.env, {
      started(pid) {
        groupId = pid;
        if (stopRequested) signalGroup();
      },
      output(fd, data) {
        const stream = fd === 1 ? 'stdout' : 'stderr';
        (fd === 1 ? stdout : stderr).push(data);
        options.onOutput?.(stream, data);
      },
      ended(code, signal) {
        finish();
        // A signal reads as the shell's 128 + n.
        resolvePromise(outcome(code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : null), signal));
      },
      failed(error) {
        finish();
        const shellCode = error.code === 'ENOENT' ? 127 : error.code === 'EACCES' ? 126 : undefined;
        if (groupId !== undefined || shellCode === undefined) return reject(error);
        stderr.push(Buffer.from(`cannot run '${file}' (${error.code}): check that it exists and is executable, and that ${options.cwd} exists\n`));
        resolvePromise(outcome(shellCode, null));
      },
    });
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
