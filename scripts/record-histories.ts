/**
 * Records the Temporal histories that `test/integration/replay.test.ts`
 * replays against the current workflow code, so a non-deterministic change
 * to workflow code fails CI. Covers: a matrix (parent and a combination child;
 * the same small matrix run inline in the parent), a
 * foreach in chunk children, a trigger (parent and child run), an approval,
 * continue-as-new, a rerun, a release, a run whose jobs and branches of
 * every kind issue commands side by side (several resolve in one workflow
 * task, so the order of the next commands is checked too), `dispatch: batch`
 * and `dispatch: local` jobs beside a plain one, and runs started
 * by name as other Temporal clients start them (docs/clients.md): one that
 * runs, one refused for a bad param.
 *
 *   npx tsx scripts/record-histories.ts            # writes test/histories/*.json
 *   npx tsx scripts/record-histories.ts by-name    # only the named groups (see `want` below)
 *
 * Re-record only when a change is *meant* to alter workflow behaviour, and
 * then follow ARCHITECTURE.md "Changing workflow code safely" (patching).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { startDevServer } from '../test/helpers/dev-server.js';
import { TempoflowRuntime } from '../src/client/runtime.js';
import { Workflow } from '../src/client/workflow.js';
import { approvalSignal, RUN_WORKFLOW_TYPE, statusQuery, type RunInput } from '../src/workflows/definitions.js';

const root = resolve(import.meta.dirname, '..');
const out = join(root, 'test/histories');
mkdirSync(out, { recursive: true });

const conf = mkdtempSync(join(tmpdir(), 'tf-histories-'));
writeFileSync(
  join(conf, 'h.yml'),
  `
h-matrix:
  type: Workflow
  jobs:
    fan:
      strategy:
        matrix: { n: [1, 2, 3] }
        max-parallel: 2
      stages:
        - name: Work
          bash: echo "n=$TF_MATRIX_N"
    after:
      needs: [fan]
      stages:
        - name: Sum
          echo: "\${{ toJson(needs.fan.outputs) }}"
h-foreach:
  type: Workflow
  jobs:
    main:
      stages:
        - name: Each
          id: each
          foreach: [a, b, c, d, e]
          concurrent: 2
          stages:
            - name: Work
              bash: echo "\${{ item }}"
        - name: Fan
          id: fan
          parallel:
            x:
              - name: X
                echo: x
            y:
              - name: Y
                raise: expected failure
          continue-on-error: true
        - name: Loop
          id: loop
          item: 0
          until: \${{ item >= 2 }}
          stages:
            - name: Step
              echo: step \${{ item }}
        - name: Case
          id: case
          case: b
          match:
            - case: a
              stages: [{ name: A, echo: a }]
            - else:
                - name: Other
                  echo: other
h-trigger:
  type: Workflow
  jobs:
    main:
      stages:
        - name: Call
          trigger: h-child
          params: { value: hello }
h-child:
  type: Workflow
  params:
    value: str
  jobs:
    work:
      stages:
        - name: Echo
          bash: echo "$TF_PARAM_VALUE"
h-approval:
  type: Workflow
  jobs:
    gate:
      stages:
        - name: Gate
          id: gate
          approval: Ship it?
        - name: Ship
          bash: echo shipped
h-chain:
  type: Workflow
  jobs:
${Array.from({ length: 8 }, (_, i) => `    c${i}:${i ? `\n      needs: [c${i - 1}]` : ''}\n      stages:\n        - name: Step\n          bash: echo ${i}`).join('\n')}
c-leaf:
  type: Workflow
  jobs:
    only:
      stages:
        - name: Leaf
          bash: echo leaf
c-concurrent:
  type: Workflow
  jobs:
    a:
      stages:
        - name: Wait
          echo: a
          sleep: 1
        - name: A2
          bash: echo a2
        - name: Call
          trigger: c-leaf
        - name: A4
          bash: echo a4
        - name: Gate
          echo: a5
          sleep: 1
    b:
      stages:
        - name: B1
          bash: sleep 1; echo b1
        - name: Fan
          parallel:
            x:
              - name: X1
                bash: echo x
              - name: X2
                echo: x2
                sleep: 1
            y:
              - name: Y1
                echo: y1
                sleep: 1
              - name: Y2
                bash: echo y
            z:
              - name: Z1
                trigger: c-leaf
          max-workers: 2
        - name: Each
          foreach: [1, 2, 3, 4, 5]
          concurrent: 3
          stages:
            - name: Item
              bash: echo \${{ item }}
            - name: Nap
              echo: nap
              sleep: 1
    c:
      strategy:
        matrix: { n: [1, 2, 3, 4] }
        max-parallel: 2
      stages:
        - name: Work
          bash: test "$TF_MATRIX_N" != 3
    d:
      stages:
        - name: Loop
          item: 0
          until: \${{ item >= 3 }}
          stages:
            - name: Step
              bash: echo step
            - name: Rest
              echo: rest
              sleep: 1
        - name: Retry
          retry: 2
          bash: test "$TF_ATTEMPT" = 3
        - name: Case
          case: x
          match:
            - case: x
              stages:
                - name: In
                  bash: echo in
h-dispatch:
  type: Workflow
  jobs:
    batched:
      dispatch: batch
      stages:
        - name: One
          bash: echo one
        - name: Two
          bash: echo "\${{ stages.one.outputs.stdout }}"
        - name: Say
          echo: between
        - name: Flaky
          retry: 1
          bash: test "$TF_ATTEMPT" = 2
        - name: Own
          dispatch: activity
          bash: echo own
    local:
      dispatch: local
      stages:
        - name: L1
          bash: echo l1
        - name: L2
          bash: echo l2
    plain:
      stages:
        - name: P
          bash: echo p
h-rerun:
  type: Workflow
  params:
    fail: { type: bool, default: true }
  jobs:
    ok:
      stages:
        - name: Fine
          bash: echo fine
    flaky:
      needs: [ok]
      stages:
        - name: First
          bash: echo first
        - name: Maybe
          bash: test "$TF_PARAM_FAIL" = false
`,
);

// Runs started by name are loaded from the worker's conf tree (the in-process worker reads this).
process.env.WORKFLOW_CORE_CONF_PATH = conf;

/** Groups named on the command line, or all: matrix, foreach, trigger, approval, continue-as-new, rerun, concurrent, release, by-name. */
const groups = process.argv.slice(2);
const want = (group: string): boolean => groups.length === 0 || groups.includes(group);

