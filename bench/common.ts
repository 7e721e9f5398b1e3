/** Shared pieces of the benchmarks: a worker process and its peak RSS. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

/** Peak resident set size (VmHWM) of a process, in MB. */
export function peakRssMb(pid: number): number {
  const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return kb / 1024;
}

/** Starts the built `tempoflow worker` (dist/) on a queue; resolves once it serves it. */
export function startWorker(address: string, taskQueue: string, dir: string, maxConcurrentStages: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(root, 'dist/src/cli/main.js'), 'worker', '--task-queue', taskQueue, '--max-concurrent-stages', String(maxConcurrentStages)], {
    cwd: dir,
    env: { ...process.env, TEMPORAL_ADDRESS: address },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((res, rej) => {
    let out = '';
    child.stderr!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('serving task queue')) res(child);
    });
    child.once('exit', (code) => rej(new Error(`worker exited (${code}): ${out}`)));
  });
}
