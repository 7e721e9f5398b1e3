/**
 * Hostile input against the real server, one table: shell metacharacters in
 * params, workspace escapes, trigger recursion, a matrix past its cap,
 * outputs past their caps, invalid UTF-8 and huge output, huge values,
 * background processes. Every case ends in a clear, positioned error or a
 * correct result — never a crash, a hang (each run has a 60 s timeout and
 * must not end TIMEOUT) or a partial run (every job and stage ends in a
 * terminal status).
 *
 * Config-only cases (alias bombs, huge and invalid files, caps of the
 * expression language) are in test/unit/hostile.test.ts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Worker } from '@temporalio/worker';
import { defineTask, TaskRegistry } from '../../src/activities/registry.js';
import type { TempoflowRuntime } from '../../src/client/runtime.js';
import type { Result } from '../../src/client/result.js';
import { Workflow } from '../../src/client/workflow.js';
import { loadWorkflowSpec } from '../../src/config/loader.js';
import type { StageContext } from '../../src/engine/context.js';
import { eventually, processesMatching, uniqueSleep } from '../helpers/processes.js';
import { tempDir, testActivityConfig, testRuntime, testWorker, uniqueTaskQueue, writeConf } from '../helpers/temporal.js';
import { startWorkerProcess } from '../helpers/worker-process.js';

const big = defineTask({
  name: 'big',
  tag: 'v1',
  with: z.object({ kb: z.number().int().positive() }),
  run: ({ kb }) => ({ blob: 'b'.repeat(kb * 1024), small: 'kept' }),
});

let runtime: TempoflowRuntime;
let worker: Worker;
let closeWorker: () => Promise<void>;
let running: Promise<void>;
let dir: string;

beforeAll(async () => {
  const taskQueue = uniqueTaskQueue('hostile');
  dir = tempDir('tf-hostile-');
  runtime = await testRuntime(taskQueue);
  ({ worker, close: closeWorker } = await testWorker(taskQueue, testActivityConfig(dir, { tasks: new TaskRegistry().register(big) })));
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running?.catch(() => undefined);
  await closeWorker?.();
  await runtime?.close();
});

/** Every stage, nested ones included, with its path. */
function allStages(result: Result): [string, StageContext][] {
  const out: [string, StageContext][] = [];
  const visit = (prefix: string, stages: Record<string, StageContext>): void => {
    for (const [id, st] of Object.entries(stages)) {
      out.push([`${prefix}${id}`, st]);
      for (const value of Object.values(st.outputs ?? {})) {
        if (value && typeof value === 'object') {
          for (const [key, entry] of Object.entries(value as Record<string, { stages?: Record<string, StageContext> }>)) {
            if (entry && typeof entry === 'object' && entry.stages) visit(`${prefix}${id}.${key}.`, entry.stages);
          }
        }
      }
    }
  };
  for (const [jobId, job] of Object.entries(result.context.jobs)) visit(`${jobId}.`, job.stages);
  return out;
}

/** No hang, no partial run: the run and every job and stage ended. */
function expectFinished(result: Result): void {
  expect(result.status).not.toBe('TIMEOUT');
  expect(['SUCCESS', 'FAILED', 'SKIP']).toContain(result.status);
  for (const [id, job] of Object.entries(result.context.jobs)) expect(['SUCCESS', 'FAILED', 'SKIP'], `job ${id}`).toContain(job.status);
  for (const [path, st] of allStages(result)) expect(['SUCCESS', 'FAILED', 'SKIP'], `stage ${path}`).toContain(st.status);
}

/** The first failed stage's error, positioned. */
function failure(result: Result): { name: string; message: string; location?: string } {
  const failed = allStages(result).find(([, st]) => st.status === 'FAILED');
  expect(failed, 'a failed stage').toBeDefined();
  return failed![1].error!;
}

interface Case {
  readonly name: string;
  /** YAML of the conf tree; the workflow to run is `hostile`. */
  readonly files: Record<string, string>;
  readonly params?: Record<string, unknown>;
  /** The run must not start: `execute()` throws this, before anything runs. */
  readonly refused?: RegExp;
  check?(result: Result, ws: { runDir: string; conf: string }): void | Promise<void>;
}

const HOSTILE_PARAM = `a'b"c $(touch pwned-dollar) \`touch pwned-tick\` ; touch pwned-semi | && > pwned-redirect \\ * ? ~ \${HOME} %s %n`;
const wf = (body: string, params = ''): string => `hostile:\n  type: Workflow\n${params}  jobs:\n${body}`;

