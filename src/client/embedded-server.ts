/**
 * The embedded default: a local Temporal dev server (the real Temporal CLI)
 * with SQLite persistence in `.tempoflow/`, shared by every tempoflow process
 * of one working directory.
 *
 * The first process starts it and records it in `.tempoflow/server.json`,
 * under a lock. Later processes attach to it. Each process registers itself
 * in `.tempoflow/clients/`; the last one to leave stops the server, so two
 * servers never open the same SQLite file. A watchdog started beside the
 * server stops it as soon as no registered process is alive, however they
 * ended (`process.exit()`, a crash, SIGKILL), so the server never outlives
 * its users.
 *
 * A long-lived process that serves the shared task queue (`tempoflow dev`,
 * `tempoflow worker`) records itself in `.tempoflow/workers/`: commands that
 * attach while one is alive start no worker of their own, so the only
 * worker on the shared queue is one that outlives them (ARCHITECTURE.md,
 * "The embedded default").
 */
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';

/** What `.tempoflow/server.json` records. */
export interface ServerRecord {
  readonly pid: number;
  /** `host:port` of the frontend gRPC service. */
  readonly address: string;
  readonly namespace: string;
  /** Base URL of the Web UI, when it runs. */
  readonly uiUrl?: string;
  readonly dbFile: string;
  readonly startedAt: string;
}

/** A process's hold on the shared embedded server. */
export interface EmbeddedServerLease {
  readonly record: ServerRecord;
  /** The state folder (`.tempoflow`) of the server. */
  readonly stateDir: string;
  /** True when this process started the server. */
  readonly started: boolean;
  /** Leaves; stops the server when no other process uses it. */
  release(): Promise<void>;
}

export interface EmbeddedServerOptions {
  /** State folder, default `<cwd>/.tempoflow`. */
  readonly stateDir?: string;
  /** Preferred Web UI port (default 8233); another free port when taken. */
  readonly uiPort?: number;
  readonly namespace?: string;
  /** Progress messages (e.g. "starting Temporal dev server"). */
  readonly log?: (message: string) => void;
  /** Seconds to wait for the server to come up. */
  readonly startTimeoutSeconds?: number;
}

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Dynamic config every dev server of tempoflow starts with (the embedded one,
 * `tempoflow dev`, the test suite's, the benchmarks'), measured by
 * `npm run bench:peers` (docs/operations.md, "Server settings"):
 * eager activity execution lets the worker that completes a workflow task take
 * the activities it just scheduled in the same round trip, skipping the
 * matching service for a stage on the run's own task queue; a transfer queue
 * read up to 1,000 times a second instead of 20 hands the workflow task that
 * follows each stage to matching without waiting for the next read (50 ms per
 * stage in a row before); timers scheduled at least 10 ms ahead instead of 1 s,
 * and a timer queue read as often as the transfer queue, fire on time (an
 * `echo` with `sleep: 0.05` took a second before).
 */
export const DEV_SERVER_DYNAMIC_CONFIG: Readonly<Record<string, boolean | number | string>> = {
  'system.enableActivityEagerExecution': true,
  'history.transferProcessorMaxPollRPS': 1000,
  'history.timerProcessorMaxPollRPS': 1000,
  'history.timerProcessorMaxTimeShift': '10ms',
};

/** `--dynamic-config-value KEY=JSON` arguments of `temporal server start-dev`. */
export function dynamicConfigArgs(config: Readonly<Record<string, boolean | number | string>>): string[] {
  return Object.entries(config).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]);
}

/** Finds the package root (holding `scripts/setup-temporal.sh`) from this module's location. */
function packageRoot(): string {
  let dir = here;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'scripts', 'setup-temporal.sh'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find scripts/setup-temporal.sh next to the tempoflow package');
}

/**
 * Path of the Temporal CLI: `TEMPORAL_CLI_PATH`, `temporal` on PATH, or the
 * cache; builds it (minutes, once per machine) when none exists.
 */
