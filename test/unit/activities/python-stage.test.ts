import { existsSync, mkdirSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, processesMatching, uniqueSleep } from '../../helpers/processes.js';
import { harness, runActivity, pythonInput, type Harness } from './helpers.js';

let h: Harness;
afterEach(() => h?.cleanup());

async function run(code: string, extra: Parameters<typeof pythonInput>[1] = {}, overrides: Parameters<typeof harness>[0] = {}) {
  h = harness(overrides);
  return runActivity(new MockActivityEnvironment(), h.activities.pythonStage, pythonInput(code, extra));
}

describe('pythonStage: variables', () => {
  it('injects params, matrix, context and vars, and returns top-level names as outputs', async () => {
    const result = await run(
      [
        'import os, json',
        'from datetime import date',
        'def helper(): return 1',
        'class Thing: pass',
        'total = params["n"] * 2',
        'region = matrix["region"]',
        'ctx = {k: context[k] for k in ("attempt", "run_id", "workflow", "job", "stage", "jobs")}',
        'seen_limit = limit + 1',
        '_private = 5',
      ].join('\n'),
      { params: { n: 21 }, matrix: { region: 'eu' }, vars: { limit: 9 }, context: { jobs: { a: 1 }, attempt: 99 }, attempt: 2 },
    );
    expect(result.ok).toBe(true);
    expect(result.outputs).toEqual({
      limit: 9,
      total: 42,
      region: 'eu',
      ctx: { attempt: 2, run_id: 'run-1', workflow: 'wf', job: 'job-a', stage: 'stage-x', jobs: { a: 1 } },
      seen_limit: 10,
    });
  });

  it('gives matrix as {} without a matrix, and context.workspace as the job workspace (the cwd)', async () => {
    const result = await run('import os\nm = matrix\nsame = os.getcwd() == context["workspace"]\nws = context["workspace"]');
    expect(result.outputs).toMatchObject({ m: {}, same: true });
    expect(realpathSync(String(result.outputs.ws))).toBe(realpathSync(join(h.config.workdir, 'run-1', 'job-a')));
  });

  it('lets result.outputs win a clash with a top-level name', async () => {
    const result = await run('x = 1\ny = 2\nresult.outputs["x"] = "from result"\nresult.outputs["z"] = [1, 2]');
    expect(result.outputs).toEqual({ y: 2, x: 'from result', z: [1, 2] });
  });

  it('accepts a whole dict assigned to result.outputs, and refuses a non-dict at its line', async () => {
    expect((await run('result.outputs = {"a": 1}')).outputs).toEqual({ a: 1 });
    const bad = await run('a = 1\nresult.outputs = [1]');
    expect(bad.ok).toBe(false);
    expect(bad.error).toMatchObject({ name: 'TypeError', location: 'conf/workflows/wf.yml:13:1' });
    expect(bad.error?.message).toMatch(/^result\.outputs must be a dict, not list \(at conf\/workflows\/wf\.yml:13\)/);
  });

  it('skips values that are not JSON-serialisable and notes them in the trace', async () => {
    const result = await run('import datetime\nok = {"a": [1, 2.5, None, True]}\nnow = datetime.datetime.now()\nbag = {1, 2}\nnan = float("nan")');
    expect(result.ok).toBe(true);
    expect(result.outputs).toEqual({ ok: { a: [1, 2.5, null, true] } });
    expect(h.trace()).toMatch(/warning: not JSON-serialisable, left out of the outputs: now, bag, nan/);
  });

  it('skips a value whose serialisation raises anything, instead of crashing the runner', async () => {
    const result = await run(
      'class Weird(dict):\n    def items(self):\n        raise KeyError("no")\n    def keys(self):\n        raise KeyError("no")\n    def __iter__(self):\n        raise KeyError("no")\nw = Weird(a=1)\nfine = 1',
    );
    expect(result).toEqual({ ok: true, outputs: { fine: 1 }, logs: { stdout: '', stderr: '' } });
  });

  it('refuses vars that are not identifiers or shadow injected names, without retries', async () => {
    const result = await run('x = 1', { vars: { 'my-var': 1, params: 2, ok: 3 } });
    expect(result).toMatchObject({ ok: false, nonRetryable: true, error: { name: 'PythonInputError' } });
    expect(result.error?.message).toContain("'my-var'");
    expect(result.error?.message).toContain("'params'");
    expect(result.error?.message).not.toContain("'ok'");
  });
});

