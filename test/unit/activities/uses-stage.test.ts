import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { z } from 'zod';
import { afterEach, describe, expect, it } from 'vitest';
import { defineTask, TaskRegistry, type TaskContext } from '../../../src/activities/registry.js';
import { harness, runActivity, usesInput, type Harness } from './helpers.js';

const fixtures = join(import.meta.dirname, '../../fixtures/tasks');
let h: Harness;
afterEach(() => h?.cleanup());

async function setup(...tasks: ReturnType<typeof defineTask>[]): Promise<Harness> {
  const registry = await TaskRegistry.load([join(fixtures, 'demo.ts')]);
  for (const t of tasks) registry.register(t);
  h = harness({ tasks: registry });
  return h;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('usesStage: calls', () => {
  it('runs a task from a loaded module with its validated arguments', async () => {
    await setup();
    const result = await runActivity(new MockActivityEnvironment(), h.activities.usesStage, usesInput('tasks/add@v1', { with: { a: 2, b: 3 } }));
    expect(result).toEqual({ ok: true, outputs: { sum: 5 } });
    const v2 = await runActivity(new MockActivityEnvironment(), h.activities.usesStage, usesInput('tasks/add@v2', { with: { values: [1, 2, 3] } }));
    expect(v2).toEqual({ ok: true, outputs: { sum: 6 } });
  });

  it('applies schema defaults and transforms', async () => {
    await setup();
    const result = await runActivity(new MockActivityEnvironment(), h.activities.usesStage, usesInput('tasks/greet@v1'));
    expect(result.outputs).toEqual({ message: 'hello world' });
  });

  it('gives the task its stage context, environment and trace log', async () => {
    await setup();
    const result = await runActivity(new MockActivityEnvironment(), h.activities.usesStage, usesInput('tasks/whoami@v1', { attempt: 2, params: { day: 'mon' }, matrix: { shard: 1 } }));
    const workspace = join(h.config.workdir, 'run-1', 'job-a');
    expect(result).toEqual({
      ok: true,
      outputs: { attempt: 2, runId: 'run-1', job: 'job-a', stage: 'stage-x', params: { day: 'mon' }, matrix: { shard: 1 }, workspace, tfStage: 'stage-x' },
    });
    expect(existsSync(workspace)).toBe(true);
    expect(h.trace()).toContain('[wf] [job-a] [stage-x] whoami ran');
  });

  it('passes the same environment as bash: TF_*, params, stage env, no private worker variables', async () => {
    let seen: Readonly<Record<string, string>> = {};
    await setup(defineTask({ name: 'env', tag: 'v1', with: z.object({}), run: (_a, ctx) => void (seen = ctx.env) }));
    await runActivity(new MockActivityEnvironment(), h.activities.usesStage, usesInput('tasks/env@v1', { env: { A: 'b' }, params: { 'my-param': 7 } }));
    expect(seen).toMatchObject({ A: 'b', TF_PARAM_MY_PARAM: '7', TF_ATTEMPT: '1', TF_JOB: 'job-a', TF_WORKSPACE: join(h.config.workdir, 'run-1', 'job-a') });
    expect(seen).not.toHaveProperty('TEMPOFLOW_SECRET_TOKEN');
  });

  it('turns a void return into {}', async () => {
    await setup();
    expect(await runActivity(new MockActivityEnvironment(), h.activities.usesStage, usesInput('tasks/noop@1.0.0', { with: { anything: 1 } }))).toEqual({ ok: true, outputs: {} });
  });
});

describe('usesStage: refusals that are never retried', () => {
  it('fails an unknown task at once, with a did-you-mean', async () => {
    await setup();
    const result = await runActivity(new MockActivityEnvironment(), h.activities.usesStage, usesInput('tasks/ad@v1'));
    expect(result).toMatchObject({ ok: false, nonRetryable: true, outputs: {}, error: { name: 'TaskNotFoundError', job: 'job-a', stage: 'stage-x', location: 'conf/workflows/wf.yml:20:9' } });
    expect(result.error?.message).toContain("did you mean 'tasks/add@v1'?");
  });

  it('fails a malformed uses at once', async () => {
    await setup();
    const result = await runActivity(new MockActivityEnvironment(), h.activities.usesStage, usesInput('add'));
    expect(result).toMatchObject({ ok: false, nonRetryable: true, error: { name: 'TaskNotFoundError' } });
    expect(result.error?.message).toMatch(/write tasks\/<name>@<tag>/);
  });

  it('fails a with that the schema refuses, naming every field', async () => {
    let ran = false;
    await setup(defineTask({ name: 'strict', tag: 'v1', with: z.strictObject({ count: z.number().int(), name: z.string() }), run: () => void (ran = true) }));
    const result = await runActivity(new MockActivityEnvironment(), h.activities.usesStage, usesInput('tasks/strict@v1', { with: { count: 'three', extra: true } }));
    expect(ran).toBe(false);
    expect(result).toMatchObject({ ok: false, nonRetryable: true, outputs: {}, error: { name: 'TaskInputError' } });
    const message = result.error!.message;
    expect(message).toMatch(/^invalid 'with' for tasks\/strict@v1:\n/);
    expect(message).toMatch(/→ at count/);
    expect(message).toMatch(/→ at name/);
    expect(message).toMatch(/extra/);
  });
});

describe('usesStage: failures of the task', () => {
  it('returns a thrown error as a retryable failure', async () => {
    await setup(
      defineTask({
        name: 'boom',
        tag: 'v1',
        with: z.object({}),
        run: () => {
          throw new RangeError('out of range');
        },
      }),
    );
    const result = await runActivity(new MockActivityEnvironment(), h.activities.usesStage, usesInput('tasks/boom@v1'));
    expect(result).toEqual({ ok: false, outputs: {}, error: { name: 'RangeError', message: 'out of range', job: 'job-a', stage: 'stage-x', location: 'conf/workflows/wf.yml:20:9' } });
    expect(h.trace()).toMatch(/failed: RangeError: RangeError: out of range\n\s+at /);
  });

  it('honours a non-retryable ApplicationFailure, named by its type', async () => {
    await setup(
      defineTask({
        name: 'fatal',
        tag: 'v1',
        with: z.object({}),
        run: async () => {
          throw ApplicationFailure.nonRetryable('bad credentials', 'AuthError');
        },
      }),
    );
    const result = await runActivity(new MockActivityEnvironment(), h.activities.usesStage, usesInput('tasks/fatal@v1'));
    expect(result).toMatchObject({ ok: false, nonRetryable: true, error: { name: 'AuthError', message: 'bad credentials' } });
  });

  it.each([
    ['a Map', () => ({ m: new Map([[1, 2]]) }), /outputs\.m is a Map \(use a plain object or an array\), which is not JSON-serialisable/],
    ['a function', () => ({ nested: { f: () => 1 } }), /outputs\.nested\.f is a function/],
    ['a bigint', () => ({ list: [1, 2n] }), /outputs\.list\[1\] is a bigint/],
    [
      'a cycle',
      () => {
        const o: Record<string, unknown> = {};
        o.self = o;
        return { o };
      },
      /outputs\.o\.self refers back to one of its parents/,
    ],
    ['NaN', () => ({ n: Number.NaN }), /outputs\.n is NaN/],
    ['an array', () => [1, 2] as never, /returned an array; a task returns an object of outputs/],
    ['a string', () => 'done' as never, /returned a string; a task returns an object of outputs/],
  ])('fails clearly on a return value with %s', async (_what, run, message) => {
    await setup(defineTask({ name: 'bad-out', tag: 'v1', with: z.object({}), run }));
    const result = await runActivity(new MockActivityEnvironment(), h.activities.usesStage, usesInput('tasks/bad-out@v1'));
    expect(result).toMatchObject({ ok: false, outputs: {}, error: { name: 'TaskOutputError' } });
    expect(result.error?.message).toMatch(message);
  });

  it('converts dates through toJSON and omits undefined properties, as JSON does', async () => {
    await setup(defineTask({ name: 'dates', tag: 'v1', with: z.object({}), run: () => ({ at: new Date(Date.UTC(2024, 0, 2)), gone: undefined, list: [undefined] }) }));
    const result = await runActivity(new MockActivityEnvironment(), h.activities.usesStage, usesInput('tasks/dates@v1'));
    expect(result).toEqual({ ok: true, outputs: { at: '2024-01-02T00:00:00.000Z', list: [null] } });
  });

  it('caps outputs at 64 KB', async () => {
    await setup(defineTask({ name: 'big', tag: 'v1', with: z.object({}), run: () => ({ big: 'x'.repeat(70_000), small: 'ok' }) }));
    const result = await runActivity(new MockActivityEnvironment(), h.activities.usesStage, usesInput('tasks/big@v1'));
    expect(result).toEqual({ ok: true, outputs: { big: { __truncated: true, bytes: 70_002 }, small: 'ok' } });
    expect(h.trace()).toMatch(/warning: outputs were 70\d\d\d bytes of JSON, over the 65536-byte cap; replaced by .*: big/);
  });
});

describe('usesStage: long tasks', () => {
  it('heartbeats on its own while the task runs, with the task details when it gives some', async () => {
    await setup(
      defineTask({
        name: 'slow',
        tag: 'v1',
        with: z.object({}),
        run: async (_a, ctx) => {
          await sleep(350);
          ctx.heartbeat({ done: 50 });
          await sleep(250);
          return { finished: true };
        },
      }),
    );
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const result = await runActivity(env, h.activities.usesStage, usesInput('tasks/slow@v1'));
    expect(result.ok).toBe(true);
    // Automatic beats (every 100 ms here) carry the stage and its output window; once the task gives its own details, they ride along as `progress`.
    const progress = (b: unknown) => (b as { progress?: unknown }).progress;
    expect(beats[0]).toMatchObject({ job: 'job-a', stage: 'stage-x', attempt: 1, output: { seq: 0, lines: [] } });
    const own = beats.findIndex((b) => JSON.stringify(progress(b)) === '{"done":50}');
    expect(own).toBeGreaterThanOrEqual(2);
    expect(beats.slice(0, own).every((b) => progress(b) === undefined)).toBe(true);
    expect(beats.length - own).toBeGreaterThanOrEqual(2);
    expect(beats.slice(own).every((b) => JSON.stringify(progress(b)) === '{"done":50}' && (b as { stage?: string }).stage === 'stage-x')).toBe(true);
  });

  it('aborts ctx.signal on cancellation and throws CancelledFailure', async () => {
    let signal: AbortSignal | undefined;
    await setup(
      defineTask({
        name: 'wait',
        tag: 'v1',
        with: z.object({}),
        run: (_a, ctx: TaskContext) =>
          new Promise((_resolve, reject) => {
            signal = ctx.signal;
            ctx.signal.addEventListener('abort', () => reject(new Error('stopped')));
          }),
      }),
    );
    const env = new MockActivityEnvironment();
    const pending = runActivity(env, h.activities.usesStage, usesInput('tasks/wait@v1'));
    await sleep(100);
    expect(signal?.aborted).toBe(false);
    const started = Date.now();
    env.cancel();
    await expect(pending).rejects.toBeInstanceOf(CancelledFailure);
    expect(signal?.aborted).toBe(true);
    expect(Date.now() - started).toBeLessThan(400); // it stopped: no wait for the grace period
  });

  it('abandons a task that ignores its signal after the grace period', async () => {
    await setup(defineTask({ name: 'deaf', tag: 'v1', with: z.object({}), run: () => sleep(5_000).then(() => ({})) }));
    const env = new MockActivityEnvironment();
    const pending = runActivity(env, h.activities.usesStage, usesInput('tasks/deaf@v1'));
    await sleep(50);
    const started = Date.now();
    env.cancel();
    await expect(pending).rejects.toBeInstanceOf(CancelledFailure);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450); // killGraceMs = 500
    expect(h.trace()).toMatch(/warning: the task did not stop within 500 ms of its signal aborting; abandoned/);
  });

  it('fails a task that outlives its timeout with a retryable TimeoutError', async () => {
    let reason: unknown;
    await setup(
      defineTask({
        name: 'late',
        tag: 'v1',
        with: z.object({}),
        run: (_a, ctx) =>
          new Promise((_resolve, reject) => {
            ctx.signal.addEventListener('abort', () => {
              reason = ctx.signal.reason;
              reject(ctx.signal.reason);
            });
          }),
      }),
    );
    const result = await runActivity(new MockActivityEnvironment(), h.activities.usesStage, usesInput('tasks/late@v1', { timeoutSeconds: 0.2 }));
    expect(result).toMatchObject({ ok: false, outputs: {}, error: { name: 'TimeoutError', message: 'stage timed out after 0.2 s (attempt 1); ctx.signal aborted' } });
    expect(result.nonRetryable).toBeUndefined();
    expect((reason as Error).name).toBe('TimeoutError');
  });
});