const server = process.env.TEMPORAL_ADDRESS ? { address: process.env.TEMPORAL_ADDRESS, stop: () => undefined } : await startDevServer({ log: (m) => console.error(m) });
const taskQueue = `histories-${Date.now()}`;
const runtime = await TempoflowRuntime.connect({ server: { address: server.address }, taskQueue, inProcessWorker: true });

async function save(name: string, workflowId: string, runId?: string): Promise<void> {
  const history = await runtime.client.workflow.getHandle(workflowId, runId).fetchHistory();
  // The Temporal CLI's JSON form (`temporal workflow show -o json`), readable by historyFromJSON.
  writeFileSync(join(out, `${name}.json`), historyToJSON(history));
  console.log(`recorded ${name} (${history.events?.length ?? 0} events)`);
}

async function run(name: string, params: Record<string, unknown> = {}, extra: Parameters<Workflow['execute']>[1] = {}): Promise<{ runId: string; handle: WorkflowHandle }> {
  let handle: WorkflowHandle | undefined;
  const result = await (await Workflow.fromConf(name, { path: conf })).execute(params, { runtime, ...extra, onStart: (i) => (handle = i.handle) });
  console.log(`${name}: ${result.status}`);
  return { runId: result.runId, handle: handle! };
}

try {
  if (want('matrix')) {
    // Children (as every matrix ran before small ones ran inline), then inline.
    const m = await run('h-matrix', {}, { limits: { inlineMatrixStageRuns: 0 } });
    await save('matrix', m.runId);
    const ctx = await m.handle.query(statusQuery);
    await save('matrix-combination', ctx.jobs['fan']!.strategies![0]!.workflowId!);
    const inline = await run('h-matrix');
    await save('matrix-inline', inline.runId);
  }

  if (want('foreach')) {
    const f = await run('h-foreach', {}, { limits: { foreachChunkSize: 2 } });
    await save('foreach-nested', f.runId);
    await save('foreach-chunk', `${f.runId}.main.each.chunk-2`);
  }

  if (want('trigger')) {
    const t = await run('h-trigger');
    await save('trigger', t.runId);
    await save('trigger-child', `${t.runId}.main.call`);
  }

  if (want('approval')) {
    let handle: WorkflowHandle | undefined;
    const pending = (await Workflow.fromConf('h-approval', { path: conf })).execute({}, { runtime, onStart: (i) => (handle = i.handle) });
    for (;;) {
      await new Promise((r) => setTimeout(r, 200));
      if (!handle) continue;
      const c = await handle.query(statusQuery).catch(() => undefined);
      if (c?.jobs['gate']?.stages['gate']?.status === 'WAIT') break;
    }
    await handle!.signal(approvalSignal, { stage: 'gate.gate', approved: true, by: 'recorder' });
    const r = await pending;
    console.log(`h-approval: ${r.status}`);
    await save('approval', r.runId);
  }

  if (want('continue-as-new')) {
    const c = await run('h-chain', {}, { limits: { maxHistoryEvents: 30 } });
    // The first run of the chain ends with continue-as-new.
    let first: string | undefined;
    for await (const e of runtime.client.workflow.list({ query: `WorkflowId = '${c.runId}'` })) first = e.runId;
    await save('continue-as-new', c.runId, first);
    await save('continue-as-new-last', c.runId);
  }

  if (want('rerun')) {
    const failed = await run('h-rerun');
    const wf = await Workflow.fromConf('h-rerun', { path: conf });
    const input: RunInput = {
      spec: wf.spec,
      params: { fail: false },
      runId: `${failed.runId}-rerun`,
      parentRunId: failed.runId,
      timeoutSeconds: 600,
      maxJobParallel: 2,
      extras: {},
      reuse: {
        fromRunId: failed.runId,
        jobs: { ok: (await failed.handle.query(statusQuery)).jobs['ok']! },
        combinations: {},
        fromStage: { job: 'flaky', stage: 'maybe', stages: (await failed.handle.query(statusQuery)).jobs['flaky']!.stages },
      },
    };
    const handle = await runtime.client.workflow.start(RUN_WORKFLOW_TYPE, { workflowId: input.runId, taskQueue, args: [input] });
    await handle.result();
    await save('rerun', input.runId);
  }

  if (want('dispatch')) {
    const d = await run('h-dispatch', {}, { maxJobParallel: 3 });
    await save('dispatch', d.runId);
  }

  if (want('concurrent')) {
    let handle: WorkflowHandle | undefined;
    const r = await (await Workflow.fromConf('c-concurrent', { path: conf })).execute({}, { runtime, maxJobParallel: 4, limits: { inlineMatrixStageRuns: 0 }, onStart: (i) => (handle = i.handle) });
    console.log(`c-concurrent: ${r.status}`);
    await save('concurrent', r.runId);
    await save('concurrent-combination', (await handle!.query(statusQuery)).jobs['c']!.strategies![0]!.workflowId!);
  }

  if (want('release')) {
    // A manual release (h-child has no cron, so any minute is valid).
    const wf = await Workflow.fromConf('h-child', { path: conf });
    let releaseWorkflowId = '';
    const r = await wf.release(new Date('2024-01-01T09:00:00Z'), { value: 'released' }, { runtime, audit: false, onStart: (i) => (releaseWorkflowId = i.releaseWorkflowId) });
    console.log(`release: ${r.status} ${r.runId}`);
    await save('release', releaseWorkflowId);
  }

  if (want('by-name')) {
    // Started as another Temporal client starts it: by name, no search attributes (the run upserts TfWorkflow).
    for (const [name, params] of [
      ['by-name', { value: 'by name' }],
      ['by-name-refused', { nope: 1 }],
    ] as const) {
      const workflowId = `${name}-${Date.now()}`;
      const handle = await runtime.client.workflow.start(RUN_WORKFLOW_TYPE, { workflowId, taskQueue, args: [{ workflow: 'h-child', params }] });
      console.log(
        `${name}: ${await handle.result().then(
          (r: { status: string }) => r.status,
          (e: Error) => `failed: ${(e.cause as Error | undefined)?.message ?? e.message}`,
        )}`,
      );
      await save(name, workflowId);
    }
  }
} finally {
  await runtime.close();
  server.stop();
}
