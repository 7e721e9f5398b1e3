/**
 * Concurrency groups against the real dev server (docs/semantics.md,
 * "Concurrency groups"). Every stage that holds a group appends a start and
 * an end stamp (ns) to a ledger file; the tests check the intervals, the
 * FIFO order (tickets), and that every ending — success, failure, cancel,
 * timeout, `temporal workflow terminate`, a SIGKILLed worker — frees the slot.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it, vi } from 'vitest';
import { statusCommand } from '../../src/cli/control.js';
import type { ExitCode } from '../../src/cli/common.js';
import { getRun, type RunHandle } from '../../src/client/run-handle.js';
import { TempoflowRuntime } from '../../src/client/runtime.js';
import { Workflow } from '../../src/client/workflow.js';
import { GROUP_WORKFLOW_TYPE, groupWorkflowId } from '../../src/engine/concurrency.js';
import { groupStatusQuery } from '../../src/workflows/definitions.js';
import { startDevServer } from '../helpers/dev-server.js';
import { eventually } from '../helpers/processes.js';
import { tempDir, temporalAddress, testRuntime, uniqueTaskQueue, withWorker, writeConf } from '../helpers/temporal.js';
import { startWorkerProcess } from '../helpers/worker-process.js';

/** One stamped interval of the ledger. */
interface Interval {
  readonly who: string;
  readonly start: bigint;
  readonly end?: bigint;
}

/** The intervals of a ledger, in start order. */
function intervals(ledger: string): Interval[] {
  if (!existsSync(ledger)) return [];
  const starts = new Map<string, bigint>();
  const ends = new Map<string, bigint>();
  for (const line of readFileSync(ledger, 'utf8').split('\n').filter(Boolean)) {
    const [kind, who, ns] = line.split(' ');
    (kind === 'start' ? starts : ends).set(who!, BigInt(ns!));
  }
  return [...starts].map(([who, start]) => ({ who, start, ...(ends.has(who) ? { end: ends.get(who)! } : {}) })).sort((a, b) => (a.start < b.start ? -1 : 1));
}

/** Most intervals open at once. */
function maxOverlap(list: readonly Interval[]): number {
  const events = list.flatMap((i) => [
    { at: i.start, d: 1 },
    { at: i.end ?? BigInt(Number.MAX_SAFE_INTEGER) * 1_000_000n, d: -1 },
  ]);
  events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.d - b.d));
  let open = 0;
  let max = 0;
  for (const e of events) max = Math.max(max, (open += e.d));
  return max;
}

/** A stage that stamps its start and end into the ledger (`who` = run id, or run id/job/matrix). */
function stamped(ledger: string, seconds: string, who = '$TF_RUN_ID'): string {
  return `bash: |
            trap 'echo "end ${who} $(date +%s%N)" >> "${ledger}"; exit 143' TERM
            echo "start ${who} $(date +%s%N)" >> "${ledger}"
            sleep ${seconds} & wait $!
            echo "end ${who} $(date +%s%N)" >> "${ledger}"`;
}

function groupConf(ledger: string, group: string, extra = ''): string {
  return writeConf({
    'g.yml': `
grouped:
  type: Workflow
  params:
    seconds: { type: str, default: "0.05" }
    tag: { type: str, default: x }
  concurrency:
    group: ${group}
${extra}
  jobs:
    main:
      stages:
        - name: Work
          ${stamped(ledger, '"$TF_PARAM_SECONDS"')}
`,
  });
}

const unique = () => `t${Math.random().toString(16).slice(2, 10)}`;

/** Waits until a run's slot is in `state` (and, for `waiting`, at `position` when given). */
async function slotState(run: RunHandle, state: string, position?: number): Promise<boolean> {
  return eventually(
    async () => {
      try {
        const c = (await run.status({ timeoutMs: 5000 })).concurrency;
        return c?.state === state && (position === undefined || c.position === position);
      } catch {
        return false;
      }
    },
    60_000,
    200,
  );
}

/** Runs a CLI command body and collects what it prints. */
async function printed(body: () => Promise<ExitCode>): Promise<string> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (chunks.push(String(chunk)), true));
  try {
    await body();
    return chunks.join('');
  } finally {
    spy.mockRestore();
  }
}

/** Every execution (continue-as-new chain) of a workflow id, with its history length. */
async function executionsOf(runtime: TempoflowRuntime, workflowId: string): Promise<{ runId: string; historyLength: number }[]> {
  const out: { runId: string; historyLength: number }[] = [];
  for await (const e of runtime.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) out.push({ runId: e.runId, historyLength: e.historyLength });
  return out;
}

