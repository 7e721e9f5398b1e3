/**
 * CLI command bodies called in-process, without spawning the CLI: each is a
 * thin wrapper over the public API (the run handle), so a test drives it
 * like a function and reads what it prints.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { report, ExitCode } from '../../src/cli/common.js';
import { decideCommand, statusCommand } from '../../src/cli/control.js';
import { logsCommand } from '../../src/cli/logs.js';
import { Workflow } from '../../src/client/workflow.js';
import { RunNotFoundError } from '../../src/errors.js';
import { eventually } from '../helpers/processes.js';
import { temporalAddress, withWorker, writeConf } from '../helpers/temporal.js';

/** Runs a command body and collects what it writes. */
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

describe('command bodies', () => {
  it('status lists a nested waiting approval, approve decides it, status and logs show the nested stages', async () => {
    await withWorker(async ({ runtime, taskQueue }) => {
      process.env.WORKFLOW_CORE_TASK_QUEUE = taskQueue;
      const conf = writeConf({
        'n.yml': `
nested-gate:
  type: Workflow
  jobs:
    main:
      stages:
        - name: Both
          id: both
          parallel:
            left:
              - name: Say
                id: say
                bash: echo "left says hi"
              - name: Gate
                id: gate
                approval: ship left?
            right:
              - name: Say
                id: say
                bash: echo "right says hi"
`,
      });
      const run = await (await Workflow.fromConf('nested-gate', { path: conf })).start({}, { runtime });
      const waiting = await eventually(
        async () => {
          const status = await captured(() => statusCommand(run.runId, { json: true }));
          const parsed = JSON.parse(status.stdout) as { running: boolean; waitingApprovals: { path: string }[] };
          return parsed.waitingApprovals.length > 0 ? parsed : undefined;
        },
        20_000,
        300,
      );
      expect(waiting).toMatchObject({ running: true, waitingApprovals: [{ path: 'main.both.left.gate', message: 'ship left?' }] });

      const text = await captured(() => statusCommand(run.runId));
      expect(text.code).toBe(ExitCode.OK);
      expect(text.stdout).toContain(`waiting for approval: main.both.left.gate: ship left?  (tempoflow approve ${run.runId} main.both.left.gate)`);

      const approved = await captured(() => decideCommand(true, run.runId, 'main.both.left.gate', { by: 'dana' }));
      expect(approved).toMatchObject({ code: ExitCode.OK, stderr: expect.stringContaining(`approved main.both.left.gate of ${run.runId}`) });
      expect((await run.result()).status).toBe('SUCCESS');

      const done = await captured(() => statusCommand(run.runId));
      expect(done.stdout).toContain(`run ${run.runId}: SUCCESS\n`);
      expect(done.stdout).toContain('\n    both: SUCCESS\n      both.left.say: SUCCESS\n      both.left.gate: SUCCESS\n      both.right.say: SUCCESS\n');

      const logs = await captured(() => logsCommand(run.runId));
      expect(logs.stdout).toContain('[nested-gate] [main] [both.left.say] left says hi\n');
      expect(logs.stdout).toContain('[nested-gate] [main] [both.right.say] right says hi\n');
      expect(logs.stderr).toContain(`run ${run.runId}: SUCCESS`);
    });
  });

  it('an unknown run is a RunNotFoundError, reported with exit code 2', async () => {
    const err = await captured(() => statusCommand('no-such-run')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunNotFoundError);
    const printed = await captured(async () => report(err));
    expect(printed.code).toBe(ExitCode.INVALID);
    expect(printed.stderr).toMatch(/^error: no run 'no-such-run' on /);
  });
});
