/**
 * The embedded server as a new user meets it (ARCHITECTURE.md, "The
 * embedded default"): `tempoflow dev` is the one place that runs work while
 * it is up (attaching commands start no worker, `--detach` works, another
 * command ending never interrupts a stage), the server never outlives the
 * processes that use it however they end (a watchdog follows them), and
 * the library is quiet by default.
 */
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { TempoflowRuntime } from '../../src/client/runtime.js';
import { freePort, type ServerRecord } from '../../src/client/embedded-server.js';
import { runCli, startCli, type CliProcess } from '../helpers/cli.js';
import { eventually, processesMatching } from '../helpers/processes.js';
import { tempDir, workflowBundlePath, writeConf } from '../helpers/temporal.js';

const root = resolve(import.meta.dirname, '../..');
const examples = resolve(root, 'conf');

const LONG = `
long:
  type: Workflow
  jobs:
    slow:
      stages:
        - name: Slow
          id: slow
          bash: sleep 8 && echo slept
`;

/** A directory with the examples and a workflow whose one stage takes 8 s. */
function project(): { dir: string; env: Record<string, string | undefined> } {
  const dir = tempDir('tf-dev-');
  cpSync(examples, join(dir, 'conf'), { recursive: true });
  cpSync(writeConf({ 'long.yml': LONG }), join(dir, 'conf', 'long'), { recursive: true });
  return { dir, env: { TEMPORAL_ADDRESS: undefined, TEMPOFLOW_WORKFLOW_BUNDLE: workflowBundlePath(), WORKFLOW_CORE_TASK_QUEUE: undefined } };
}

