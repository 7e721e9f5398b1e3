/** The cases of the stage process supervisor (`src/activities/process.ts`), shared by the launcher test files. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runSupervised, stageLauncherKind, type LauncherKind, type RunProcessOptions } from '../../../src/activities/process.js';
import { eventually, processesMatching, uniqueSleep } from '../../helpers/processes.js';

const options = (command: string[], extra: Partial<RunProcessOptions> = {}): RunProcessOptions => ({
  command,
  cwd: '/tmp',
  env: process.env,
  tailBytes: 4096,
  killGraceMs: 500,
  ...extra,
});

/**
 * The supervisor's cases, run against the launcher `kind` (each test file runs
 * in its own module graph, so it gets its own launcher process).
 */
export function supervisorCases(kind: LauncherKind): void {
  process.env.TEMPOFLOW_STAGE_LAUNCHER = kind;
  describe(`runSupervised through the ${kind} launcher: a stage process never outlives its stage`, () => {
    it('uses the launcher it was asked for', () => {
      expect(stageLauncherKind()).toBe(kind);
    });

    it('returns the exit code and output tails', async () => {
      const outcome = await runSupervised(options(['bash', '-c', 'echo out; echo err >&2; exit 3']));
      expect(outcome).toMatchObject({ exitCode: 3, signal: null, stdout: 'out\n', stderr: 'err\n', timedOut: false, cancelled: false });
    });

    it('kills what the command left running in its group when it exits', async () => {
      const marker = uniqueSleep(60);
      const outcome = await runSupervised(options(['bash', '-c', `sleep ${marker} & ( sleep ${marker} & ) ; echo started`]));
      expect(outcome.stdout).toBe('started\n');
      expect(await eventually(() => processesMatching(`sleep ${marker}`).length === 0, 3000)).toBe(true);
    });

    it('ends soon after the command exits even if a process that left the group holds its output', async () => {
      const marker = uniqueSleep(60);
      const started = Date.now();
      // The pause lets the background process leave the group before the command exits (else it is killed with the group).
      const outcome = await runSupervised(options(['bash', '-c', `setsid sleep ${marker} & sleep 0.3; echo done`]));
      expect(outcome.exitCode).toBe(0);
      expect(outcome.stdout).toBe('done\n');
      expect(processesMatching(`sleep ${marker}`)).toHaveLength(1);
      expect(Date.now() - started).toBeLessThan(15_000);
      // It escaped the group on purpose (setsid): not ours to kill, so clean it up here.
      for (const p of processesMatching(`sleep ${marker}`)) process.kill(p.pid, 'SIGKILL');
    });

    it('on timeout: SIGTERM to the group, SIGKILL after the grace period', async () => {
      const marker = uniqueSleep(60);
      const outcome = await runSupervised(options(['bash', '-c', `trap '' TERM; sleep ${marker} & wait`], { timeoutMs: 200 }));
      expect(outcome.timedOut).toBe(true);
      expect(outcome.signal).toBe('SIGKILL');
      expect(outcome.exitCode).toBe(137);
      expect(processesMatching(`sleep ${marker}`)).toEqual([]);
    });

    it('on abort: stops the group and says cancelled', async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const outcome = await runSupervised(options(['sleep', uniqueSleep(60)], { signal: controller.signal }));
      expect(outcome).toMatchObject({ cancelled: true, signal: 'SIGTERM', exitCode: 143 });
    });

    it('a process killed by a signal without a name (a real-time one) ends as failed, and the launcher keeps serving', async () => {
      const outcome = await runSupervised(options(['bash', '-c', 'kill -s RTMIN+2 $$']));
      // 128 + 36 through the Python launcher. Node reports a death by a signal it has no
      // name for as exit code 0 (its child process 'exit' event), so the Node launcher cannot tell.
      if (kind === 'python') expect(outcome.exitCode).toBe(164);
      expect((await runSupervised(options(['bash', '-c', 'echo still']))).stdout).toBe('still\n');
    });

    it('a missing program fails like the shell would (127), never throws', async () => {
      const outcome = await runSupervised(options(['/nonexistent/tool-9']));
      expect(outcome.exitCode).toBe(127);
      expect(outcome.stderr).toContain("cannot run '/nonexistent/tool-9' (ENOENT)");
    });

    it('when the worker process dies (SIGKILL), its watcher kills the running stage groups', async () => {
      const marker = uniqueSleep(60);
      const processModule = fileURLToPath(new URL('../../../src/activities/process.ts', import.meta.url));
      const program = `import { runSupervised } from ${JSON.stringify(processModule)};
runSupervised({ command: ['bash', '-c', 'sleep "$STAGE_SLEEP"'], cwd: '/tmp', env: process.env, tailBytes: 1024, killGraceMs: 500 });
setInterval(() => undefined, 1000);`;
      // The marker is in the environment, not the command line, so only the stage's sleep matches it.
      const worker = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], { stdio: 'ignore', env: { ...process.env, STAGE_SLEEP: marker } });
      try {
        expect(await eventually(() => processesMatching(`sleep ${marker}`).length === 1, 20_000)).toBe(true);
        worker.kill('SIGKILL');
        expect(await eventually(() => processesMatching(`sleep ${marker}`).length === 0, 5000)).toBe(true);
      } finally {
        worker.kill('SIGKILL');
        for (const p of processesMatching(`sleep ${marker}`)) process.kill(p.pid, 'SIGKILL');
      }
    }, 30_000);

    it('when the launcher dies, the stage fails (retryable) and its group is killed; the next stage starts a new launcher', async () => {
      const marker = uniqueSleep(60);
      const pending = runSupervised(options(['sleep', marker]));
      expect(await eventually(() => processesMatching(`sleep ${marker}`).length === 1, 5000)).toBe(true);
      // Let the launcher report the pid it started (a launcher killed between starting a
      // process and reporting it leaves that one process running: process.ts, `lost`).
      await new Promise((r) => setTimeout(r, 300));
      // This test process's launcher only: other test workers' stages run beside this one.
      const parentOf = (pid: number): number => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      const launchers = processesMatching('tempoflow-stage-launcher').filter((p) => parentOf(p.pid) === process.pid);
      expect(launchers).toHaveLength(1);
      for (const p of launchers) process.kill(p.pid, 'SIGKILL');
      await expect(pending).rejects.toThrow(/stage launcher process exited while the stage ran/);
      expect(await eventually(() => processesMatching(`sleep ${marker}`).length === 0, 5000)).toBe(true);
      expect((await runSupervised(options(['bash', '-c', 'echo again']))).stdout).toBe('again\n');
    });
  });
}
