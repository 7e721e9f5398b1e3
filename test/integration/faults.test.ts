/**
 * Fault tests against real processes: SIGKILL the worker during a `run`
 * stage and during a matrix combination, kill one of two workers, and
 * SIGKILL the dev server itself (SQLite) and restart it on the same file.
 * Side effects are counted in files the stages append to: completed stages
 * never run again, and only the interrupted one reruns (Temporal's
 * infrastructure retry, so its TF_ATTEMPT stays 1).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import type { WorkflowHandle } from '@temporalio/client';
import { startDevServer } from '../helpers/dev-server.js';
import { TempoflowRuntime } from '../../src/client/runtime.js';
import { awaitResult } from '../../src/client/result.js';
import { Workflow } from '../../src/client/workflow.js';
import { statusQuery } from '../../src/workflows/definitions.js';
import { eventually, processesMatching, uniqueSleep } from '../helpers/processes.js';
import { tempDir, testRuntime, uniqueTaskQueue, writeConf } from '../helpers/temporal.js';
import { startWorkerProcess } from '../helpers/worker-process.js';

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);

describe('worker killed', () => {
  it('during a run (Python) stage: the run finishes, the completed stage ran once, no interpreter is left', async () => {
    const dir = tempDir('tf-fault-');
    const ledger = join(dir, 'ledger.txt');
    const marker = join(dir, '.tempoflow', 'workspaces');
    const conf = writeConf({
      'py.yml': `
py-crash:
  type: Workflow
  jobs:
    main:
      stages:
        - name: Once
          bash: echo "once $TF_ATTEMPT" >> "${ledger}"
        - name: Slow python
          id: slow
          run: |
            import time, os
            with open("${ledger}", "a") as f:
                f.write(f"python start {context['attempt']}\\n")
            time.sleep(5)
            with open("${ledger}", "a") as f:
                f.write("python done\\n")
            finished = True
`,
    });
    const taskQueue = uniqueTaskQueue('pycrash');
    const runtime = await testRuntime(taskQueue);
    const first = startWorkerProcess(taskQueue, dir);
    let second: ReturnType<typeof startWorkerProcess> | undefined;
    try {
      await first.ready;
      const pending = (await Workflow.fromConf('py-crash', { path: conf })).execute({}, { runtime, heartbeatTimeoutMs: 2000 });
      expect(await eventually(() => lines(ledger).includes('python start 1'), 30_000)).toBe(true);
      expect(processesMatching(marker).length).toBeGreaterThan(0);
      await first.kill('SIGKILL');
      expect(await eventually(() => processesMatching(marker).length === 0, 5000)).toBe(true);
      second = startWorkerProcess(taskQueue, dir);
      await second.ready;
      const result = await pending;
      expect(result.status).toBe('SUCCESS');
      expect(result.context.jobs['main']!.stages['slow']).toMatchObject({ status: 'SUCCESS', attempt: 1, outputs: { finished: true } });
      expect(lines(ledger)).toEqual(['once 1', 'python start 1', 'python start 1', 'python done']);
      expect(processesMatching(marker)).toEqual([]);
    } finally {
      await first.kill();
      await second?.kill('SIGTERM');
      await runtime.close();
    }
  });

  it.each([
    ['inline in the run', undefined],
    ['a child workflow', 0],
  ])('during a matrix combination (%s): every combination finishes, completed stages ran once', async (_mode, inlineMatrixStageRuns) => {
    const dir = tempDir('tf-fault-');
    const ledger = join(dir, 'ledger.txt');
    const duration = uniqueSleep(4);
    const conf = writeConf({
      'mx.yml': `
mx-crash:
  type: Workflow
  jobs:
    fan:
      strategy:
        matrix:
          n: [1, 2]
      stages:
        - name: First
          bash: echo "first $TF_MATRIX_N" >> "${ledger}"
        - name: Long
          bash: |
            echo "long start $TF_MATRIX_N" >> "${ledger}"
            sleep ${duration}
            echo "long done $TF_MATRIX_N" >> "${ledger}"
`,
    });
    const taskQueue = uniqueTaskQueue('mxcrash');
    const runtime = await testRuntime(taskQueue);
    const first = startWorkerProcess(taskQueue, dir);
    let second: ReturnType<typeof startWorkerProcess> | undefined;
    try {
      await first.ready;
      const pending = (await Workflow.fromConf('mx-crash', { path: conf })).execute(
        {},
        { runtime, heartbeatTimeoutMs: 2000, ...(inlineMatrixStageRuns === undefined ? {} : { limits: { inlineMatrixStageRuns } }) },
      );
      expect(await eventually(() => lines(ledger).filter((l) => l.startsWith('long start')).length === 2, 30_000)).toBe(true);
      await first.kill('SIGKILL');
      expect(await eventually(() => processesMatching(`sleep ${duration}`).length === 0, 5000)).toBe(true);
      second = startWorkerProcess(taskQueue, dir);
      await second.ready;
      const result = await pending;
      expect(result.status).toBe('SUCCESS');
      expect(result.context.jobs['fan']!.strategies!.map((s) => s.status)).toEqual(['SUCCESS', 'SUCCESS']);
      const l = lines(ledger);
      expect(l.filter((x) => x.startsWith('first')).sort()).toEqual(['first 1', 'first 2']);
      expect(l.filter((x) => x.startsWith('long start')).sort()).toEqual(['long start 1', 'long start 1', 'long start 2', 'long start 2']);
      expect(l.filter((x) => x.startsWith('long done')).sort()).toEqual(['long done 1', 'long done 2']);
    } finally {
      await first.kill();
      await second?.kill('SIGTERM');
      await runtime.close();
    }
  });

  it('one of two workers on a queue: the other finishes every run', async () => {
    const dir = tempDir('tf-fault-');
    const ledger = join(dir, 'ledger.txt');
    const duration = uniqueSleep(3);
    const conf = writeConf({
      'two.yml': `
two-workers:
  type: Workflow
  params:
    n: int
  jobs:
    main:
      stages:
        - name: Mark
          bash: echo "mark $TF_PARAM_N" >> "${ledger}"
        - name: Long
          bash: sleep ${duration}
`,
    });
    const taskQueue = uniqueTaskQueue('two');
    const runtime = await testRuntime(taskQueue);
    const a = startWorkerProcess(taskQueue, dir, { TEMPOFLOW_TEST_WORKER: 'a' });
    const b = startWorkerProcess(taskQueue, dir, { TEMPOFLOW_TEST_WORKER: 'b' });
    try {
      await Promise.all([a.ready, b.ready]);
      const wf = await Workflow.fromConf('two-workers', { path: conf });
      const handles: WorkflowHandle[] = [];
      const runs = [1, 2, 3, 4].map((n) => wf.execute({ n }, { runtime, heartbeatTimeoutMs: 2000, onStart: (i) => handles.push(i.handle) }));
      // Kill once every `mark` stage is recorded as done (activities are at-least-once until then).
      const marked = await eventually(async () => {
        if (handles.length < 4) return false;
        const ctxs = await Promise.all(handles.map((h) => h.query(statusQuery).catch(() => undefined)));
        return ctxs.every((c) => c?.jobs['main']?.stages['mark']?.status === 'SUCCESS');
      }, 30_000);
      expect(marked).toBe(true);
      await a.kill('SIGKILL');
      const results = await Promise.all(runs);
      expect(results.map((r) => r.status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS']);
      expect(lines(ledger).sort()).toEqual(['mark 1', 'mark 2', 'mark 3', 'mark 4']);
    } finally {
      await a.kill();
      await b.kill('SIGTERM');
      await runtime.close();
    }
  });
});

describe('server killed', () => {
  it('SIGKILL the dev server (SQLite) mid-run and restart it on the same file: the run finishes', async () => {
    const cliPath = inject('temporalCliPath');
    const dir = tempDir('tf-server-');
    const dbFile = join(dir, 'temporal.db');
    let server = await startDevServer({ cliPath, dbFile });
    const { address, port } = server;
    const ledger = join(dir, 'ledger.txt');
    const conf = writeConf({
      'srv.yml': `
server-crash:
  type: Workflow
  jobs:
    first:
      stages:
        - name: Once
          bash: echo once >> "${ledger}"
    second:
      needs: [first]
      stages:
        - name: Long
          bash: |
            echo "long start" >> "${ledger}"
            sleep 4
            echo "long done" >> "${ledger}"
    third:
      needs: [second]
      stages:
        - name: After
          bash: echo after >> "${ledger}"
`,
    });
    const taskQueue = uniqueTaskQueue('srv');
    let worker: ReturnType<typeof startWorkerProcess> | undefined;
    let runtime: TempoflowRuntime | undefined;
    try {
      worker = startWorkerProcess(taskQueue, dir, { TEMPORAL_ADDRESS: address });
      await worker.ready;
      runtime = await TempoflowRuntime.connect({ server: { address }, taskQueue, inProcessWorker: false });
      let handle: WorkflowHandle | undefined;
      void (await Workflow.fromConf('server-crash', { path: conf })).execute({}, { runtime, heartbeatTimeoutMs: 5000, onStart: (i) => (handle = i.handle) }).catch(() => undefined); // this client's long poll dies with the server
      expect(await eventually(() => lines(ledger).includes('long start'), 30_000)).toBe(true);
      server.stop();
      await new Promise((r) => setTimeout(r, 1000));
      server = await startDevServer({ cliPath, dbFile, port });
      const again = await TempoflowRuntime.connect({ server: { address }, taskQueue, inProcessWorker: false });
      try {
        const result = await awaitResult(again.client.workflow.getHandle(handle!.workflowId), handle!.workflowId);
        expect(result.status).toBe('SUCCESS');
        expect(Object.values(result.context.jobs).map((j) => j.status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
        const l = lines(ledger);
        expect(l.filter((x) => x === 'once')).toHaveLength(1);
        expect(l.filter((x) => x === 'after')).toHaveLength(1);
        expect(l.filter((x) => x === 'long done').length).toBeGreaterThanOrEqual(1);
      } finally {
        await again.close();
      }
    } finally {
      await worker?.kill('SIGKILL');
      await runtime?.close().catch(() => undefined);
      server.stop();
    }
  });
});