function serverRecord(dir: string): ServerRecord | undefined {
  const file = join(dir, '.tempoflow', 'server.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ServerRecord) : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const started: CliProcess[] = [];
afterEach(async () => {
  for (const p of started.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await p.exited;
  }
});

function start(args: string[], options: Parameters<typeof startCli>[1]): CliProcess {
  const p = startCli(args, options);
  started.push(p);
  return p;
}

describe('tempoflow dev is the one place that runs work', () => {
  it('--detach runs on it, and another command ending or killed never interrupts a stage of the run', async () => {
    const { dir, env } = project();
    // Its own web port: a `tempoflow dev` left running on this machine holds the default one.
    const dev = start(['dev', '--port', String(await freePort())], { cwd: dir, env });
    await dev.waitForStderr(/worker: serving task queue 'tempoflow'/);
    const server = serverRecord(dir)!;

    const detached = await runCli(['run', 'long', '--detach'], { cwd: dir, env });
    expect(detached.stderr).not.toMatch(/starting Temporal dev server/);
    expect(detached.code).toBe(0);
    const runA = detached.stdout.trim();

    const runtime = await TempoflowRuntime.connect({ server: { address: server.address }, inProcessWorker: false });
    try {
      const handle = runtime.client.workflow.getHandle(runA);
      const activityStarts = async () => (await handle.fetchHistory()).events!.filter((e) => e.activityTaskStartedEventAttributes);
      expect((await eventually(async () => (await activityStarts()).length > 0, 30_000)) as boolean).toBe(true);

      // While A's stage runs: one command runs to its end, another is killed mid-run.
      const hello = await runCli(['run', 'hello-world'], { cwd: dir, env });
      expect(hello.code).toBe(0);
      expect(hello.stdout).toMatch(/\nSUCCESS\n$/);
      const killed = start(['run', 'hello-world', '-p', 'name=killed'], { cwd: dir, env });
      await killed.waitForStderr(/started run/);
      killed.child.kill('SIGKILL');
      await killed.exited;

      const result = await handle.result();
      expect(result.status).toBe('SUCCESS');
      const starts = await activityStarts();
      expect(starts).toHaveLength(1); // attempt 1, never interrupted
      expect(starts[0]!.activityTaskStartedEventAttributes!.attempt).toBe(1);
      expect(starts[0]!.activityTaskStartedEventAttributes!.identity).toMatch(new RegExp(`^${dev.pid}@`));
      // The attached commands' runs were served by dev's worker too.
      const helloRunId = /started run (\S+)/.exec(hello.stderr)![1]!;
      const helloStarts = (await runtime.client.workflow.getHandle(helloRunId).fetchHistory()).events!.filter((e) => e.activityTaskStartedEventAttributes);
      expect(helloStarts.length).toBeGreaterThan(0);
      for (const e of helloStarts) expect(e.activityTaskStartedEventAttributes!.identity).toMatch(new RegExp(`^${dev.pid}@`));
    } finally {
      await runtime.close();
    }
    dev.child.kill('SIGINT');
    expect((await dev.exited).code).toBe(0);
    expect(serverRecord(dir)).toBeUndefined();
  });

  it('without dev, a command runs its work on a task queue private to it', async () => {
    const { dir, env } = project();
    const res = await runCli(['run', 'hello-world', '--json'], { cwd: dir, env });
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/starting Temporal dev server/);
    expect(JSON.parse(res.stdout).status).toBe('SUCCESS');
    const refused = await runCli(['run', 'hello-world', '--detach'], { cwd: dir, env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/start `tempoflow dev` in another terminal/);
  });
});

describe('the embedded server never outlives the processes that use it', () => {
  it('SIGKILL of the owner: the server stays for the process that shares it, and goes when that one is killed too', async () => {
    const { dir, env } = project();
    const owner = start(['dev', '--port', String(await freePort())], { cwd: dir, env });
    await owner.waitForStderr(/worker: serving task queue/);
    const sharer = start(['run', 'long'], { cwd: dir, env });
    await sharer.waitForStderr(/started run/);
    const server = serverRecord(dir)!;

    owner.child.kill('SIGKILL');
    await owner.exited;
    await new Promise((r) => setTimeout(r, 3000)); // a few watchdog rounds
    expect(alive(server.pid)).toBe(true);

    sharer.child.kill('SIGKILL');
    await sharer.exited;
    expect(await eventually(() => !alive(server.pid), 15_000)).toBe(true);
    expect(await eventually(() => serverRecord(dir) === undefined, 5_000)).toBe(true);
    expect(processesMatching(join(dir, '.tempoflow', 'temporal.db'))).toEqual([]);
  });

  it('a library script that ends with process.exit() after execute(): quiet output, and the server it started goes', async () => {
    const { dir, env } = project();
    const script = [
      `import { Workflow } from ${JSON.stringify(pathToFileURL(resolve(root, 'src/index.ts')).href)};`,
      `const wf = await Workflow.fromConf('hello-world');`,
      `const run = await wf.start({ name: 'script' });`,
      `const queue = (await run.describe()).taskQueue;`,
      `const result = await run.result();`,
      `console.log(result.status, queue);`,
      `process.exit(0);`,
    ].join('\n');
    writeFileSync(join(dir, 'script.mjs'), script);
    const tsx = pathToFileURL(resolve(root, 'node_modules/tsx/dist/loader.mjs')).href;
    const childEnv = { ...process.env, ...env } as NodeJS.ProcessEnv;
    for (const [k, v] of Object.entries(childEnv)) if (v === undefined) delete childEnv[k];
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((res) => {
      const child = spawn(process.execPath, ['--import', tsx, join(dir, 'script.mjs')], { cwd: dir, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (code) => res({ code, stdout, stderr }));
    });
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^SUCCESS tempoflow-\d+-[0-9a-f]{8}\n$/); // a private task queue
    expect(out.stderr).not.toMatch(/INFO/); // the SDK's info logs stay quiet by default
    expect(await eventually(() => serverRecord(dir) === undefined, 15_000)).toBe(true);
    expect(await eventually(() => processesMatching(join(dir, '.tempoflow', 'temporal.db')).length === 0, 15_000)).toBe(true);
  });
});