describe('pythonStage: environment', () => {
  it('sees the same TF_* environment as bash, minus private worker variables', async () => {
    const result = await run('import os\nenv = {k: v for k, v in os.environ.items() if k.startswith("TF_") or k in ("MY_VAR", "TEMPOFLOW_SECRET_TOKEN")}', {
      params: { 'input-file': 'a.csv', n: 3 },
      matrix: { region: 'us' },
      env: { MY_VAR: 'hello' },
      attempt: 3,
    });
    const env = result.outputs.env as Record<string, string>;
    expect(env).toMatchObject({
      MY_VAR: 'hello',
      TF_PARAM_INPUT_FILE: 'a.csv',
      TF_PARAM_N: '3',
      TF_MATRIX_REGION: 'us',
      TF_ATTEMPT: '3',
      TF_RUN_ID: 'run-1',
      TF_WORKFLOW: 'wf',
      TF_JOB: 'job-a',
      TF_STAGE: 'stage-x',
    });
    expect(env.TF_WORKSPACE).toBe(join(h.config.workdir, 'run-1', 'job-a'));
    expect(env).not.toHaveProperty('TEMPOFLOW_SECRET_TOKEN');
    expect(env).not.toHaveProperty('TF_PYTHON_RESULT_FILE');
  });

  it('imports modules from the workspace, and inspect sees the code', async () => {
    h = harness();
    const workspace = join(h.config.workdir, 'run-1', 'job-a');
    mkdirSync(workspace, { recursive: true });
    writeFileSync(join(workspace, 'helpers_mod.py'), 'VALUE = 41\n');
    const result = await runActivity(
      new MockActivityEnvironment(),
      h.activities.pythonStage,
      pythonInput('import inspect, helpers_mod\ndef f():\n    return 1\nvalue = helpers_mod.VALUE + 1\nsource = inspect.getsource(f)\nline = f.__code__.co_firstlineno'),
    );
    expect(result.outputs).toEqual({ value: 42, source: 'def f():\n    return 1\n', line: 13 });
  });

  it('removes its input and result files after the attempt', async () => {
    await run('x = 1');
    expect(readdirSync(join(h.config.workdir, 'run-1', '.scripts'))).toEqual([]);
  });

  it('uses WORKFLOW_CORE_PYTHON, and says so when the interpreter cannot run', async () => {
    const result = await run('x = 1', {}, { baseEnv: { PATH: process.env.PATH, WORKFLOW_CORE_PYTHON: '/nonexistent/python9' } });
    expect(result).toMatchObject({ ok: false, error: { name: 'PythonProcessError' } });
    expect(result.error?.message).toContain("cannot run the Python interpreter '/nonexistent/python9'");
  });
});