const cases: Case[] = [
  {
    name: 'shell metacharacters in a param read through "$TF_PARAM_X" stay literal',
    params: { text: HOSTILE_PARAM },
    files: { 'w.yml': wf(`    main:\n      stages:\n        - name: Safe\n          id: safe\n          bash: printf '%s' "$TF_PARAM_TEXT"; ls\n`, '  params: { text: str }\n') },
    check(result) {
      expect(result.status).toBe('SUCCESS');
      expect(result.context.jobs.main!.stages['safe']!.outputs['stdout']).toBe(HOSTILE_PARAM);
    },
  },
  {
    name: 'a param templated into a script is spliced because the YAML asked for it: validate warns at its position',
    params: { text: 'hello; touch pwned-by-template' },
    files: { 'w.yml': wf(`    main:\n      stages:\n        - name: Unsafe\n          id: unsafe\n          bash: echo \${{ params.text }}; ls\n`, '  params: { text: str }\n') },
    check(result, { conf }) {
      const { warnings } = loadWorkflowSpec('hostile', { path: conf });
      expect(warnings).toEqual([expect.objectContaining({ code: 'param-in-script', severity: 'warning', line: 9, col: 26 })]);
      expect(warnings[0]!.hint).toBe('use "$TF_PARAM_TEXT" (every param is in the environment) instead of ${{ params.text }}');
      expect(result.status).toBe('SUCCESS');
      expect(result.context.jobs.main!.stages['unsafe']!.outputs['stdout']).toBe('hello\npwned-by-template\n');
    },
  },
  {
    name: 'a param value holding ${{ }} is data, never evaluated',
    params: { text: "${{ fromJson('x') }} ${{ params.text }}" },
    files: {
      'w.yml': wf(
        `    main:\n      stages:\n        - id: show\n          bash: printf '%s' "$TF_PARAM_TEXT"\n        - id: echo\n          run: |\n            seen = params["text"]\n`,
        '  params: { text: str }\n',
      ),
    },
    check(result) {
      expect(result.status).toBe('SUCCESS');
      expect(result.context.jobs.main!.stages['show']!.outputs['stdout']).toBe("${{ fromJson('x') }} ${{ params.text }}");
      expect(result.context.jobs.main!.stages['echo']!.outputs['seen']).toBe("${{ fromJson('x') }} ${{ params.text }}");
    },
  },
  {
    name: 'cwd: ../.. escaping the workspace fails the stage, not retried, naming the cwd and the stage',
    files: { 'w.yml': wf(`    main:\n      stages:\n        - id: escape\n          retry: 3\n          cwd: ../..\n          bash: pwd\n`) },
    check(result) {
      expect(result.status).toBe('FAILED');
      const error = failure(result);
      expect(error.message).toMatch(/cwd '\.\.\/\.\.' leaves the job workspace \(.*w\.yml:6:11\)/);
      expect(result.context.jobs.main!.stages['escape']!.attempt).toBe(1);
    },
  },
  {
    name: 'cwd: an absolute path outside the workspace fails the same way',
    files: { 'w.yml': wf(`    main:\n      stages:\n        - id: abs\n          cwd: /etc\n          bash: pwd\n`) },
    check(result) {
      expect(failure(result).message).toMatch(/cwd '\/etc' leaves the job workspace/);
    },
  },
  {
    name: 'cwd: a sibling folder whose name starts with the job id is still outside',
    files: { 'w.yml': wf(`    main:\n      stages:\n        - id: sibling\n          cwd: ../main-evil\n          bash: pwd\n`) },
    check(result) {
      expect(failure(result).message).toMatch(/cwd '\.\.\/main-evil' leaves the job workspace/);
    },
  },
  {
    name: 'cwd: a subfolder of the workspace is fine',
    files: { 'w.yml': wf(`    main:\n      stages:\n        - id: sub\n          cwd: a/../b/./c\n          bash: pwd\n`) },
    check(result) {
      expect(result.status).toBe('SUCCESS');
      expect(result.context.jobs.main!.stages['sub']!.outputs['stdout']).toMatch(/\/main\/b\/c\n$/);
    },
  },
  {
    name: 'trigger recursion A → B → A is refused with the chain named',
    files: {
      'a.yml': wf(`    main:\n      stages:\n        - id: call-b\n          trigger: other\n`),
      'b.yml': `other:\n  type: Workflow\n  jobs:\n    main:\n      stages:\n        - id: call-a\n          trigger: hostile\n`,
    },
    refused: /^trigger cycle: hostile → other → hostile; a workflow may not trigger itself, directly or through others$/,
  },
  {
    name: 'trigger recursion through a template (A → A, only known at run time) is refused',
    params: { target: 'hostile' },
    files: { 'w.yml': wf(`    main:\n      stages:\n        - id: again\n          trigger: \${{ params.target }}\n`, '  params: { target: str }\n') },
    check(result) {
      expect(result.status).toBe('FAILED');
      expect(failure(result).message).toMatch(/hostile/);
      expect(JSON.stringify(result.context)).toMatch(/cycle|itself|already running|chain/i);
    },
  },
  {
    name: 'a trigger target with ../ is not a workflow name',
    params: { target: '../../etc/passwd' },
    files: { 'w.yml': wf(`    main:\n      stages:\n        - id: dotdot\n          trigger: \${{ params.target }}\n`, '  params: { target: str }\n') },
    check(result) {
      expect(result.status).toBe('FAILED');
      expect(failure(result).message).toMatch(/'\.\.\/\.\.\/etc\/passwd' is not a valid workflow name/);
    },
  },
  {
    name: 'a dynamic matrix past the 4,096 cap fails the job with the count and the cap',
    files: {
      'w.yml': wf(
        `    main:\n      strategy:\n        matrix: \${{ fromJson(params.list) }}\n      stages:\n        - bash: echo never\n`,
        `  params:\n    list: { type: str, default: '${JSON.stringify({ x: Array.from({ length: 65 }, (_, i) => i), y: Array.from({ length: 65 }, (_, i) => i) })}' }\n`,
      ),
    },
    check(result) {
      expect(result.status).toBe('FAILED');
      const text = JSON.stringify(result.context.jobs.main);
      expect(text).toMatch(/4225/);
      expect(text).toMatch(/4096/);
      expect(result.context.jobs.main!.strategies ?? []).toEqual([]);
    },
  },
  {
    name: 'run outputs over 64 KB are cut to {__truncated, bytes}, the rest kept',
    files: { 'w.yml': wf(`    main:\n      stages:\n        - id: py\n          run: |\n            huge = "x" * (1024 * 1024)\n            small = 1\n`) },
    check(result) {
      expect(result.status).toBe('SUCCESS');
      expect(result.context.jobs.main!.stages['py']!.outputs).toEqual({ huge: { __truncated: true, bytes: 1024 * 1024 + 2 }, small: 1 });
    },
  },
  {
    name: 'uses outputs over 64 KB are cut the same way',
    files: { 'w.yml': wf(`    main:\n      stages:\n        - id: task\n          uses: tasks/big@v1\n          with: { kb: 512 }\n`) },
    check(result) {
      expect(result.status).toBe('SUCCESS');
      expect(result.context.jobs.main!.stages['task']!.outputs).toEqual({ blob: { __truncated: true, bytes: 512 * 1024 + 2 }, small: 'kept' });
    },
  },
  {
    name: 'bash output of 5 MB keeps a 16 KiB tail with a cut marker; the trace keeps the full text',
    files: { 'w.yml': wf(`    main:\n      stages:\n        - id: loud\n          bash: head -c 5000000 /dev/zero | tr '\\0' 'z'; echo; echo THE-END\n`) },
    check(result, { runDir }) {
      expect(result.status).toBe('SUCCESS');
      const stdout = result.context.jobs.main!.stages['loud']!.outputs['stdout'] as string;
      expect(stdout).toMatch(/^\[\.\.\. \d+ bytes truncated\]\n/);
      expect(stdout.endsWith('THE-END\n')).toBe(true);
      expect(stdout.length).toBeLessThan(17 * 1024 + 100);
      const trace = readFileSync(join(dir, '.tempoflow', 'traces', `${runDir}.log`), 'utf8');
      expect(trace).toContain('THE-END');
    },
  },
  {
    name: 'invalid UTF-8 in stage output becomes U+FFFD, and the run goes on',
    files: { 'w.yml': wf(`    main:\n      stages:\n        - id: bytes\n          bash: printf 'ok \\xff\\xfe\\xc3 end\\n'\n        - id: after\n          run: |\n            print("after")\n`) },
    check(result) {
      expect(result.status).toBe('SUCCESS');
      expect(result.context.jobs.main!.stages['bytes']!.outputs['stdout']).toBe('ok \uFFFD\uFFFD\uFFFD end\n');
    },
  },
  {
    name: 'a param of 200 KB (over the per-variable limit of the OS) fails the stage clearly instead of retrying forever',
    params: { blob: 'p'.repeat(200 * 1024) },
    files: { 'w.yml': wf(`    main:\n      stages:\n        - id: env\n          bash: echo "\${#TF_PARAM_BLOB}"\n`, '  params: { blob: str }\n') },
    check(result) {
      expect(result.status).toBe('FAILED');
      expect(failure(result).message).toMatch(/TF_PARAM_BLOB is \d+ bytes.*131072.*files/);
    },
  },
  {
    name: 'a param of 100 KB works, as TF_PARAM and in Python',
    params: { blob: 'p'.repeat(100 * 1024) },
    files: {
      'w.yml': wf(
        `    main:\n      stages:\n        - id: env\n          bash: echo "\${#TF_PARAM_BLOB}"\n        - id: py\n          run: |\n            n = len(params["blob"])\n`,
        '  params: { blob: str }\n',
      ),
    },
    check(result) {
      expect(result.status).toBe('SUCCESS');
      expect(result.context.jobs.main!.stages['env']!.outputs['stdout']).toBe(`${100 * 1024}\n`);
      expect(result.context.jobs.main!.stages['py']!.outputs['n']).toBe(100 * 1024);
    },
  },
  {
    name: 'deeply nested stages (12 levels of parallel/foreach) run to the end',
    files: {
      'w.yml': wf(
        `    main:\n      stages:\n        - id: deep\n          ${Array.from({ length: 6 }, () => 'parallel: { b: [ { foreach: [1], stages: [ { ').join('')}id: leaf, bash: echo leaf ${'} ] } ] }'.repeat(6)}\n`,
      ),
    },
    check(result) {
      expect(result.status).toBe('SUCCESS');
      expect(allStages(result).filter(([path]) => path.endsWith('.leaf'))).toHaveLength(1);
    },
  },
  {
    name: 'an expression building a 20 MB string is stopped by the rendered-text cap, positioned',
    params: { list: JSON.stringify(Array.from({ length: 1000 }, () => 'x')), sep: 'y'.repeat(20_000) },
    files: { 'w.yml': wf(`    main:\n      stages:\n        - id: grow\n          bash: "echo \${{ join(fromJson(params.list), params.sep) }}"\n`, '  params: { list: str, sep: str }\n') },
    check(result) {
      expect(result.status).toBe('FAILED');
      const error = failure(result);
      expect(error.message).toMatch(/longer than \d+ characters|cap|limit/);
      expect(error.location).toMatch(/w\.yml:\d+:\d+/);
    },
  },
];

