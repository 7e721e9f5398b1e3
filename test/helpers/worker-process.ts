/**
 * Runs `tempoflow worker` in a child process (the real CLI, from source via
 * tsx), so tests can SIGKILL it like a crashed machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { temporalAddress, workflowBundlePath } from './temporal.js';

const root = resolve(import.meta.dirname, '../..');
/** tsx's ESM loader, by absolute URL (the worker's cwd is a temp dir). */
const tsxLoader = pathToFileURL(resolve(root, 'node_modules/tsx/dist/loader.mjs')).href;

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Resolves once the worker logs that it serves its queue. */
  readonly ready: Promise<void>;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts a worker process on `taskQueue`, writing workspaces and traces under `dir`. */
export function startWorkerProcess(taskQueue: string, dir: string, env: Record<string, string> = {}): WorkerProcess {
  const child = spawn(process.execPath, ['--import', tsxLoader, resolve(root, 'src/cli/main.ts'), 'worker', '--task-queue', taskQueue], {
    cwd: dir,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_NAMESPACE: 'default',
      TEMPOFLOW_WORKFLOW_BUNDLE: workflowBundlePath(),
      TEMPOFLOW_STICKY_QUEUE_TIMEOUT_MS: '1000',
      TEMPOFLOW_SHUTDOWN_GRACE_MS: '1000',
      WORKFLOW_CORE_KILL_GRACE_MS: '500',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<void>((res, rej) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('serving task queue')) res();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => rej(new Error(`worker exited early (${code}):\n${out}`)));
  });
  ready.catch(() => undefined);
  return {
    child,
    ready,
    output: () => out,
    kill: (signal: NodeJS.Signals = 'SIGKILL') =>
      new Promise<void>((res) => {
        if (child.exitCode !== null || child.signalCode !== null) return res();
        child.once('exit', () => res());
        child.kill(signal);
      }),
  };
}
