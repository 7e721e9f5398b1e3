/** Runs the real `tempoflow` CLI (from source via tsx) in a child process. */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '../..');
const tsxLoader = pathToFileURL(resolve(root, 'node_modules/tsx/dist/loader.mjs')).href;

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `tempoflow ...args` in `cwd` and collects its output; `onOutput` sees stderr as it comes (with the child, to signal it). */
export function runCli(
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined>; timeoutMs?: number; onStderr?: (text: string, child: import('node:child_process').ChildProcess) => void },
): Promise<CliResult> {
  return new Promise((res, rej) => {
    const env = { ...process.env, ...options.env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    const child = spawn(process.execPath, ['--import', tsxLoader, resolve(root, 'src/cli/main.ts'), ...args], {
      cwd: options.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      options.onStderr?.(stderr, child);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`tempoflow ${args.join(' ')} timed out\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 90_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr });
    });
  });
}

/** A `tempoflow` process left running (e.g. `tempoflow dev`), its output so far, and its end. */
export interface CliProcess {
  readonly child: import('node:child_process').ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves when it exits. */
  readonly exited: Promise<CliResult>;
  /** Resolves once stderr matches `pattern`, rejects after `timeoutMs` or when the process ends first. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/** Starts `tempoflow ...args` in `cwd` and returns at once. */
export function startCli(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): CliProcess {
  const env = { ...process.env, ...options.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const child = spawn(process.execPath, ['--import', tsxLoader, resolve(root, 'src/cli/main.ts'), ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let ended = false;
  const listeners = new Set<() => void>();
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    for (const l of listeners) l();
  });
  const exited = new Promise<CliResult>((res) =>
    child.on('close', (code) => {
      ended = true;
      for (const l of listeners) l();
      res({ code, stdout, stderr });
    }),
  );
  return {
    child,
    pid: child.pid!,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForStderr: (pattern, timeoutMs = 60_000) =>
      new Promise((res, rej) => {
        const check = (): void => {
          const m = pattern.exec(stderr);
          if (m) {
            listeners.delete(check);
            clearTimeout(timer);
            res(m[0]);
          } else if (ended) {
            listeners.delete(check);
            clearTimeout(timer);
            rej(new Error(`tempoflow ${args.join(' ')} ended before printing ${pattern}\n${stdout}\n${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          rej(new Error(`tempoflow ${args.join(' ')} did not print ${pattern} within ${timeoutMs} ms\n${stdout}\n${stderr}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
  };
}
