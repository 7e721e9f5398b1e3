/**
 * Runs started by name from another Temporal client (docs/clients.md),
 * through the real `temporal` CLI binary the suite's dev server comes from:
 * `temporal workflow execute --type tempoflowRun --input '{"workflow": ...}'`
 * runs the YAML the worker loads (params coerced as `tempoflow run` does);
 * an unknown workflow, an invalid YAML, a bad param and an input of another
 * shape end the run FAILED at once with the messages `validate` and `run`
 * print; `temporal workflow query`/`signal` read and steer such a run, and
 * tempoflow's own commands (`status`, `approve`, `logs`, `runs --workflow`,
 * `rerun`) work on it.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, inject, vi } from 'vitest';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../../src/activities/index.js';
import type { PrepareRunInput, PrepareRunResult } from '../../src/activities/prepare-run.js';
import { decideCommand, statusCommand } from '../../src/cli/control.js';
import type { ExitCode } from '../../src/cli/common.js';
import { logsCommand } from '../../src/cli/logs.js';
import { formatIssue } from '../../src/config/errors.js';
import { loadConfTree, validateTree } from '../../src/config/loader.js';
import { rerunRun } from '../../src/client/release.js';
import { getRun } from '../../src/client/run-handle.js';
import { listRuns } from '../../src/client/runs.js';
import { Workflow } from '../../src/client/workflow.js';
import { ParamError } from '../../src/errors.js';
import { eventually } from '../helpers/processes.js';
import { createWorker } from '../../src/worker/index.js';
import { tempDir, temporalAddress, testActivityConfig, testRuntime, uniqueTaskQueue, withWorker, workflowBundlePath, writeConf } from '../helpers/temporal.js';

interface CliOutput {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real `temporal` CLI against the suite's server (asynchronously: the test's worker runs in this process). */
function temporal(args: readonly string[]): Promise<CliOutput> {
  return new Promise((res) => {
    execFile(inject('temporalCliPath'), [...args, '--address', temporalAddress(), '--namespace', 'default'], { timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** `temporal workflow execute` of `tempoflowRun` with one JSON input; text output (what a user reads) unless `json`. */
function execute(taskQueue: string, workflowId: string, input: unknown, output: 'text' | 'json' = 'text'): Promise<CliOutput> {
  return temporal(['workflow', 'execute', '--type', 'tempoflowRun', '--task-queue', taskQueue, '--workflow-id', workflowId, '--input', JSON.stringify(input), '--output', output]);
}

/** Runs a CLI command body and collects what it writes. */
async function captured(body: () => Promise<ExitCode>): Promise<{ code: ExitCode; stdout: string; stderr: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (stdout.push(String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (stderr.push(String(chunk)), true));
  try {
    const code = await body();
    return { code, stdout: stdout.join(''), stderr: stderr.join('') };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

const id = (name: string) => `${name}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;

const conf = () =>
  writeConf({
    'greet.yml': `
greet:
  type: Workflow
  params:
    name: { type: str, required: true }
    count: { type: int, default: 1 }
    loud: { type: bool, default: false }
  jobs:
    say:
      stages:
        - name: Say
          id: say
          bash: echo "hello $TF_PARAM_NAME x$TF_PARAM_COUNT loud=$TF_PARAM_LOUD"
    other:
      stages:
        - name: Other
          bash: echo other
gated:
  type: Workflow
  jobs:
    ship:
      stages:
        - name: Gate
          id: gate
          approval: Ship it?
        - name: Ship
          id: ship
          bash: echo shipped
`,
    'broken.yml': `
broken:
  type: Workflow
  jobs:
    a:
      needs: [nope]
      stages:
        - name: Bad
          bsh: echo typo
`,
  });

const saved = { address: process.env.TEMPORAL_ADDRESS, queue: process.env.WORKFLOW_CORE_TASK_QUEUE };
beforeAll(() => {
  process.env.TEMPORAL_ADDRESS = temporalAddress();
});
afterAll(() => {
  for (const [name, value] of [
    ['TEMPORAL_ADDRESS', saved.address],
    ['WORKFLOW_CORE_TASK_QUEUE', saved.queue],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe('tempoflowRun by name, from the temporal CLI', () => {
  it('runs the YAML the worker loads, params coerced as `tempoflow run -p` does; findable and readable like any run', async () => {
    const path = conf();
    await withWorker(
      async ({ runtime, taskQueue }) => {
        const runId = id('greet');
        const cli = await execute(taskQueue, runId, { workflow: 'greet', params: { name: 'raw', count: '3', loud: 'yes' }, jobs: ['say'] }, 'json');
        expect(cli.code, cli.stderr).toBe(0);
        const printed = JSON.parse(cli.stdout) as { status: string; result: { status: string; runId: string } };
        expect(printed).toMatchObject({ status: 'COMPLETED', result: { status: 'SUCCESS', runId } });

        const run = await getRun(runId, { runtime });
        expect(run.workflowName).toBe('greet');
        const result = await run.result();
        expect(result.status).toBe('SUCCESS');
        expect(result.context.params).toEqual({ name: 'raw', count: 3, loud: true });
        expect(Object.keys(result.context.jobs)).toEqual(['say']); // "jobs": only these
        expect(result.context.jobs['say']!.stages['say']!.outputs.stdout).toContain('hello raw x3 loud=true');

        // Listed by workflow like runs tempoflow starts: the worker upserted TfWorkflow.
        const listed = await eventually(async () => (await listRuns({ workflow: 'greet', runtime })).runs.find((r) => r.runId === runId), 10_000, 300);
        expect(listed).toMatchObject({ runId, workflow: 'greet', status: 'COMPLETED' });

        const logs = await captured(() => logsCommand(runId));
        expect(logs.stdout).toContain('[greet] [say] [say] hello raw x3 loud=true\n');
      },
      { activityConfig: { confPath: path } },
    );
  }, 60_000);

  it("the issue's command line runs conf/workflows/hello-world.yml of the repository as docs/clients.md shows", async () => {
    const repoConf = fileURLToPath(new URL('../../conf', import.meta.url));
    await withWorker(
      async ({ taskQueue }) => {
        const runId = id('hello-world');
        const cli = await temporal([
          'workflow',
          'execute',
          '--type',
          'tempoflowRun',
          '--task-queue',
          taskQueue,
          '--workflow-id',
          runId,
          '--input',
          '{"workflow":"hello-world","params":{"name":"raw"}}',
        ]);
        expect(cli.code, cli.stderr).toBe(0);
        expect(cli.stdout).toMatch(/Status\s+COMPLETED/);
        expect(cli.stdout).toContain('"status":"SUCCESS"');
        expect(cli.stdout).toContain('building for raw');
      },
      { activityConfig: { confPath: repoConf } },
    );
  }, 60_000);

  it('an unknown workflow, an invalid YAML and a bad param fail the run at once with the messages validate and run print', async () => {
    const path = conf();
    await withWorker(
      async ({ runtime, taskQueue }) => {
        // Unknown name: the loader's message, with a suggestion.
        const unknownId = id('unknown');
        const unknown = await execute(taskQueue, unknownId, { workflow: 'gret', params: {} });
        expect(unknown.code).not.toBe(0);
        expect(unknown.stdout + unknown.stderr).toContain("cannot run workflow 'gret': no workflow named 'gret'");
        expect(unknown.stdout + unknown.stderr).toContain("did you mean 'greet'?");

        // Invalid YAML: every problem `tempoflow validate broken` prints, at file:line:col.
        const brokenId = id('broken');
        const broken = await execute(taskQueue, brokenId, { workflow: 'broken' });
        expect(broken.code).not.toBe(0);
        const expected = validateTree(loadConfTree(path), ['broken'])
          .issues.filter((i) => i.severity === 'error')
          .map(formatIssue);
        expect(expected.length).toBeGreaterThanOrEqual(2);
        const brokenResult = await (await getRun(brokenId, { runtime })).result();
        expect(brokenResult.status).toBe('FAILED');
        expect(brokenResult.errors[0]!.name).toBe('ConfigError');
        for (const line of expected) expect(brokenResult.errors[0]!.message).toContain(line);
        expect(broken.stdout + broken.stderr).toContain(expected[0]!.split(': error')[0]!); // the position reaches the CLI user

        // Bad param: ParamError's message, as `tempoflow run -p count=many` prints it.
        const wf = await Workflow.fromConf('greet', { path });
        const paramError = (() => {
          try {
            wf.parameterize({ name: 'x', count: 'many' });
          } catch (err) {
            return err as ParamError;
          }
          throw new Error('expected a ParamError');
        })();
        expect(paramError).toBeInstanceOf(ParamError);
        const badId = id('badparam');
        const bad = await execute(taskQueue, badId, { workflow: 'greet', params: { name: 'x', count: 'many' } });
        expect(bad.code).not.toBe(0);
        expect(bad.stdout + bad.stderr).toContain(paramError.message);

        for (const [runId, name] of [
          [unknownId, 'WorkflowNotFoundError'],
          [badId, 'ParamError'],
        ] as const) {
          const result = await (await getRun(runId, { runtime })).result();
          expect(result).toMatchObject({ status: 'FAILED', errors: [{ name }] });
        }
        // At once: no workflow task failed (no retry loop), no job ran, the load was one activity.
        for (const runId of [unknownId, brokenId, badId]) {
          const history = await runtime.client.workflow.getHandle(runId).fetchHistory();
          const types = (history.events ?? []).map((e) => Object.keys(e).find((k) => k.endsWith('EventAttributes')));
          expect(types).not.toContain('workflowTaskFailedEventAttributes');
          expect(types.filter((t) => t === 'activityTaskScheduledEventAttributes')).toHaveLength(1);
          expect(types.at(-1)).toBe('workflowExecutionFailedEventAttributes');
        }
      },
      { activityConfig: { confPath: path } },
    );
  }, 60_000);

  it('an input of another shape fails at once, naming both accepted shapes; a by-name field is checked before loading', async () => {
    const path = conf();
    await withWorker(
      async ({ runtime, taskQueue }) => {
        const other = await execute(taskQueue, id('shape'), { name: 'greet', params: { name: 'x' } });
        expect(other.code).not.toBe(0);
        const text = other.stdout + other.stderr;
        expect(text).toContain('by-name request {"workflow": "<name>"');
        expect(text).toContain('the full spec a tempoflow client builds');
        expect(text).not.toContain('TypeError');

        const typoId = id('typo');
        const typo = await execute(taskQueue, typoId, { workflow: 'greet', param: { name: 'x' } });
        expect(typo.stdout + typo.stderr).toContain('unknown key "param" (did you mean "params"?)');
        const mismatch = await execute(taskQueue, id('mismatch'), { workflow: 'greet', params: { name: 'x' }, runId: 'another-id' });
        expect(mismatch.stdout + mismatch.stderr).toContain('"runId" must equal the workflow id');

        const result = await (await getRun(typoId, { runtime })).result();
        expect(result).toMatchObject({ status: 'FAILED', errors: [{ name: 'RunInputError' }] });
        const history = await runtime.client.workflow.getHandle(typoId).fetchHistory();
        expect((history.events ?? []).some((e) => e.activityTaskScheduledEventAttributes)).toBe(false);
      },
      { activityConfig: { confPath: path } },
    );
  }, 60_000);

  it('temporal workflow query reads its status, temporal workflow signal approves; tempoflow status and approve work on it too', async () => {
    const path = conf();
    await withWorker(
      async ({ runtime, taskQueue }) => {
        process.env.WORKFLOW_CORE_TASK_QUEUE = taskQueue;
        // Two runs: one approved with `temporal workflow signal`, one with `tempoflow approve`.
        const viaTemporal = id('gated');
        const viaTempoflow = id('gated');
        for (const runId of [viaTemporal, viaTempoflow]) {
          const started = await temporal(['workflow', 'start', '--type', 'tempoflowRun', '--task-queue', taskQueue, '--workflow-id', runId, '--input', '{"workflow": "gated"}']);
          expect(started.code, started.stderr).toBe(0);
        }

        const waiting = await eventually(
          async () => {
            const q = await temporal(['workflow', 'query', '--workflow-id', viaTemporal, '--name', 'status', '--output', 'json']);
            if (q.code !== 0) return undefined;
            const context = (JSON.parse(q.stdout) as { queryResult: [{ jobs: Record<string, { stages: Record<string, { status: string }> }> }] }).queryResult[0];
            return context.jobs['ship']?.stages['gate']?.status === 'WAIT' ? context : undefined;
          },
          20_000,
          300,
        );
        expect(waiting).toBeDefined();
        const signalled = await temporal(['workflow', 'signal', '--workflow-id', viaTemporal, '--name', 'approval', '--input', '{"stage": "ship.gate", "approved": true, "by": "cli"}']);
        expect(signalled.code, signalled.stderr).toBe(0);
        const approved = await (await getRun(viaTemporal, { runtime })).result();
        expect(approved.status).toBe('SUCCESS');
        expect(approved.context.jobs['ship']!.stages['ship']!.outputs.stdout).toContain('shipped');

        const status = await eventually(
          async () => {
            const s = await captured(() => statusCommand(viaTempoflow));
            return s.stdout.includes('waiting for approval: ship.gate') ? s : undefined;
          },
          20_000,
          300,
        );
        expect(status?.stdout).toContain(`run ${viaTempoflow}`);
        expect(status?.stdout).toContain('gated');
        const decided = await captured(() => decideCommand(true, viaTempoflow, 'ship.gate', { by: 'dana' }));
        expect(decided.stderr).toContain(`approved ship.gate of ${viaTempoflow}`);
        const result = await temporal(['workflow', 'result', '--workflow-id', viaTempoflow, '--output', 'json']);
        expect(result.code, result.stderr).toBe(0);
        expect(JSON.parse(result.stdout)).toMatchObject({ status: 'COMPLETED', result: { status: 'SUCCESS' } });
      },
      { activityConfig: { confPath: path } },
    );
  }, 90_000);

  it('a failed run started by name can be rerun: its YAML snapshot is the prepareRun result in its history', async () => {
    const path = conf();
    await withWorker(
      async ({ runtime, taskQueue, dir }) => {
        const marker = join(dir, 'second-time');
        writeFileSync(
          join(path, 'flaky.yml'),
          `
flaky:
  type: Workflow
  params:
    marker: str
  jobs:
    first:
      stages:
        - name: Fine
          bash: echo fine
    second:
      needs: [first]
      stages:
        - name: Once
          id: once
          bash: test -f "$TF_PARAM_MARKER" || { touch "$TF_PARAM_MARKER"; exit 1; }
`,
        );
        const runId = id('flaky');
        const failed = await execute(taskQueue, runId, { workflow: 'flaky', params: { marker } });
        expect(failed.code).not.toBe(0);
        const rerun = await rerunRun(runId, { runtime, taskQueue });
        expect(rerun.status).toBe('SUCCESS');
        expect(rerun.parentRunId).toBe(runId);
        expect(rerun.context.jobs['first']!.reusedFrom).toBe(runId);
        expect(rerun.context.params).toEqual({ marker });
      },
      { activityConfig: { confPath: path } },
    );
  }, 60_000);

  it('while the worker loads the YAML, the status query answers WAIT and a cancel signal waits for the run, which ends Cancelled', async () => {
    const path = conf();
    const taskQueue = uniqueTaskQueue('byname');
    const runtime = await testRuntime(taskQueue);
    const connection = await NativeConnection.connect({ address: temporalAddress() });
    const real = createActivities(testActivityConfig(tempDir('tf-work-'), { confPath: path }));
    // prepareRun holds until the test lets it go, so the queries and signals below land while it runs.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const worker = await createWorker({
      connection,
      namespace: 'default',
      taskQueue,
      workflowBundlePath: workflowBundlePath(),
      shutdownGraceTime: '1s',
      extra: { activities: { ...real, prepareRun: async (input: PrepareRunInput): Promise<PrepareRunResult> => (await held, real.prepareRun(input)) } },
    });
    try {
      const body = async () => {
        const runId = id('held');
        const started = await temporal([
          'workflow',
          'start',
          '--type',
          'tempoflowRun',
          '--task-queue',
          taskQueue,
          '--workflow-id',
          runId,
          '--input',
          '{"workflow": "greet", "params": {"name": "early"}}',
        ]);
        expect(started.code, started.stderr).toBe(0);
        const early = await eventually(
          async () => {
            const q = await temporal(['workflow', 'query', '--workflow-id', runId, '--name', 'status', '--output', 'json']);
            return q.code === 0 ? (JSON.parse(q.stdout) as { queryResult: [unknown] }).queryResult[0] : undefined;
          },
          20_000,
          300,
        );
        expect(early).toMatchObject({ status: 'WAIT', jobs: {}, params: { name: 'early' } });
        const signalled = await temporal(['workflow', 'signal', '--workflow-id', runId, '--name', 'cancel', '--input', '"not today"']);
        expect(signalled.code, signalled.stderr).toBe(0);
        release();
        const result = await (await getRun(runId, { runtime })).result();
        expect(result.status).toBe('CANCEL');
        expect(Object.values(result.context.jobs).every((j) => j.status === 'CANCEL')).toBe(true);
        expect((await runtime.client.workflow.getHandle(runId).describe()).status.name).toBe('CANCELLED');
      };
      // A failed expectation still lets the held activity go, so the worker can shut down.
      await worker.runUntil(body().finally(release));
    } finally {
      await connection.close();
      await runtime.close();
    }
  }, 60_000);
});