describe('hostile input (real server)', () => {
  it.each(cases)('$name', async (c) => {
    const conf = writeConf(c.files);
    const flow = await Workflow.fromConf('hostile', { path: conf });
    const started = Date.now();
    if (c.refused) {
      await expect(flow.execute(c.params ?? {}, { runtime, timeout: 60 })).rejects.toThrow(c.refused);
      return;
    }
    const result = await flow.execute(c.params ?? {}, { runtime, timeout: 60 });
    expect(Date.now() - started).toBeLessThan(60_000);
    expectFinished(result);
    await c.check?.(result, { runDir: result.runId, conf });
  });

  it('a stage that forks a background process and exits: the process group is killed when the stage ends', async () => {
    const marker = uniqueSleep(300);
    const conf = writeConf({
      'w.yml': wf(
        `    main:\n      stages:\n        - id: fork\n          bash: |\n            sleep ${marker} &\n            ( sleep ${marker} & )\n            nohup sleep ${marker} >/dev/null 2>&1 &\n            echo forked\n`,
      ),
    });
    const result = await (await Workflow.fromConf('hostile', { path: conf })).execute({}, { runtime, timeout: 60 });
    expect(result.status).toBe('SUCCESS');
    expect(result.context.jobs.main!.stages['fork']!.outputs['stdout']).toBe('forked\n');
    expect(await eventually(() => processesMatching(`sleep ${marker}`).length === 0, 5000)).toBe(true);
  });

  it('a run stage printing 1 GB completes with a cut tail, the trace notes the cut, and the worker RSS stays bounded', async () => {
    const taskQueue = uniqueTaskQueue('hostile-gb');
    const wdir = tempDir('tf-hostile-gb-');
    const proc = startWorkerProcess(taskQueue, wdir);
    const client = await testRuntime(taskQueue);
    try {
      await proc.ready;
      const conf = writeConf({
        'w.yml': wf(
          `    main:\n      stages:\n        - id: flood\n          run: |\n            import sys\n            chunk = b"g" * (1 << 22)\n            for _ in range(256):\n                sys.stdout.buffer.write(chunk)\n            sys.stdout.buffer.write(b"\\nFLOOD-END\\n")\n            total = 256 * len(chunk)\n`,
        ),
      });
      const result = await (await Workflow.fromConf('hostile', { path: conf })).execute({}, { runtime: client, timeout: 120 });
      expectFinished(result);
      expect(result.status).toBe('SUCCESS');
      expect(result.context.jobs.main!.stages['flood']!.outputs).toEqual({ total: 1 << 30 });
      const peakKb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.child.pid}/status`, 'utf8'))![1]);
      expect(peakKb, `worker peak RSS ${peakKb} kB`).toBeLessThan(700 * 1024);
      const traces = join(wdir, '.tempoflow', 'traces');
      const trace = readFileSync(join(traces, readdirSync(traces)[0]!), 'utf8');
      expect(trace).toMatch(/warning: trace cut: \d+ more bytes of output were not written \(limit 67108864 bytes per stage attempt\)/);
      expect(existsSync(traces)).toBe(true);
    } finally {
      await client.close();
      await proc.kill('SIGTERM');
    }
  }, 180_000);
});
