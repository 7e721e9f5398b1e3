/**
 * Search attributes on an embedded dev server with SQLite persistence:
 * registered on connect on a fresh database file and again (a no-op) on an
 * existing one, runs carry `TfWorkflow`, and `TfWorkflow = 'x'` finds them;
 * the embedded namespace keeps closed runs for 30 days.
 */
import { describe, expect, it } from 'vitest';
import { NativeConnection } from '@temporalio/worker';
import { acquireEmbeddedServer } from '../../src/client/embedded-server.js';
import { TempoflowRuntime } from '../../src/client/runtime.js';
import { Workflow } from '../../src/client/workflow.js';
import { createWorker } from '../../src/worker/index.js';
import { eventually } from '../helpers/processes.js';
import { tempDir, testActivityConfig, uniqueTaskQueue, workflowBundlePath, writeConf } from '../helpers/temporal.js';

const conf = writeConf({
  'sa.yml': `
sa-demo:
  type: Workflow
  jobs:
    only:
      stages:
        - name: Hello
          echo: hello
`,
});

/** One session on the embedded server of `stateDir`: connect, run once, and return what `TfWorkflow = 'sa-demo'` finds. */
async function session(stateDir: string, work: string): Promise<{ found: string[]; runId: string; retentionDays: number; started: boolean }> {
  const lease = await acquireEmbeddedServer({ stateDir, startTimeoutSeconds: 90 });
  const taskQueue = uniqueTaskQueue('sa');
  const runtime = await TempoflowRuntime.connect({ server: { address: lease.record.address }, taskQueue, inProcessWorker: false });
  const connection = await NativeConnection.connect({ address: lease.record.address });
  try {
    expect(runtime.searchAttributes.problem).toBeUndefined();
    expect([...runtime.searchAttributes.available].sort()).toEqual(['TfReleaseTime', 'TfReleaseType', 'TfWorkflow']);
    const worker = await createWorker({ connection, namespace: 'default', taskQueue, activityConfig: testActivityConfig(work), workflowBundlePath: workflowBundlePath(), shutdownGraceTime: '1s' });
    const wf = await Workflow.fromConf('sa-demo', { path: conf });
    const result = await worker.runUntil(wf.execute({}, { runtime }));
    expect(result.status).toBe('SUCCESS');
    const ns = await runtime.client.workflowService.describeNamespace({ namespace: 'default' });
    const retentionDays = Number(ns.config?.workflowExecutionRetentionTtl?.seconds ?? 0) / 86_400;
    const found = await eventually(
      async () => {
        const ids: string[] = [];
        for await (const w of runtime.client.workflow.list({ query: "TfWorkflow = 'sa-demo'" })) ids.push(w.workflowId);
        return ids.includes(result.runId) ? ids : undefined;
      },
      20_000,
      500,
    );
    return { found: found ?? [], runId: result.runId, retentionDays, started: lease.started };
  } finally {
    await connection.close();
    await runtime.close();
    await lease.release();
  }
}

describe('search attributes on the embedded server', () => {
  it('are registered on a fresh SQLite file and on an existing one; runs are found by TfWorkflow', async () => {
    const stateDir = tempDir('tf-sa-state-');
    const work = tempDir('tf-sa-work-');
    const fresh = await session(stateDir, work);
    expect(fresh.started).toBe(true);
    expect(fresh.found).toEqual([fresh.runId]);
    expect(fresh.retentionDays).toBe(30);

    const existing = await session(stateDir, work);
    expect(existing.started).toBe(true); // the first session stopped its server: this one reopened the same SQLite file
    expect(existing.found.sort()).toEqual([fresh.runId, existing.runId].sort());
    expect(existing.retentionDays).toBe(30);
  }, 240_000);
});
