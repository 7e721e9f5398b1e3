/**
 * `tempoflow run` on a terminal: the live tree (jobs, durations, stage
 * output above it) drawn by log-update under a real pseudo-terminal
 * (util-linux `script`), colours unless `NO_COLOR`, and plain lines when
 * the output is not a terminal.
 */
import { execFileSync, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { Workflow } from '../../src/client/workflow.js';
import { temporalAddress, withWorker, writeConf } from '../helpers/temporal.js';

const root = resolve(import.meta.dirname, '../..');
const conf = resolve(root, 'conf');
const tsx = pathToFileURL(resolve(root, 'node_modules/tsx/dist/loader.mjs')).href;

const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs the CLI under a pseudo-terminal of 120 columns; resolves with everything the terminal received. */
function runInTerminal(args: string[], env: Record<string, string | undefined>, onScreen?: (screen: string) => void): Promise<{ code: number | null; screen: string }> {
  const cli = [process.execPath, '--import', tsx, resolve(root, 'src/cli/main.ts'), ...args].map(quote).join(' ');
  const childEnv = { ...process.env, ...env } as NodeJS.ProcessEnv;
  for (const [k, v] of Object.entries(childEnv)) if (v === undefined) delete childEnv[k];
  return new Promise((res) => {
    const child = spawn('script', ['-qfec', `stty cols 120 rows 40; ${cli}`, '/dev/null'], { env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    child.stdout.on('data', (c: Buffer) => {
      screen += c.toString();
      onScreen?.(screen);
    });
    child.stderr.on('data', (c: Buffer) => (screen += c.toString()));
    child.on('close', (code) => res({ code, screen }));
  });
}

describe.skipIf(!hasScript)('tempoflow run on a terminal', () => {
  it('draws a live tree in place, with the stage output above it, and colours', async () => {
    await withWorker(async ({ taskQueue }) => {
      const { code, screen } = await runInTerminal(['run', 'hello-world', '--conf', conf], {
        TEMPORAL_ADDRESS: temporalAddress(),
        WORKFLOW_CORE_TASK_QUEUE: taskQueue,
        NO_COLOR: undefined,
        FORCE_COLOR: undefined,
        CI: undefined,
      });
      expect(code).toBe(0);
      // log-update redraws: erase line and cursor up sequences.
      expect(screen).toMatch(/\x1b\[2K/);
      expect(screen).toMatch(/\x1b\[1A/);
      const plain = screen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
      expect(plain).toContain('prepare / Greet | Hello, world!');
      expect(plain).toContain('build / Build | building for world');
      expect(plain).toMatch(/hello-world hello-world-\S+ {2}SUCCESS/);
      expect(plain).toMatch(/✓ prepare {2}SUCCESS \d/);
      expect(plain).toMatch(/✓ report {2}SUCCESS/);
      expect(screen).toContain('\x1b[32m✓'); // green
      expect(plain).toMatch(/\nSUCCESS\r?\n/);
    });
  });

  it('NO_COLOR: the same tree without colours', async () => {
    await withWorker(async ({ taskQueue }) => {
      const { code, screen } = await runInTerminal(['run', 'hello-world', '--conf', conf, '-p', 'name=mono'], {
        TEMPORAL_ADDRESS: temporalAddress(),
        WORKFLOW_CORE_TASK_QUEUE: taskQueue,
        NO_COLOR: '1',
        FORCE_COLOR: undefined,
      });
      expect(code).toBe(0);
      expect(screen).not.toMatch(/\x1b\[(3\d|1|2|9\d)m/);
      expect(screen).toContain('prepare / Greet | Hello, mono!');
      expect(screen).toMatch(/✓ prepare {2}SUCCESS/);
    });
  });
});

describe.skipIf(!hasScript)('tempoflow status --watch on a terminal', () => {
  it('follows a run started elsewhere: the live tree with its output and the waiting approval, then the end', async () => {
    const watched = writeConf({
      'slow.yml': `
slow:
  type: Workflow
  jobs:
    work:
      stages:
        - name: Tick
          bash: for i in 1 2 3; do echo "tick $i"; done
        - name: Gate
          id: gate
          approval: Go on?
        - name: Done
          echo: done
`,
    });
    await withWorker(async ({ runtime, taskQueue }) => {
      const wf = await Workflow.fromConf('slow', { path: watched });
      const run = await wf.start({}, { runtime });
      let approved = false;
      const { code, screen } = await runInTerminal(
        ['status', run.runId, '--watch'],
        { TEMPORAL_ADDRESS: temporalAddress(), WORKFLOW_CORE_TASK_QUEUE: taskQueue, NO_COLOR: '1', FORCE_COLOR: undefined },
        (sofar) => {
          // Approve once the live tree shows the command that does it.
          if (approved || !sofar.includes(`tempoflow approve ${run.runId} work.gate`)) return;
          approved = true;
          void run.approve('work.gate');
        },
      );
      expect(approved).toBe(true);
      expect(code).toBe(0);
      expect(screen).toMatch(/\x1b\[2K/); // redrawn in place
      const plain = screen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
      expect(plain).toContain('work / Tick | tick 1');
      expect(plain).toContain('work / Tick | tick 3');
      expect(plain).toContain('work / Done | done');
      expect(plain).toMatch(/✓ work {2}SUCCESS/);
      expect(plain).toMatch(/\nSUCCESS\r?\n/);
    });
  });
});

describe('tempoflow run in a pipe', () => {
  it('prints one line per event: output lines on stdout, job ends on stderr, no escape sequences', async () => {
    await withWorker(async ({ taskQueue, dir }) => {
      const res = await runCli(['run', 'hello-world', '--conf', conf], { cwd: dir, env: { TEMPORAL_ADDRESS: temporalAddress(), WORKFLOW_CORE_TASK_QUEUE: taskQueue } });
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(/^prepare \/ Greet \| Hello, world!\n/);
      expect(res.stdout).toContain('test / Test | tests passed\n');
      expect(res.stdout.endsWith('\nSUCCESS\n')).toBe(true);
      expect(res.stderr).toMatch(/ {2}job prepare: SUCCESS in \d/);
      expect(res.stdout + res.stderr).not.toContain('\x1b[');
      const quiet = await runCli(['run', 'hello-world', '--conf', conf, '--quiet'], { cwd: dir, env: { TEMPORAL_ADDRESS: temporalAddress(), WORKFLOW_CORE_TASK_QUEUE: taskQueue } });
      expect(quiet.stdout).toBe('SUCCESS\n');
      const json = await runCli(['run', 'hello-world', '--conf', conf, '--json'], { cwd: dir, env: { TEMPORAL_ADDRESS: temporalAddress(), WORKFLOW_CORE_TASK_QUEUE: taskQueue } });
      expect(JSON.parse(json.stdout).status).toBe('SUCCESS');
      expect(json.stderr).toContain('prepare / Greet | Hello, world!');
    });
  });
});
