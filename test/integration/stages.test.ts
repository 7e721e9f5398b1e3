/**
 * Stage semantics on the real server: the workflow's own retry loop with
 * TF_ATTEMPT, stage timeouts per attempt, env and params as TF_PARAM_*, and
 * errors in workflow code ending as positioned FAILED stages (never stuck).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Workflow } from '../../src/client/workflow.js';
import { processesMatching, uniqueSleep } from '../helpers/processes.js';
import { withWorker, writeConf } from '../helpers/temporal.js';

describe('stages', () => {
  it('retry: N reruns failed attempts on a durable timer, with TF_ATTEMPT', async () => {
    await withWorker(async ({ runtime, dir }) => {
      const ledger = join(dir, 'attempts.txt');
      const conf = writeConf({
        'retry.yml': `
retry-demo:
  type: Workflow
  params:
    retries: { type: int, default: 2 }
  jobs:
    flaky:
      stages:
        - name: Flaky
          retry: \${{ params.retries }}
          bash: |
            echo "attempt $TF_ATTEMPT" >> "${ledger}"
            test "$TF_ATTEMPT" -ge 3 || { echo "not yet" >&2; exit 1; }
            echo "finally"
`,
      });
      const wf = await Workflow.fromConf('retry-demo', { path: conf });
      const ok = await wf.execute({}, { runtime });
      expect(ok.status).toBe('SUCCESS');
      expect(ok.context.jobs.flaky?.stages['flaky']).toMatchObject({ status: 'SUCCESS', attempt: 3, outputs: { stdout: 'finally\n' } });
      expect(readFileSync(ledger, 'utf8')).toBe('attempt 1\nattempt 2\nattempt 3\n');

      const failed = await wf.execute({ retries: 1 }, { runtime });
      expect(failed.status).toBe('FAILED');
      expect(failed.context.jobs.flaky?.stages['flaky']).toMatchObject({ status: 'FAILED', attempt: 2, error: { name: 'BashExitError' } });
    });
  });

  it('a stage timeout fails that attempt and kills its process; later stages are SKIP', async () => {
    await withWorker(async ({ runtime }) => {
      const duration = uniqueSleep(30);
      const conf = writeConf({
        'timeout.yml': `
stage-timeout:
  type: Workflow
  jobs:
    main:
      stages:
        - name: Hang
          timeout: 1s
          bash: sleep ${duration}
        - name: Next
          bash: echo next
        - name: Cleanup
          if: \${{ always() }}
          bash: echo cleanup
`,
      });
      const wf = await Workflow.fromConf('stage-timeout', { path: conf });
      const result = await wf.execute({}, { runtime });
      expect(result.status).toBe('FAILED');
      const stages = result.context.jobs.main!.stages;
      expect(stages['hang']).toMatchObject({ status: 'FAILED', error: { name: 'TimeoutError' } });
      expect(stages['hang']!.error!.message).toMatch(/timed out after 1 s/);
      expect(stages['next']).toMatchObject({ status: 'SKIP', reason: 'an earlier stage failed' });
      expect(stages['cleanup']).toMatchObject({ status: 'SUCCESS', outputs: { stdout: 'cleanup\n' } });
      expect(processesMatching(`sleep ${duration}`)).toEqual([]);
    });
  });

  it('passes params as TF_PARAM_*, env at each level, and never splices params into the script', async () => {
    await withWorker(async ({ runtime }) => {
      const conf = writeConf({
        'env.yml': `
env-demo:
  type: Workflow
  params:
    message: str
    dry-run: { type: bool, default: false }
  env: { LEVEL: workflow, SHARED: workflow }
  jobs:
    main:
      stages:
        - name: Show
          env: { SHARED: stage }
          bash: |
            printf '%s|%s|%s|%s|%s\\n' "$TF_PARAM_MESSAGE" "$TF_PARAM_DRY_RUN" "$LEVEL" "$SHARED" "$TF_JOB"
`,
      });
      const wf = await Workflow.fromConf('env-demo', { path: conf });
      const hostile = `$(touch /tmp/pwned-tf); echo "quoted' \`id\``;
      const result = await wf.execute({ message: hostile }, { runtime });
      expect(result.status).toBe('SUCCESS');
      expect(result.context.jobs.main!.stages['show']!.outputs['stdout']).toBe(`${hostile}|false|workflow|stage|main\n`);
    });
  });

  it('an expression error in workflow code fails the stage with its location, within seconds', async () => {
    await withWorker(async ({ runtime }) => {
      const conf = writeConf({
        'bad.yml': `
bad-expression:
  type: Workflow
  jobs:
    main:
      stages:
        - name: Fine
          echo: fine
        - name: Broken
          bash: echo \${{ fromJson('not json') }}
    after:
      needs: [main]
      stages:
        - name: Never
          echo: never
`,
      });
      const wf = await Workflow.fromConf('bad-expression', { path: conf });
      const result = await wf.execute({}, { runtime });
      expect(result.status).toBe('FAILED');
      const broken = result.context.jobs.main!.stages['broken']!;
      expect(broken.status).toBe('FAILED');
      expect(broken.error?.name).toBe('ExpressionError');
      expect(broken.error?.location).toMatch(/bad\.yml:\d+:\d+$/);
      expect(result.context.jobs.after?.status).toBe('SKIP');
      expect(result.errors[0]).toMatchObject({ job: 'main', stage: 'broken', name: 'ExpressionError' });
    });
  }, 20_000);

  it('execute({ runId }) attaches to an existing run instead of starting another', async () => {
    await withWorker(async ({ runtime }) => {
      const conf = writeConf({
        'once.yml': `
once:
  type: Workflow
  jobs:
    main:
      stages:
        - name: Nap
          echo: napping
          sleep: 1
`,
      });
      const wf = await Workflow.fromConf('once', { path: conf });
      const runId = `once-attach-${Date.now()}`;
      const attachedFlags: boolean[] = [];
      const [a, b] = await Promise.all([
        wf.execute({}, { runtime, runId, onStart: (i) => attachedFlags.push(i.attached) }),
        new Promise((r) => setTimeout(r, 300)).then(() => wf.execute({}, { runtime, runId, onStart: (i) => attachedFlags.push(i.attached) })),
      ]);
      expect(a.status).toBe('SUCCESS');
      expect(b.status).toBe('SUCCESS');
      expect(a.context.start).toBe(b.context.start);
      expect(attachedFlags).toEqual([false, true]);
      const runs = [];
      for await (const r of runtime.client.workflow.list({ query: `WorkflowId = '${runId}'` })) runs.push(r);
      expect(runs).toHaveLength(1);
    });
  });
});

describe('malformed input', () => {
  it('a run started by hand with a garbage input fails at once (never a workflow task retried forever)', async () => {
    await withWorker(async ({ runtime, taskQueue }) => {
      const handle = await runtime.client.workflow.start('tempoflowRun', { taskQueue, workflowId: `garbage-${Date.now()}`, args: [{ nonsense: true }] });
      const err = await handle.result().catch((e: unknown) => e as Error & { cause?: { type?: string; message?: string } });
      expect(err).toBeInstanceOf(Error);
      // Caught by the interpreter's own guard (FAILED run) or by the workflow guard (engine error): either way closed, not retried.
      expect(['TempoflowRunFailed', 'TempoflowEngineError']).toContain((err as { cause?: { type?: string } }).cause?.type);
      expect((await handle.describe()).status.name).toBe('FAILED');
      for (const type of ['tempoflowJob', 'tempoflowMatrixBatch', 'tempoflowRelease']) {
        const other = await runtime.client.workflow.start(type, { taskQueue, workflowId: `garbage-${type}-${Date.now()}`, args: [{ nonsense: true }] });
        await other.result().catch(() => undefined);
        expect((await other.describe()).status.name).toBe('FAILED');
      }
    });
  }, 30_000);
  it('a durable sleep shorter than a second fires on time, not a second later (the dev server timer settings)', async () => {
    await withWorker(async ({ runtime }) => {
      const conf = writeConf({
        'naps.yml': `
naps:
  type: Workflow
  jobs:
    main:
      stages:
${Array.from({ length: 5 }, (_, i) => `        - name: Nap ${i}\n          echo: nap\n          sleep: 0.05`).join('\n')}
`,
      });
      const result = await (await Workflow.fromConf('naps', { path: conf })).execute({}, { runtime });
      expect(result.status).toBe('SUCCESS');
      const events = (await runtime.client.workflow.getHandle(result.runId).fetchHistory()).events ?? [];
      const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
      const startedAt = new Map(events.filter((e) => e.timerStartedEventAttributes).map((e) => [Number(e.eventId), ms(e.eventTime)]));
      const gaps = events.filter((e) => e.timerFiredEventAttributes).map((e) => ms(e.eventTime) - startedAt.get(Number(e.timerFiredEventAttributes!.startedEventId))!);
      expect(gaps).toHaveLength(5);
      // With Temporal's default (history.timerProcessorMaxTimeShift: 1s) no timer fires sooner than a
      // second after it starts; the median leaves room for a loaded machine.
      const median = [...gaps].sort((a, b) => a - b)[2]!;
      expect(median).toBeGreaterThanOrEqual(50);
      expect(median).toBeLessThan(500);
    });
  });
});
