/**
 * The CLI end to end: `tempoflow run` against a configured server (starts
 * nothing), and the embedded default (one server per working directory,
 * recorded in .tempoflow/server.json, shared, stopped by the last user).
 */
import { existsSync, readFileSync, cpSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireEmbeddedServer } from '../../src/client/embedded-server.js';
import { getRun, readRunInput } from '../../src/client/run-handle.js';
import { runCli } from '../helpers/cli.js';
import { processesMatching } from '../helpers/processes.js';
import { tempDir, temporalAddress, uniqueTaskQueue, withWorker, workflowBundlePath, writeConf } from '../helpers/temporal.js';
import { startWorkerProcess } from '../helpers/worker-process.js';

const conf = resolve(import.meta.dirname, '../../conf');

describe('tempoflow run', () => {
  it('with TEMPORAL_ADDRESS: runs on that server, prints jobs, SUCCESS and the UI link, exit 0', async () => {
    const dir = tempDir('tf-cli-');
    const taskQueue = uniqueTaskQueue('cli');
    const worker = startWorkerProcess(taskQueue, dir);
    try {
      await worker.ready;
      const env = {
        TEMPORAL_ADDRESS: temporalAddress(),
        TEMPORAL_UI_URL: 'http://ui.example:8233',
        WORKFLOW_CORE_CONF_PATH: conf,
        WORKFLOW_CORE_TASK_QUEUE: taskQueue,
      };
      const ok = await runCli(['run', 'hello-world', '-p', 'name=cli'], { cwd: dir, env });
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/^prepare \/ Greet \| Hello, cli!\n/);
      expect(ok.stdout).toMatch(/\nSUCCESS\n$/);
      expect(ok.stderr).toMatch(/job prepare: SUCCESS/);
      expect(ok.stderr).toMatch(/job report: SUCCESS/);
      expect(ok.stderr).toMatch(/http:\/\/ui\.example:8233\/namespaces\/default\/workflows\/hello-world-/);
      expect(existsSync(join(dir, '.tempoflow', 'server.json'))).toBe(false);

      const failed = await runCli(['run', 'dag-with-skip', '--json'], { cwd: dir, env });
      expect(failed.code).toBe(1);
      const result = JSON.parse(failed.stdout);
      expect(result.status).toBe('FAILED');
      expect(result.context.jobs.deploy.status).toBe('SKIP');

      const bad = await runCli(['run', 'hello-world', '-p', 'nmae=x'], { cwd: dir, env });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/param 'nmae': not declared/);
    } finally {
      await worker.kill('SIGTERM');
    }
  });

  it('validate exits 0 on the examples and 2 with positioned errors', async () => {
    const dir = tempDir('tf-cli-');
    const ok = await runCli(['validate', '--conf', conf], { cwd: dir });
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/0 errors/);
    cpSync(conf, join(dir, 'conf'), { recursive: true });
    const broken = join(dir, 'conf', 'broken.yml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(broken, 'broken:\n  type: Workflow\n  jobs:\n    a:\n      need: [b]\n      stages: [{ echo: hi }]\n');
    const bad = await runCli(['validate', '--json'], { cwd: dir });
    expect(bad.code).toBe(2);
    const report = JSON.parse(bad.stdout);
    expect(report.ok).toBe(false);
    expect(report.issues[0]).toMatchObject({ code: 'unknown-key', line: 5, col: 7, hint: "did you mean 'needs'?" });
  });
});

describe('tempoflow run --detach', () => {
  it('keeps every run option: --job, --max-job-parallel, --timeout, --run-id, --params-file, -p, --conf', async () => {
    await withWorker(async ({ runtime, taskQueue }) => {
      const dir = tempDir('tf-detach-');
      const conf = writeConf({
        'd.yml': `
detached:
  type: Workflow
  params:
    who: { type: str }
    greeting: { type: str, default: hello }
  jobs:
    a:
      stages:
        - name: Say
          id: say
          bash: echo "$TF_PARAM_GREETING $TF_PARAM_WHO from a"; sleep 1
    b:
      stages:
        - name: Say
          id: say
          bash: echo "b"; sleep 1
    c:
      stages:
        - bash: echo c
`,
      });
      writeFileSync(join(dir, 'params.yml'), 'who: file\ngreeting: hi\n');
      const runId = `detached-${Date.now().toString(36)}`;
      const args = [
        'run',
        'detached',
        '--detach',
        '--conf',
        conf,
        '--job',
        'a',
        'b',
        '--max-job-parallel',
        '1',
        '--timeout',
        '120',
        '--run-id',
        runId,
        '--params-file',
        join(dir, 'params.yml'),
        '-p',
        'who=cli',
      ];
      const res = await runCli(args, { cwd: dir, env: { TEMPORAL_ADDRESS: temporalAddress(), WORKFLOW_CORE_TASK_QUEUE: taskQueue } });
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toBe(`${runId}\n`);

      // What the run was started with: every option made it.
      expect(await readRunInput(runtime, runId)).toMatchObject({ runId, maxJobParallel: 1, onlyJobs: ['a', 'b'], timeoutSeconds: 120, params: { who: 'cli', greeting: 'hi' } });
      // And what it did with them.
      const result = await (await getRun(runId, { runtime })).result();
      expect(result.status).toBe('SUCCESS');
      expect(Object.keys(result.context.jobs).sort()).toEqual(['a', 'b']);
      expect(result.context.jobs['a']!.stages['say']!.outputs['stdout']).toBe('hi cli from a\n');
      const [first, second] = [result.context.jobs['a']!, result.context.jobs['b']!].sort((x, y) => Date.parse(x.start!) - Date.parse(y.start!));
      expect(Date.parse(second!.start!)).toBeGreaterThanOrEqual(Date.parse(first!.end!)); // one job at a time
    });
  });

  it('is refused against an embedded server that would stop with the command, before starting anything', async () => {
    const dir = tempDir('tf-detach-');
    const res = await runCli(['run', 'hello-world', '--detach', '--conf', conf], { cwd: dir, env: { TEMPORAL_ADDRESS: undefined } });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--detach needs a server and a worker that outlive this command: start `tempoflow dev`/);
    expect(existsSync(join(dir, '.tempoflow'))).toBe(false);
  });
});