const fast = { groupHolderCheckSeconds: 1 };

describe('concurrency groups: limits and order', () => {
  it('limit 1: 50 concurrent runs never overlap and start in FIFO (ticket) order', async () => {
    await withWorker(async ({ runtime, dir }) => {
      const ledger = join(dir, 'ledger.txt');
      const wf = await Workflow.fromConf('grouped', { path: groupConf(ledger, `one-${unique()}`, '    limit: 1') });
      const runs = await Promise.all(Array.from({ length: 50 }, () => wf.start({}, { runtime })));
      const results = await Promise.all(runs.map((r) => r.result()));
      expect(results.map((r) => r.status)).toEqual(results.map(() => 'SUCCESS'));
      const list = intervals(ledger);
      expect(list).toHaveLength(50);
      expect(list.every((i) => i.end !== undefined)).toBe(true);
      expect(maxOverlap(list)).toBe(1);
      for (let i = 1; i < list.length; i++) expect(list[i]!.start > list[i - 1]!.end!).toBe(true);
      const tickets = new Map(results.map((r) => [r.runId, r.context.concurrency!.ticket!]));
      const order = list.map((i) => tickets.get(i.who)!);
      expect(order).toEqual([...order].sort((a, b) => a - b));
      expect(new Set(order).size).toBe(50);
      for (const r of results) expect(r.context.concurrency).toMatchObject({ state: 'released', limit: 1, heldSince: expect.any(String), releasedAt: expect.any(String) });
    });
  });

  it('limit 3: at most 3 hold the group at once, and 3 do', async () => {
    await withWorker(async ({ runtime, dir }) => {
      const ledger = join(dir, 'ledger.txt');
      const wf = await Workflow.fromConf('grouped', { path: groupConf(ledger, `three-${unique()}`, '    limit: 3') });
      const runs = await Promise.all(Array.from({ length: 12 }, () => wf.start({ seconds: '1' }, { runtime })));
      const results = await Promise.all(runs.map((r) => r.result()));
      expect(results.map((r) => r.status)).toEqual(results.map(() => 'SUCCESS'));
      const list = intervals(ledger);
      expect(list).toHaveLength(12);
      expect(maxOverlap(list)).toBe(3);
    });
  });

  it('a full queue fails the run (ConcurrencyGroupFull, with the group and how to fix it) or skips it (on-full: skip)', async () => {
    await withWorker(async ({ runtime, dir }) => {
      const ledger = join(dir, 'ledger.txt');
      const group = `full-${unique()}`;
      const conf = writeConf({
        'q.yml': `
holder:
  type: Workflow
  params: { seconds: str }
  concurrency: { group: ${group}, queue: 1 }
  jobs:
    main:
      stages:
        - name: Work
          ${stamped(ledger, '"$TF_PARAM_SECONDS"')}
skipper:
  type: Workflow
  concurrency: { group: ${group}, queue: 1, on-full: skip }
  jobs:
    main:
      stages:
        - echo: never
`,
      });
      const holder = await Workflow.fromConf('holder', { path: conf });
      const first = await holder.start({ seconds: '3' }, { runtime });
      expect(await slotState(first, 'holding')).toBe(true);
      const second = await holder.start({ seconds: '0.1' }, { runtime });
      expect(await slotState(second, 'waiting', 1)).toBe(true);
      const refused = await (await holder.start({ seconds: '0.1' }, { runtime })).result();
      expect(refused.status).toBe('FAILED');
      expect(refused.errors[0]).toMatchObject({ name: 'ConcurrencyGroupFull', location: expect.stringMatching(/q\.yml:5:3$/) });
      expect(refused.errors[0]!.message).toBe(
        `concurrency group '${group}' is full: 1 waiting (queue: 1), held by ${first.runId}; raise \`concurrency.queue\`, or set \`on-full: skip\` to skip instead of failing`,
      );
      expect(refused.context.concurrency).toMatchObject({ state: 'refused' });
      expect(refused.context.jobs).toEqual({});
      const skipped = await (await Workflow.fromConf('skipper', { path: conf })).execute({}, { runtime });
      expect(skipped.status).toBe('SKIP');
      expect(skipped.context.jobs['main']).toMatchObject({ status: 'SKIP', reason: expect.stringContaining(`concurrency group '${group}' is full`) });
      expect((await first.result()).status).toBe('SUCCESS');
      expect((await second.result()).status).toBe('SUCCESS');
      expect(maxOverlap(intervals(ledger))).toBe(1);
    });
  });
});