export function findTemporalCli(log: (m: string) => void = () => undefined): string {
  const script = join(packageRoot(), 'scripts', 'setup-temporal.sh');
  try {
    // Fast path: the script answers at once when a CLI exists.
    // stderr is inherited so that a first-time build shows its progress.
    const out = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60_000 });
    return out.trim().split('\n').pop()!;
  } catch (err) {
    log(String(err));
    throw new Error('no Temporal CLI available (see the messages above); run `npm run setup` or set TEMPORAL_CLI_PATH');
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Resolves when `host:port` accepts TCP connections, or rejects after `timeoutMs`. */
export function waitForPort(address: string, timeoutMs: number): Promise<void> {
  const [host, portText] = splitAddress(address);
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolvePromise, reject) => {
    const attempt = (): void => {
      const socket = connect({ host, port: Number(portText) });
      socket.once('connect', () => {
        socket.destroy();
        resolvePromise();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on ${address} after ${timeoutMs} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

function splitAddress(address: string): [string, string] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i), address.slice(i + 1)];
}

/** A free TCP port on 127.0.0.1; `preferred` when it is free. */
export async function freePort(preferred?: number): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number | undefined>((res) => {
      const srv = createServer();
      srv.once('error', () => res(undefined));
      srv.listen(port, '127.0.0.1', () => {
        const addr = srv.address();
        const got = typeof addr === 'object' && addr ? addr.port : undefined;
        srv.close(() => res(got));
      });
    });
  if (preferred !== undefined) {
    const got = await tryListen(preferred);
    if (got !== undefined) return got;
  }
  const any = await tryListen(0);
  if (any === undefined) throw new Error('no free TCP port on 127.0.0.1');
  return any;
}

/** A crude cross-process lock: a file created exclusively, stale when its pid is dead. */
async function withLock<T>(lockFile: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder = NaN;
      try {
        holder = Number(readFileSync(lockFile, 'utf8'));
      } catch {
        /* being written or removed */
      }
      const age = (() => {
        try {
          return Date.now() - statSync(lockFile).mtimeMs;
        } catch {
          return 0;
        }
      })();
      if ((Number.isFinite(holder) && holder > 0 && !pidAlive(holder)) || age > 180_000) {
        rmSync(lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${lockFile} held by pid ${holder}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockFile, { force: true });
  }
}

function readRecord(file: string): ServerRecord | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ServerRecord;
  } catch {
    return undefined;
  }
}

function liveClients(clientsDir: string): number[] {
  let names: string[] = [];
  try {
    names = readdirSync(clientsDir);
  } catch {
    return [];
  }
  const live: number[] = [];
  for (const name of names) {
    const pid = Number(name);
    if (Number.isInteger(pid) && pidAlive(pid)) live.push(pid);
    else rmSync(join(clientsDir, name), { force: true });
  }
  return live;
}