describe('pythonStage: failures', () => {
  it('positions a runtime exception on its YAML line', async () => {
    // codeLine 12: line 3 of the code is line 14 of the YAML file.
    const result = await run('a = 1\nprint("before")\nb = a / 0\nc = 3');
    expect(result.ok).toBe(false);
    expect(result.error).toMatchObject({ name: 'ZeroDivisionError', location: 'conf/workflows/wf.yml:14:1', job: 'job-a', stage: 'stage-x' });
    expect(result.error?.message.split('\n')[0]).toBe('division by zero (at conf/workflows/wf.yml:14)');
    // The traceback (in the stderr tail) names the YAML line and shows the source.
    expect(result.error?.message).toContain('File "<conf/workflows/wf.yml>", line 14');
    expect(result.error?.message).toContain('b = a / 0');
    expect(result.error?.message).toContain('--- stdout (tail) ---\nbefore');
    // Names bound before the failure are still reported.
    expect(result.outputs).toEqual({ a: 1 });
  });

  it('positions an exception raised inside a function at the innermost line of the code', async () => {
    const result = await run('def f(x):\n    return {}[x]\n\nf("missing")', { codeLine: 5 });
    expect(result.error).toMatchObject({ name: 'KeyError', location: 'conf/workflows/wf.yml:6:1' });
    expect(result.error?.message).toMatch(/^'missing' \(at conf\/workflows\/wf.yml:6\)/);
  });

  it('positions a SyntaxError on its YAML line, before anything runs', async () => {
    const result = await run('print("never")\nx = = 1', { codeLine: 30 });
    expect(result.ok).toBe(false);
    expect(result.error).toMatchObject({ name: 'SyntaxError', location: 'conf/workflows/wf.yml:31:1' });
    expect(result.error?.message.split('\n')[0]).toBe('invalid syntax (at conf/workflows/wf.yml:31)');
    expect(h.trace()).not.toContain('never');
  });

  it('reports an IndentationError by its own name', async () => {
    const result = await run('if True:\nx = 1');
    expect(result.error).toMatchObject({ name: 'IndentationError', location: 'conf/workflows/wf.yml:13:1' });
  });

  it('treats SystemExit(0) and sys.exit() as success, with the outputs so far', async () => {
    expect(await run('import sys\nx = 1\nsys.exit(0)\ny = 2')).toEqual({ ok: true, outputs: { x: 1 }, logs: { stdout: '', stderr: '' } });
    expect((await run('import sys\nsys.exit()')).ok).toBe(true);
  });

  it('treats a non-zero SystemExit as failure', async () => {
    const coded = await run('import sys\nx = 1\nsys.exit(3)');
    expect(coded).toMatchObject({ ok: false, error: { name: 'SystemExit', message: expect.stringMatching(/^exit code 3 \(at conf\/workflows\/wf.yml:14\)/) } });
    const text = await run('raise SystemExit("bad input")');
    expect(text.error?.message).toMatch(/^bad input \(at conf\/workflows\/wf.yml:12\)/);
  });

  it('fails clearly when the interpreter is killed by a signal', async () => {
    const result = await run('import os, signal\nprint("bye", flush=True)\nos.kill(os.getpid(), signal.SIGKILL)');
    expect(result).toMatchObject({ ok: false, outputs: {}, error: { name: 'PythonProcessError', location: 'conf/workflows/wf.yml:10:9' } });
    expect(result.error?.message).toMatch(/^the Python interpreter was killed by SIGKILL \(exit 137\)/);
  });

  it('bounds a huge exception message', async () => {
    const result = await run('raise ValueError("x" * 1000000)');
    expect(result.error?.name).toBe('ValueError');
    expect(result.error!.message.length).toBeLessThan(10_000);
    expect(result.error?.message).toContain('characters cut');
  });
});