describe('concurrency groups: waiting', () => {
  it('status, the CLI and the Web UI show the live position; cancelling a waiter or timing out leaves the queue; the holder cancelled frees it', async () => {
    await withWorker(async ({ runtime, dir }) => {
      const ledger = join(dir, 'ledger.txt');
      const group = `wait-${unique()}`;
      const wf = await Workflow.fromConf('grouped', { path: groupConf(ledger, group) });
      const holder = await wf.start({ seconds: '60' }, { runtime });
      expect(await slotState(holder, 'holding')).toBe(true);
      const waiters: RunHandle[] = [];
      for (const n of [1, 2, 3]) {
        waiters.push(await wf.start({ seconds: '0.1' }, { runtime }));
        expect(await slotState(waiters[n - 1]!, 'waiting', n)).toBe(true);
      }
      const [w1, w2, w3] = waiters as [RunHandle, RunHandle, RunHandle];
      const live = await w3.status();
      expect(live.status).toBe('WAIT');
      expect(live.concurrency).toMatchObject({ group, state: 'waiting', position: 3, limit: 1, waitingSince: expect.any(String), ticket: 4, workflowId: groupWorkflowId('default', group) });
      expect(live.jobs).toEqual({});
      // The CLI, and the Web UI's current details of the run and of the group.
      process.env.TEMPORAL_ADDRESS = temporalAddress();
      const text = await printed(() => statusCommand(w3.runId));
      expect(text).toContain(`run ${w3.runId}: WAIT (running)\n  waiting in concurrency group '${group}' (position 3, since `);
      const details = (await runtime.client.workflow.getHandle(w3.runId).query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails;
      expect(details).toContain(`**waiting** in concurrency group \`${group}\``);
      const groupDetails = (await runtime.client.workflow.getHandle(groupWorkflowId('default', group)).query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails;
      expect(groupDetails).toContain(`Holding (1):\n- ${holder.runId} since`);
      expect(groupDetails).toContain(`Waiting (3):\n1. ${w1.runId} since`);

      await w2.cancel('not needed');
      const cancelled = await w2.result();
      expect(cancelled.status).toBe('CANCEL');
      expect(cancelled.context.jobs['main']).toMatchObject({ status: 'CANCEL', reason: 'the run was cancelled before this job started' });
      expect(cancelled.context.concurrency).toMatchObject({ state: 'released', releasedAt: expect.any(String) });
      expect(cancelled.context.concurrency!.heldSince).toBeUndefined();
      expect(await slotState(w3, 'waiting', 2)).toBe(true);
      const view = await runtime.client.workflow.getHandle(groupWorkflowId('default', group)).query(groupStatusQuery, w2.runId);
      expect(view).toMatchObject({ waiting: 2, holders: [{ runId: holder.runId }] });
      expect(view.position).toBeUndefined();

      // The holder is cancelled: its stage is stopped, it releases, the first waiter runs.
      await holder.cancel('make room');
      expect((await holder.result()).status).toBe('CANCEL');
      const [r1, r3] = await Promise.all([w1.result(), w3.result()]);
      expect([r1.status, r3.status]).toEqual(['SUCCESS', 'SUCCESS']);
      const list = intervals(ledger);
      expect(list.map((i) => i.who)).toEqual([holder.runId, w1.runId, w3.runId]);
      expect(maxOverlap(list)).toBe(1);
    });
  });

  it('the run timeout counts the wait: a waiter times out (TIMEOUT) and leaves the queue', async () => {
    await withWorker(async ({ runtime, dir }) => {
      const ledger = join(dir, 'ledger.txt');
      const group = `timeout-${unique()}`;
      const wf = await Workflow.fromConf('grouped', { path: groupConf(ledger, group) });
      const holder = await wf.start({ seconds: '6' }, { runtime });
      expect(await slotState(holder, 'holding')).toBe(true);
      const late = await (await wf.start({}, { runtime, timeout: 2 })).result();
      expect(late.status).toBe('TIMEOUT');
      expect(late.context.jobs['main']).toMatchObject({ status: 'CANCEL', reason: 'the run timed out before this job started' });
      expect(late.context.concurrency).toMatchObject({ state: 'released' });
      const view = await runtime.client.workflow.getHandle(groupWorkflowId('default', group)).query(groupStatusQuery);
      expect(view.waiting).toBe(0);
      expect((await holder.result()).status).toBe('SUCCESS');
    });
  });
});

describe('concurrency groups: every ending releases', () => {
  it('FAILED and TIMEOUT holders release; the next run starts after them', async () => {
    await withWorker(async ({ runtime, dir }) => {
      const ledger = join(dir, 'ledger.txt');
      const group = `endings-${unique()}`;
      const conf = writeConf({
        'e.yml': `
ending:
  type: Workflow
  params: { mode: str }
  concurrency: ${group}
  jobs:
    main:
      stages:
        - name: Work
          ${stamped(ledger, '0.3')}
        - name: Maybe fail
          bash: |
            if [ "$TF_PARAM_MODE" = fail ]; then sleep 3; exit 3; fi
            if [ "$TF_PARAM_MODE" = slow ]; then sleep 30; fi
`,
      });
      const wf = await Workflow.fromConf('ending', { path: conf });
      const failing = await wf.start({ mode: 'fail' }, { runtime });
      expect(await slotState(failing, 'holding')).toBe(true);
      const slow = await wf.start({ mode: 'slow' }, { runtime, timeout: 4 });
      expect(await slotState(slow, 'waiting', 1)).toBe(true);
      const ok = await wf.start({ mode: 'ok' }, { runtime });
      expect(await slotState(ok, 'waiting', 2)).toBe(true);
      const [f, s, o] = await Promise.all([failing.result(), slow.result(), ok.result()]);
      expect([f.status, s.status, o.status]).toEqual(['FAILED', 'TIMEOUT', 'SUCCESS']);
      for (const r of [f, s, o]) expect(r.context.concurrency).toMatchObject({ state: 'released', heldSince: expect.any(String) });
      expect(intervals(ledger).map((i) => i.who)).toEqual([failing.runId, slow.runId, ok.runId]);
      expect(Date.parse(o.context.concurrency!.heldSince!)).toBeGreaterThanOrEqual(Date.parse(s.context.end!) - 1000);
    });
  });

  it('a holder terminated by hand (temporal workflow terminate) loses its slot after a holder check', async () => {
    await withWorker(async ({ runtime, dir }) => {
      const ledger = join(dir, 'ledger.txt');
      const wf = await Workflow.fromConf('grouped', { path: groupConf(ledger, `term-${unique()}`) });
      const holder = await wf.start({ seconds: '120' }, { runtime, limits: fast });
      expect(await slotState(holder, 'holding')).toBe(true);
      const waiter = await wf.start({ seconds: '0.1' }, { runtime, limits: fast });
      expect(await slotState(waiter, 'waiting', 1)).toBe(true);
      const terminatedAt = Date.now();
      execFileSync(inject('temporalCliPath'), ['workflow', 'terminate', '--workflow-id', holder.runId, '--reason', 'by hand', '--address', temporalAddress()], { stdio: 'ignore' });
      const result = await waiter.result();
      expect(result.status).toBe('SUCCESS');
      expect((await holder.describe()).executionStatus).toBe('TERMINATED');
      const started = Date.parse(result.context.concurrency!.heldSince!);
      expect(started).toBeGreaterThanOrEqual(terminatedAt - 1000);
    });
  });

  it('a holder whose worker is SIGKILLed finishes on another worker and releases; the waiter runs after it', async () => {
    const dir = tempDir('tf-conc-kill-');
    const ledger = join(dir, 'ledger.txt');
    const conf = groupConf(ledger, `kill-${unique()}`);
    const taskQueue = uniqueTaskQueue('conckill');
    const runtime = await testRuntime(taskQueue);
    const first = startWorkerProcess(taskQueue, dir);
    let second: ReturnType<typeof startWorkerProcess> | undefined;
    try {
      await first.ready;
      const wf = await Workflow.fromConf('grouped', { path: conf });
      const holder = await wf.start({ seconds: '4' }, { runtime, heartbeatTimeoutMs: 2000, limits: fast });
      expect(await eventually(() => intervals(ledger).length === 1, 30_000)).toBe(true);
      const waiter = await wf.start({ seconds: '0.1' }, { runtime, heartbeatTimeoutMs: 2000, limits: fast });
      expect(await slotState(waiter, 'waiting', 1)).toBe(true);
      await first.kill('SIGKILL');
      second = startWorkerProcess(taskQueue, dir);
      await second.ready;
      const [h, w] = await Promise.all([holder.result(), waiter.result()]);
      expect([h.status, w.status]).toEqual(['SUCCESS', 'SUCCESS']);
      // The holder's stage ran twice (the first attempt died with its worker); the waiter started after the second ended.
      const lines = readFileSync(ledger, 'utf8').trim().split('\n');
      const holderEnd = lines.filter((l) => l.startsWith(`end ${holder.runId} `)).map((l) => BigInt(l.split(' ')[2]!));
      const waiterStart = lines.filter((l) => l.startsWith(`start ${waiter.runId} `)).map((l) => BigInt(l.split(' ')[2]!));
      expect(holderEnd).toHaveLength(1);
      expect(waiterStart[0]! > holderEnd[0]!).toBe(true);
    } finally {
      await first.kill();
      await second?.kill('SIGTERM');
      await runtime.close();
    }
  });
});

describe('concurrency groups: cancel-in-progress', () => {
  it('a newcomer cancels the holder (CANCEL, its stage stopped) and the waiters, then starts', async () => {
    await withWorker(async ({ runtime, dir }) => {
      const ledger = join(dir, 'ledger.txt');
      const group = `cip-${unique()}`;
      const conf = writeConf({
        'c.yml': `
deploy:
  type: Workflow
  params: { seconds: str }
  concurrency: { group: ${group} }
  jobs:
    main:
      stages:
        - name: Work
          ${stamped(ledger, '"$TF_PARAM_SECONDS"')}
        - name: After
          echo: after
hotfix:
  type: Workflow
  concurrency: { group: ${group}, cancel-in-progress: true }
  jobs:
    main:
      stages:
        - name: Work
          ${stamped(ledger, '0.2')}
`,
      });
      const deploy = await Workflow.fromConf('deploy', { path: conf });
      const holder = await deploy.start({ seconds: '60' }, { runtime });
      expect(await eventually(() => intervals(ledger).length === 1, 30_000)).toBe(true);
      const waiter = await deploy.start({ seconds: '0.1' }, { runtime });
      expect(await slotState(waiter, 'waiting', 1)).toBe(true);
      const hotfix = await (await Workflow.fromConf('hotfix', { path: conf })).start({}, { runtime });
      const [h, w, n] = await Promise.all([holder.result(), waiter.result(), hotfix.result()]);
      expect([h.status, w.status, n.status]).toEqual(['CANCEL', 'CANCEL', 'SUCCESS']);
      expect(h.context.concurrency).toMatchObject({ state: 'superseded', supersededBy: hotfix.runId, releasedAt: expect.any(String) });
      expect(h.context.jobs['main']!.stages['work']).toMatchObject({ status: 'CANCEL', reason: 'the run was cancelled while this stage was running' });
      expect(w.context.concurrency).toMatchObject({ state: 'superseded', supersededBy: hotfix.runId });
      expect(w.context.jobs['main']).toMatchObject({ status: 'CANCEL' });
      const list = intervals(ledger);
      expect(list.map((i) => i.who)).toEqual([holder.runId, hotfix.runId]);
      expect(list[1]!.start > list[0]!.end!).toBe(true);
    });
  });
});

describe('concurrency groups: jobs, releases and reruns', () => {
  it('job-level groups keyed by matrix values: each combination holds a slot of its own group, never more than its limit', async () => {
    await withWorker(async ({ runtime, dir }) => {
      const ledger = join(dir, 'ledger.txt');
      const group = `mx-${unique()}`;
      const conf = writeConf({
        'm.yml': `
matrixed:
  type: Workflow
  jobs:
    build:
      strategy:
        max-parallel: 6
        matrix:
          env: [a, b]
          n: [1, 2, 3]
      concurrency: { group: "${group}-\${{ matrix.env }}", limit: 2 }
      stages:
        - name: Work
          ${stamped(ledger, '1.5', '$TF_RUN_ID/$TF_MATRIX_ENV/$TF_MATRIX_N')}
`,
      });
      const wf = await Workflow.fromConf('matrixed', { path: conf });
      const runs = await Promise.all([wf.start({}, { runtime }), wf.start({}, { runtime })]);
      const results = await Promise.all(runs.map((r) => r.result()));
      expect(results.map((r) => r.status)).toEqual(['SUCCESS', 'SUCCESS']);
      const list = intervals(ledger);
      expect(list).toHaveLength(12);
      const byEnv = (env: string) => list.filter((i) => i.who.split('/')[1] === env);
      // Six combinations per env group (two runs × three), limit 2 each: never more than two at once in a group.
      expect(maxOverlap(byEnv('a'))).toBeLessThanOrEqual(2);
      expect(maxOverlap(byEnv('b'))).toBeLessThanOrEqual(2);
      for (const r of results) {
        for (const s of r.context.jobs['build']!.strategies!) expect(s.status).toBe('SUCCESS');
      }
      // Each env's group granted its six combinations a slot (over every execution of the group).
      for (const env of ['a', 'b']) {
        const id = groupWorkflowId('default', `${group}-${env}`);
        const outcomes = await Promise.all((await executionsOf(runtime, id)).map((e) => runtime.client.workflow.getHandle(id, e.runId).result() as Promise<{ granted: number }>));
        expect(outcomes.reduce((sum, o) => sum + o.granted, 0)).toBe(6);
      }
    });
  });

  it('releases and reruns join the same group: they wait for the holder and run one at a time', async () => {
    await withWorker(async ({ runtime, dir }) => {
      const ledger = join(dir, 'ledger.txt');
      const flag = join(dir, 'flag');
      const group = `rel-${unique()}`;
      const name = `rel${unique()}`;
      const conf = writeConf({
        'r.yml': `
${name}:
  type: Workflow
  params:
    seconds: { type: str, default: "0.2" }
  on:
    - cron: "0 9 * * *"
      timezone: UTC
  concurrency: ${group}
  jobs:
    main:
      stages:
        - name: Work
          ${stamped(ledger, '"$TF_PARAM_SECONDS"')}
        - name: Gate
          bash: test -f "${flag}"
`,
      });
      const wf = await Workflow.fromConf(name, { path: conf });
      const failed = await wf.execute({}, { runtime });
      expect(failed.status).toBe('FAILED');
      writeFileSync(flag, 'ok');
      const holder = await wf.start({ seconds: '3' }, { runtime });
      expect(await slotState(holder, 'holding')).toBe(true);
      const [release, rerun] = await Promise.all([wf.release('2024-01-01T09:00:00Z', {}, { runtime }), wf.rerun(failed.runId, { runtime })]);
      const held = await holder.result();
      expect(held.status).toBe('SUCCESS');
      expect(release.status).toBe('SUCCESS');
      expect(rerun.status).toBe('SUCCESS');
      const list = intervals(ledger);
      expect(list.map((i) => i.who).slice(0, 2)).toEqual([failed.runId, holder.runId]);
      expect(new Set(list.slice(2).map((i) => i.who))).toEqual(new Set([release.runId, rerun.runId]));
      expect(maxOverlap(list)).toBe(1);
      expect(rerun.context.concurrency).toMatchObject({ group, state: 'released', ticket: expect.any(Number) });
      expect(rerun.context.concurrency!.ticket!).toBeGreaterThan(held.context.concurrency!.ticket!);
    });
  });
});

describe('concurrency groups: durability', () => {
  it('1,000 queued requests: the group continues as new carrying its queue, each execution far under 10,240 events, FIFO kept; a run behind them sees position 1001', async () => {
    await withWorker(async ({ runtime, dir }) => {
      const ledger = join(dir, 'ledger.txt');
      const group = `big-${unique()}`;
      const groupId = groupWorkflowId('default', group);
      const wf = await Workflow.fromConf('grouped', { path: groupConf(ledger, group, '    queue: 5000') });
      const holder = await wf.start({ seconds: '600' }, { runtime });
      expect(await slotState(holder, 'holding')).toBe(true);
      // 1,000 requests sent as the request activity sends them; their replies go to the holder's run, which ignores leases it does not own.
      const firstRunId = (await holder.describe()).temporalRunId;
      const requests = Array.from({ length: 1000 }, (_, i) => ({
        lease: `queued-${i}`,
        ask: `ask-${i}`,
        workflowId: holder.runId,
        firstRunId,
        runId: `queued-${i}`,
        workflowName: 'grouped',
        limit: 1,
        queue: 5000,
        cancelInProgress: false,
        // 1,000 requests make about 1,400 events: a lower threshold makes the group continue as new several times meanwhile.
        maxHistoryEvents: 400,
      }));
      for (let i = 0; i < requests.length; i += 10) {
        await Promise.all(
          requests.slice(i, i + 10).map((request) =>
            runtime.client.workflow.signalWithStart(GROUP_WORKFLOW_TYPE, {
              workflowId: groupId,
              taskQueue: runtime.taskQueue,
              args: [{ project: 'default', key: group }],
              signal: 'tempoflow.concurrency.acquire',
              signalArgs: [request],
            }),
          ),
        );
      }
      const last = await wf.start({}, { runtime });
      const group$ = runtime.client.workflow.getHandle(groupId);
      const waitingNow = async () => {
        try {
          return (await group$.query(groupStatusQuery)).waiting;
        } catch {
          return -1; // busy continuing as new
        }
      };
      expect(await eventually(async () => (await waitingNow()) === 1001, 240_000, 1000)).toBe(true);
      expect(await slotState(last, 'waiting', 1001)).toBe(true);
      const view = await group$.query(groupStatusQuery);
      expect(view.waiting).toBe(1001);
      expect(view.holders.map((h) => h.runId)).toEqual([holder.runId]);
      // Sent ten at a time: the order within a batch is the server's, batches are in order.
      const batchOf = (runId: string) => Math.floor(Number(runId.split('-')[1]) / 10);
      expect(view.queue.map((w) => batchOf(w.runId))).toEqual(requests.slice(0, view.queue.length).map((r) => batchOf(r.runId)));
      const tickets = view.queue.map((w) => w.ticket);
      expect(tickets).toEqual([...tickets].sort((a, b) => a - b));
      const executions = await executionsOf(runtime, groupId);
      expect(executions.length).toBeGreaterThan(2);
      for (const e of executions) expect(e.historyLength).toBeLessThan(10_240); // closed executions (the running one shows 0 here)
      expect((await group$.describe()).historyLength).toBeLessThan(10_240);
      await group$.terminate('test done');
      await holder.cancel('test done');
      await last.cancel('test done');
    });
  }, 400_000);
});

describe('concurrency groups: a server restart', () => {
  it('SIGKILL the dev server (SQLite) while runs wait and restart it: the queue is kept, the runs go in order, one at a time', async () => {
    const cliPath = inject('temporalCliPath');
    const dir = tempDir('tf-conc-server-');
    const dbFile = join(dir, 'temporal.db');
    let server = await startDevServer({ cliPath, dbFile });
    const { address, port } = server;
    const ledger = join(dir, 'ledger.txt');
    const wf = await Workflow.fromConf('grouped', { path: groupConf(ledger, `restart-${unique()}`) });
    const taskQueue = uniqueTaskQueue('concsrv');
    let worker: ReturnType<typeof startWorkerProcess> | undefined;
    let runtime: TempoflowRuntime | undefined;
    try {
      worker = startWorkerProcess(taskQueue, dir, { TEMPORAL_ADDRESS: address });
      await worker.ready;
      runtime = await TempoflowRuntime.connect({ server: { address }, taskQueue, inProcessWorker: false });
      const holder = await wf.start({ seconds: '6' }, { runtime, heartbeatTimeoutMs: 5000 });
      expect(await slotState(holder, 'holding')).toBe(true);
      const waiters: RunHandle[] = [];
      for (const n of [1, 2]) {
        waiters.push(await wf.start({ seconds: '0.2' }, { runtime, heartbeatTimeoutMs: 5000 }));
        expect(await slotState(waiters[n - 1]!, 'waiting', n)).toBe(true);
      }
      const ids = [holder.runId, ...waiters.map((w) => w.runId)];
      server.stop();
      await runtime.close().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 1000));
      server = await startDevServer({ cliPath, dbFile, port });
      runtime = await TempoflowRuntime.connect({ server: { address }, taskQueue, inProcessWorker: false });
      const again = runtime;
      const results = await Promise.all(ids.map(async (id) => (await getRun(id, { runtime: again })).result()));
      expect(results.map((r) => r.status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
      expect(results.map((r) => r.context.concurrency!.ticket)).toEqual([1, 2, 3]);
      const list = intervals(ledger);
      // The holder's stage may have run twice if the server lost its heartbeat; each waiter ran once, after it.
      expect(list.map((i) => i.who).filter((who) => who !== holder.runId)).toEqual(ids.slice(1));
      expect(maxOverlap(list)).toBe(1);
    } finally {
      await worker?.kill('SIGKILL');
      await runtime?.close().catch(() => undefined);
      server.stop();
    }
  });
});