describe('embedded default', () => {
  it('one server per working directory: a second process attaches, the last user stops it', async () => {
    const dir = tempDir('tf-embedded-');
    cpSync(conf, join(dir, 'conf'), { recursive: true });
    const env = { TEMPORAL_ADDRESS: undefined, TEMPOFLOW_WORKFLOW_BUNDLE: workflowBundlePath() };
    const stateDir = join(dir, '.tempoflow');
    const lease = await acquireEmbeddedServer({ stateDir });
    try {
      expect(lease.started).toBe(true);
      const record = JSON.parse(readFileSync(join(stateDir, 'server.json'), 'utf8'));
      expect(record.pid).toBe(lease.record.pid);
      expect(record.dbFile).toBe(join(stateDir, 'temporal.db'));
      const run = await runCli(['run', 'hello-world'], { cwd: dir, env });
      expect(run.stdout).toMatch(/\nSUCCESS\n$/);
      expect(run.code).toBe(0);
      expect(run.stderr).not.toMatch(/starting Temporal dev server/);
      expect(run.stderr).toContain(lease.record.uiUrl!);
      // The CLI left; our lease keeps the server up.
      expect(JSON.parse(readFileSync(join(stateDir, 'server.json'), 'utf8')).pid).toBe(lease.record.pid);
      expect(processesMatching(join(stateDir, 'temporal.db')).map((p) => p.pid)).toEqual([lease.record.pid]);
    } finally {
      await lease.release();
    }
    expect(existsSync(join(stateDir, 'server.json'))).toBe(false);
    expect(processesMatching(join(stateDir, 'temporal.db'))).toEqual([]);

    // Alone, `tempoflow run` starts the server on the same SQLite file, and stops it after.
    const alone = await runCli(['run', 'hello-world'], { cwd: dir, env });
    expect(alone.code).toBe(0);
    expect(alone.stderr).toMatch(/starting Temporal dev server \(SQLite .*temporal\.db/);
    expect(existsSync(join(stateDir, 'server.json'))).toBe(false);
    expect(processesMatching(join(stateDir, 'temporal.db'))).toEqual([]);
  });
});

describe('tempoflow run and Ctrl-C', () => {
  it('the first Ctrl-C cancels the run: its stage process is killed, the run ends CANCEL, exit 1', async () => {
    const dir = tempDir('tf-cli-');
    const taskQueue = uniqueTaskQueue('sigint');
    const worker = startWorkerProcess(taskQueue, dir);
    const duration = `31.${Date.now() % 100000}`;
    const { writeFileSync, mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'conf'));
    writeFileSync(join(dir, 'conf', 'nap.yml'), `nap:\n  type: Workflow\n  jobs:\n    main:\n      stages:\n        - name: Nap\n          bash: sleep ${duration}\n`);
    try {
      await worker.ready;
      let signalled = false;
      let cli: import('node:child_process').ChildProcess | undefined;
      // Once the stage's process runs, press Ctrl-C once.
      const poll = setInterval(() => {
        if (!signalled && cli && processesMatching(`sleep ${duration}`).length > 0) {
          signalled = true;
          cli.kill('SIGINT');
        }
      }, 100);
      const res = await runCli(['run', 'nap'], {
        cwd: dir,
        env: { TEMPORAL_ADDRESS: temporalAddress(), WORKFLOW_CORE_TASK_QUEUE: taskQueue },
        onStderr: (text, child) => {
          if (text.includes('started run')) cli = child;
        },
      }).finally(() => clearInterval(poll));
      expect(signalled).toBe(true);
      expect(res.stderr).toMatch(/cancelling the run\.\.\. \(press Ctrl-C again to detach\)/);
      expect(res.stdout).toBe('CANCEL\n');
      expect(res.code).toBe(1);
      expect(processesMatching(`sleep ${duration}`)).toEqual([]);
    } finally {
      await worker.kill('SIGTERM');
    }
  });
});