describe('pythonStage: output', () => {
  it('caps the outputs at 64 KB, replacing the biggest values', async () => {
    const result = await run('big = "a" * 100000\nmedium = "b" * 30000\nsmall = 1\nresult.outputs["also_big"] = ["c" * 50000]');
    expect(result.ok).toBe(true);
    expect(result.outputs.big).toEqual({ __truncated: true, bytes: 100002 });
    expect(result.outputs.also_big).toEqual({ __truncated: true, bytes: 50004 });
    expect(result.outputs.medium).toBe('b'.repeat(30000));
    expect(result.outputs.small).toBe(1);
    expect(Buffer.byteLength(JSON.stringify(result.outputs))).toBeLessThanOrEqual(64 * 1024);
    expect(h.trace()).toMatch(/warning: outputs were \d+ bytes of JSON, over the 65536-byte cap; replaced by .*: big, also_big/);
  });

  it('measures the cap in UTF-8 bytes of the JSON', async () => {
    const result = await run('cjk = "\u6f22" * 15000');
    expect(result.outputs.cjk).toBe('\u6f22'.repeat(15000)); // 45 KB of UTF-8, though 90 KB as \\u escapes
  });

  it('survives invalid UTF-8 and lone surrogates in output and outputs', async () => {
    const result = await run('import sys\nsys.stdout.buffer.write(b"\\xff\\xfe bytes\\n")\nprint("lone \\udcff surrogate")\nweird = "a\\udcffb"\nraise RuntimeError("bad \\udcff")');
    expect(result.ok).toBe(false);
    expect(result.error?.name).toBe('RuntimeError');
    expect(result.error?.message).toContain('surrogate');
    expect(typeof result.outputs.weird).toBe('string');
    expect(h.trace()).toContain('bytes');
  });

  it('keeps memory bounded and cuts the trace of a stage that prints a lot', async () => {
    const result = await run('import sys\nchunk = "y" * 1023 + "\\n"\nfor _ in range(20 * 1024): sys.stdout.write(chunk)\ndone = True', {}, { traceStageBytes: 1024 * 1024 });
    expect(result).toMatchObject({ ok: true, outputs: { chunk: `${'y'.repeat(1023)}\n`, done: true } });
    // The tail kept for `tempoflow logs` is bounded and says how much was cut.
    const logs = (result as { logs: { stdout: string } }).logs;
    expect(logs.stdout).toMatch(/^\[\.\.\. \d+ bytes truncated\]\n/);
    expect(logs.stdout.length).toBeLessThan(20 * 1024);
    const trace = h.trace();
    expect(trace.length).toBeLessThan(1.5 * 1024 * 1024);
    expect(trace).toMatch(/warning: trace cut: \d+ more bytes of output were not written \(limit 1048576 bytes per stage attempt\)/);
  });
});

describe('pythonStage: supervision', () => {
  it('kills python and its children when the stage times out', async () => {
    const marker = uniqueSleep(30);
    const result = await run(`import subprocess, time\nsubprocess.Popen(["sleep", "${marker}"])\ntime.sleep(30)`, { timeoutSeconds: 1 });
    expect(result).toMatchObject({ ok: false, error: { name: 'TimeoutError' } });
    expect(result.error?.message).toContain('stage timed out after 1 s');
    expect(await eventually(() => processesMatching(marker).length === 0, 5000)).toBe(true);
  }, 20_000);

  it('kills python and its children when the activity is cancelled, and throws CancelledFailure', async () => {
    h = harness();
    const marker = uniqueSleep(30);
    const env = new MockActivityEnvironment();
    const pending = runActivity(env, h.activities.pythonStage, pythonInput(`import subprocess, time\nsubprocess.Popen(["sleep", "${marker}"])\ntime.sleep(30)`));
    expect(await eventually(() => processesMatching(marker).length > 0, 5000)).toBe(true);
    env.cancel();
    await expect(pending).rejects.toBeInstanceOf(CancelledFailure);
    expect(await eventually(() => processesMatching(marker).length === 0, 5000)).toBe(true);
  }, 20_000);

  it('heartbeats while the code runs', async () => {
    h = harness();
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const result = await runActivity(env, h.activities.pythonStage, pythonInput('import time\ntime.sleep(0.6)'));
    expect(result.ok).toBe(true);
    expect(beats.length).toBeGreaterThanOrEqual(3);
    // Where the stage is and its newest output lines (activities/output-window.ts).
    expect(beats[0]).toMatchObject({ job: 'job-a', stage: 'stage-x', attempt: 1, output: { seq: 0, lines: [] } });
  });

  it('writes output to the trace with the stage prefix', async () => {
    await run('print("line one")\nprint("line two")\nimport sys\nprint("oops", file=sys.stderr)');
    const trace = h.trace();
    expect(trace).toContain('[wf] [job-a] [stage-x] line one');
    expect(trace).toContain('[wf] [job-a] [stage-x] line two');
    expect(trace).toContain('[wf] [job-a] [stage-x] [stderr] oops');
    expect(existsSync(join(h.config.traceDir, 'run-1.log'))).toBe(true);
  });
});
