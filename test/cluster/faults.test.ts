/**
 * The faults that matter on a cluster, each ending as the dev-server fault tests
 * (test/integration/faults.test.ts) do: the run ends SUCCESS, every stage that had
 * completed before the fault ran exactly once, and only an interrupted stage runs
 * again (Temporal's infrastructure retry: its TF_ATTEMPT stays 1).
 *
 * - SIGKILL of one of the two workers mid-stage: the other finishes every run.
 * - SIGKILL of the history service mid-run, then a restart.
 * - A restart of PostgreSQL between two stages (while the run sleeps on a durable timer).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowHandle } from '@temporalio/client';
import { Workflow } from '../../src/client/workflow.js';
import { statusQuery } from '../../src/workflows/definitions.js';
import { eventually, uniqueSleep } from '../helpers/processes.js';
import { writeConf } from '../helpers/temporal.js';
import { cluster, lines, startPool, type WorkerPool } from './pool.js';

let pool: WorkerPool;
beforeAll(async () => {
  pool = await startPool('cluster-faults');
});
afterAll(async () => {
  await pool?.stop();
});

const count = (all: string[], line: string) => all.filter((l) => l === line).length;

describe('worker killed', () => {
  it('SIGKILL one of two workers mid-stage: the other finishes all 4 runs, no completed stage repeats', async () => {
    const ledger = join(pool.shared, 'worker-kill.txt');
    const duration = uniqueSleep(5);
    const wf = await Workflow.fromConf('worker-kill', {
      path: writeConf({
        'w.yml': `
worker-kill:
  type: Workflow
  params:
    n: int
  jobs:
    main:
      stages:
        - name: Mark
          bash: echo "mark $TF_PARAM_N" >> "${ledger}"
        - name: Long
          bash: |
            echo "long start $TF_PARAM_N $TEMPOFLOW_TEST_WORKER $TF_ATTEMPT" >> "${ledger}"
            sleep ${duration}
            echo "long done $TF_PARAM_N" >> "${ledger}"
        - name: After
          bash: echo "after $TF_PARAM_N" >> "${ledger}"
`,
      }),
    });
    const handles: WorkflowHandle[] = [];
    const runs = [1, 2, 3, 4].map((n) => wf.execute({ n }, { runtime: pool.runtime, heartbeatTimeoutMs: 2000, onStart: (i) => handles.push(i.handle) }));
    // Kill worker a once every `mark` is recorded done and a long stage runs on it.
    const ready = await eventually(
      async () => {
        if (handles.length < 4) return false;
        const ctxs = await Promise.all(handles.map((h) => h.query(statusQuery).catch(() => undefined)));
        const marked = ctxs.every((c) => c?.jobs['main']?.stages['mark']?.status === 'SUCCESS');
        return marked && lines(ledger).some((l) => / a 1$/.test(l) && l.startsWith('long start'));
      },
      60_000,
      200,
    );
    expect(ready).toBe(true);
    await pool.workers.get('a')!.kill('SIGKILL');
    // Read once a is dead: the long stages it had started (nothing more can start there).
    const onA = lines(ledger)
      .filter((l) => l.startsWith('long start') && l.endsWith(' a 1'))
      .map((l) => l.split(' ')[2]!);
    const results = await Promise.all(runs);
    expect(results.map((r) => r.status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS']);
    const l = lines(ledger);
    for (const n of ['1', '2', '3', '4']) {
      expect(count(l, `mark ${n}`), `mark ${n}`).toBe(1);
      expect(count(l, `after ${n}`), `after ${n}`).toBe(1);
      const starts = l.filter((x) => x.startsWith(`long start ${n} `));
      // Interrupted on a: run again on b, still attempt 1; otherwise ran once.
      expect(starts, `long ${n}`).toEqual(onA.includes(n) ? [`long start ${n} a 1`, `long start ${n} b 1`] : [expect.stringMatching(new RegExp(`^long start ${n} [ab] 1$`))]);
    }
    for (const r of results) expect(r.context.jobs['main']!.stages['long']!.attempt).toBe(1);
    await pool.start('a');
  });
});

describe('server faults', () => {
  it('SIGKILL the history service mid-stage and restart it: the run finishes, completed stages ran once', async () => {
    const ledger = join(pool.shared, 'history-kill.txt');
    const wf = await Workflow.fromConf('history-kill', {
      path: writeConf({
        'h.yml': `
history-kill:
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
            echo "long start $TF_ATTEMPT" >> "${ledger}"
            sleep 6
            echo "long done" >> "${ledger}"
    third:
      needs: [second]
      stages:
        - name: After
          bash: echo after >> "${ledger}"
`,
      }),
    });
    const pending = wf.execute({}, { runtime: pool.runtime, heartbeatTimeoutMs: 5000 });
    expect(await eventually(() => lines(ledger).includes('long start 1'), 60_000, 200)).toBe(true);
    const before = cluster('pid', 'history').trim();
    cluster('kill', 'history');
    await new Promise((r) => setTimeout(r, 2000));
    cluster('start', 'history');
    expect(cluster('pid', 'history').trim()).not.toBe(before);

    // The client that started the run keeps waiting through the outage (its calls are retried).
    const result = await pending;
    expect(result.status).toBe('SUCCESS');
    expect(Object.values(result.context.jobs).map((j) => j.status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
    const l = lines(ledger);
    expect(count(l, 'once')).toBe(1);
    expect(count(l, 'after')).toBe(1);
    expect(count(l, 'long done')).toBeGreaterThanOrEqual(1);
    expect(l.filter((x) => x.startsWith('long start')).every((x) => x === 'long start 1')).toBe(true);
  });

  it('restart PostgreSQL between two stages: the durable timer fires and the run finishes, each stage ran once', async () => {
    const ledger = join(pool.shared, 'postgres-restart.txt');
    const wf = await Workflow.fromConf('postgres-restart', {
      path: writeConf({
        'p.yml': `
postgres-restart:
  type: Workflow
  jobs:
    main:
      stages:
        - name: Before
          bash: echo before >> "${ledger}"
        - name: Pause
          echo: waiting on a durable timer
          sleep: 10
        - name: After
          bash: echo after >> "${ledger}"
`,
      }),
    });
    const pending = wf.execute({}, { runtime: pool.runtime });
    expect(await eventually(() => lines(ledger).includes('before'), 60_000, 200)).toBe(true);
    const before = cluster('pid', 'postgres').trim();
    cluster('restart', 'postgres');
    expect(cluster('pid', 'postgres').trim()).not.toBe(before);

    const result = await pending;
    expect(result.status).toBe('SUCCESS');
    expect(Object.keys(result.context.jobs['main']!.stages)).toEqual(['before', 'pause', 'after']);
    expect(lines(ledger)).toEqual(['before', 'after']);
  });
});