async function stopServer(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + 10_000;
  while (pidAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (pidAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/**
 * Attaches to this working directory's embedded server, starting it when
 * none runs. The returned lease must be released when the process is done.
 */
export async function acquireEmbeddedServer(options: EmbeddedServerOptions = {}): Promise<EmbeddedServerLease> {
  const stateDir = resolve(options.stateDir ?? '.tempoflow');
  const log = options.log ?? (() => undefined);
  mkdirSync(join(stateDir, 'clients'), { recursive: true });
  const recordFile = join(stateDir, 'server.json');
  const lockFile = join(stateDir, 'server.lock');
  const clientsDir = join(stateDir, 'clients');
  const namespace = options.namespace ?? 'default';

  let started = false;
  const record = await withLock(lockFile, async () => {
    const existing = readRecord(recordFile);
    if (existing && pidAlive(existing.pid)) {
      try {
        await waitForPort(existing.address, 2000);
        writeFileSync(join(clientsDir, String(process.pid)), '');
        return existing;
      } catch {
        log(`embedded server pid ${existing.pid} does not answer on ${existing.address}; replacing it`);
        await stopServer(existing.pid);
      }
    }
    const cli = findTemporalCli(log);
    const port = await freePort();
    const uiPort = await freePort(options.uiPort ?? 8233);
    const dbFile = join(stateDir, 'temporal.db');
    const logFile = join(stateDir, 'server.log');
    log(`starting Temporal dev server (SQLite ${dbFile}, gRPC 127.0.0.1:${port}, UI http://localhost:${uiPort})`);
    const out = openSync(logFile, 'a');
    const child = spawn(
      cli,
      [
        'server',
        'start-dev',
        '--db-filename',
        dbFile,
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--ui-port',
        String(uiPort),
        '--namespace',
        namespace,
        '--log-level',
        'warn',
        ...dynamicConfigArgs(DEV_SERVER_DYNAMIC_CONFIG),
      ],
      { detached: true, stdio: ['ignore', out, out] },
    );
    closeSync(out);
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${cli}`);
    const address = `127.0.0.1:${port}`;
    try {
      await waitForPort(address, (options.startTimeoutSeconds ?? 60) * 1000);
    } catch (err) {
      await stopServer(pid);
      const tail = (() => {
        try {
          return readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n');
        } catch {
          return '';
        }
      })();
      throw new Error(`Temporal dev server did not start: ${(err as Error).message}\n${tail}\n(see ${logFile})`);
    }
    const rec: ServerRecord = { pid, address, namespace, uiUrl: `http://localhost:${uiPort}`, dbFile, startedAt: new Date().toISOString() };
    writeFileSync(`${recordFile}.tmp`, JSON.stringify(rec, null, 2));
    renameSync(`${recordFile}.tmp`, recordFile);
    writeFileSync(join(clientsDir, String(process.pid)), '');
    startWatchdog(stateDir, pid);
    started = true;
    return rec;
  });

  if (started) await keepClosedRuns(record, log);

  let released = false;
  return {
    record,
    stateDir,
    started,
    async release() {
      if (released) return;
      released = true;
      await withLock(lockFile, async () => {
        rmSync(join(clientsDir, String(process.pid)), { force: true });
        if (liveClients(clientsDir).length > 0) return;
        const current = readRecord(recordFile);
        if (current && current.pid === record.pid) {
          await stopServer(record.pid);
          rmSync(recordFile, { force: true });
        }
      });
    },
  };
}

/** Days the embedded namespace keeps closed runs (docs/operations.md "Retention": release dedup and reruns need them). */
export const EMBEDDED_RETENTION_DAYS = 30;

/**
 * Sets the embedded namespace's retention to {@link EMBEDDED_RETENTION_DAYS}
 * (the dev server creates it with one day). Retried while the server
 * finishes starting; a failure is logged, not fatal.
 */
async function keepClosedRuns(record: ServerRecord, log: (message: string) => void): Promise<void> {
  const deadline = Date.now() + 15_000;
  let connection: Connection | undefined;
  try {
    for (;;) {
      try {
        connection ??= await Connection.connect({ address: record.address, connectTimeout: 5000 });
        await connection.workflowService.updateNamespace({
          namespace: record.namespace,
          config: { workflowExecutionRetentionTtl: msToTs(`${EMBEDDED_RETENTION_DAYS} days`) },
        });
        return;
      } catch (err) {
        if (Date.now() > deadline) {
          log(`warning: could not set the retention of namespace ${record.namespace} to ${EMBEDDED_RETENTION_DAYS} days: ${(err as Error).message}`);
          return;
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** Seconds between two looks of the watchdog at the registered processes. */
export const WATCHDOG_INTERVAL_MS = 1000;

/**
 * The watchdog, plain JavaScript run by `node -e` (so it needs no loader
 * and no build): every {@link WATCHDOG_INTERVAL_MS} it looks at the pids
 * registered in `<state>/clients/`; when none is alive it takes the server
 * lock (the same exclusive-create file `withLock` uses), looks again, and
 * stops the server (SIGTERM, SIGKILL after 10 s) and removes
 * `server.json`. It exits when the server is gone. Arguments: state folder,
 * server pid, interval ms.
 */
const WATCHDOG = String.raw`/* tempoflow: stops the embedded server when no process uses it */
const fs = require('node:fs'), path = require('node:path');
const [stateDir, serverText, intervalText] = process.argv.slice(1);
const server = Number(serverText), interval = Number(intervalText);
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
const clients = path.join(stateDir, 'clients'), lock = path.join(stateDir, 'server.lock'), record = path.join(stateDir, 'server.json');
const anyClient = () => { try { return fs.readdirSync(clients).some((n) => Number.isInteger(Number(n)) && alive(Number(n))); } catch { return false; } };
const takeLock = () => {
  try { fs.writeFileSync(lock, String(process.pid), { flag: 'wx' }); return true; } catch {
    try { const holder = Number(fs.readFileSync(lock, 'utf8')); if (holder > 0 && !alive(holder)) fs.rmSync(lock, { force: true }); } catch {}
    return false;
  }
};
const stop = () => {
  try { process.kill(server, 'SIGTERM'); } catch {}
  const deadline = Date.now() + 10000;
  const wait = () => { if (!alive(server)) return done(); if (Date.now() > deadline) { try { process.kill(server, 'SIGKILL'); } catch {} return done(); } setTimeout(wait, 100); };
  const done = () => {
    try { const r = JSON.parse(fs.readFileSync(record, 'utf8')); if (r.pid === server) fs.rmSync(record, { force: true }); } catch {}
    fs.rmSync(lock, { force: true });
    process.exit(0);
  };
  wait();
};
const tick = () => {
  if (!alive(server)) process.exit(0);
  if (!anyClient() && takeLock()) {
    if (!anyClient()) return stop();
    fs.rmSync(lock, { force: true });
  }
  setTimeout(tick, interval);
};
setTimeout(tick, interval);
`;

/** Starts the watchdog of a server this process started (see {@link WATCHDOG}); it runs detached, in its own session. */
function startWatchdog(stateDir: string, serverPid: number): void {
  const child = spawn(process.execPath, ['-e', WATCHDOG, stateDir, String(serverPid), String(WATCHDOG_INTERVAL_MS)], { detached: true, stdio: 'ignore' });
  child.unref();
}

/** What `.tempoflow/workers/<pid>` records: a long-lived process serving a task queue of the embedded server. */
export interface WorkerHostRecord {
  readonly pid: number;
  readonly taskQueue: string;
  /** `tempoflow dev` or `tempoflow worker`. */
  readonly kind: string;
  readonly startedAt: string;
}

/**
 * Records this process as a long-lived worker of the embedded server in
 * `stateDir` (`tempoflow dev`, `tempoflow worker`); returns the function that
 * removes the record. A record whose pid is dead is ignored.
 */
export function registerWorkerHost(stateDir: string, taskQueue: string, kind: string): () => void {
  const dir = join(stateDir, 'workers');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, String(process.pid));
  const record: WorkerHostRecord = { pid: process.pid, taskQueue, kind, startedAt: new Date().toISOString() };
  writeFileSync(file, JSON.stringify(record));
  return () => rmSync(file, { force: true });
}

/**
 * The live long-lived worker of the embedded server in `stateDir` (default
 * `<cwd>/.tempoflow`) serving `taskQueue`, if any. Reads files only: it
 * starts nothing.
 */
export function findWorkerHost(taskQueue: string, stateDir = resolve('.tempoflow')): WorkerHostRecord | undefined {
  const dir = join(stateDir, 'workers');
  const server = readRecord(join(stateDir, 'server.json'));
  if (!server || !pidAlive(server.pid)) return undefined;
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const name of names) {
    let record: WorkerHostRecord | undefined;
    try {
      record = JSON.parse(readFileSync(join(dir, name), 'utf8')) as WorkerHostRecord;
    } catch {
      continue;
    }
    if (!pidAlive(record.pid)) {
      rmSync(join(dir, name), { force: true });
      continue;
    }
    if (record.taskQueue === taskQueue) return record;
  }
  return undefined;
}

/** True while process `pid` is alive. */
export function processAlive(pid: number): boolean {
  return pidAlive(pid);
}
