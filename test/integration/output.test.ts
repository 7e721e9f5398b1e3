/**
 * What stages say reaches the user (docs/operations.md, "Stage output"):
 * `echo` messages and `bash` output, live from heartbeats and completed from
 * the stages' contexts, masked, through Temporal only — the library's
 * `onOutput`, `RunHandle.output()` and `tempoflow logs --follow` — and an
 * `echo` stage records its message in its context and the run's trace file.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SecretStore } from '../../src/activities/secrets.js';
import { traceDirFromEnv, traceFilePath } from '../../src/activities/trace-file.js';
import type { OutputLine } from '../../src/client/run-output.js';
import { Workflow } from '../../src/client/workflow.js';
import { runCli } from '../helpers/cli.js';
import { temporalAddress, withWorker, writeConf } from '../helpers/temporal.js';

const CONF = `
talk:
  type: Workflow
  params:
    who: { type: str, default: world }
  jobs:
    greet:
      stages:
        - name: Greet
          id: hello
          echo: "Hello, \${{ params.who }}!"
        - name: Count
          id: count
          bash: |
            for i in 1 2 3 4 5 6; do echo "line $i"; sleep 0.3; done
            echo "token is \${{ secrets.TOKEN }}"
            echo "careful" >&2
    matrix:
      needs: [greet]
      strategy:
        matrix:
          py: ["3.10", "3.11"]
      stages:
        - name: Test
          id: t
          bash: echo "testing on $TF_MATRIX_PY"; sleep 1; echo "passed on $TF_MATRIX_PY"
`;

const secrets = new SecretStore({ values: { TOKEN: 'tok-8f1c2a9e77' } });

describe('stage output', () => {
  it('reaches onOutput in order, masked, from inline jobs and matrix combinations; echo records its message', async () => {
    const conf = writeConf({ 'talk.yml': CONF });
    await withWorker(
      async ({ runtime, dir }) => {
        const wf = await Workflow.fromConf('talk', { path: conf });
        const lines: OutputLine[] = [];
        const result = await wf.execute({ who: 'team' }, { runtime, onOutput: (line) => lines.push(line) });
        expect(result.status).toBe('SUCCESS');
        const of = (job: string, stage: string, matrixKey?: string) => lines.filter((l) => l.job === job && l.stage === stage && l.matrixKey === matrixKey).map((l) => `${l.stream}:${l.text}`);
        expect(of('greet', 'hello')).toEqual(['stdout:Hello, team!']);
        expect(of('greet', 'count')).toEqual(['stdout:line 1', 'stdout:line 2', 'stdout:line 3', 'stdout:line 4', 'stdout:line 5', 'stdout:line 6', 'stdout:token is ***', 'stderr:careful']);
        expect(JSON.stringify(lines)).not.toContain('tok-8f1c2a9e77');
        expect(lines.find((l) => l.stage === 'count')?.stageName).toBe('Count');
        for (const s of result.context.jobs['matrix']!.strategies!) {
          expect(of('matrix', 't', s.key)).toEqual([`stdout:testing on ${String(s.matrix.py)}`, `stdout:passed on ${String(s.matrix.py)}`]);
          expect(lines.find((l) => l.matrixKey === s.key)?.matrix).toEqual(s.matrix);
        }
        // The echo stage's context holds its rendered message, and the run's trace file has it like bash output.
        expect(result.context.jobs['greet']!.stages['hello']!.logs).toEqual({ stdout: 'Hello, team!\n', stderr: '' });
        const trace = readFileSync(traceFilePath(traceDirFromEnv(process.env, dir), result.runId), 'utf8');
        expect(trace).toContain('[talk] [greet] [hello] Hello, team!\n');
        expect(trace).toContain('[talk] [greet] [count] line 1\n');
      },
      { activityConfig: { secrets } },
    );
  });

  it('tempoflow logs --follow prints the lines as they come, from another process', async () => {
    const conf = writeConf({ 'talk.yml': CONF });
    await withWorker(
      async ({ runtime, taskQueue, dir }) => {
        const wf = await Workflow.fromConf('talk', { path: conf });
        const run = await wf.start({}, { runtime });
        const follow = await runCli(['logs', run.runId, '--follow'], { cwd: dir, env: { TEMPORAL_ADDRESS: temporalAddress(), WORKFLOW_CORE_TASK_QUEUE: taskQueue } });
        expect(follow.code).toBe(0);
        expect(follow.stdout).toContain('[talk] [greet] [hello] Hello, world!\n');
        expect(follow.stdout).toContain('[talk] [greet] [count] line 1\n[talk] [greet] [count] line 2\n');
        expect(follow.stdout).toContain('[talk] [greet] [count] (stderr) careful\n');
        expect(follow.stdout).not.toContain('tok-8f1c2a9e77');
        expect(follow.stdout.match(/line 6/g)).toHaveLength(1);
        expect(follow.stderr).toContain(`run ${run.runId}: SUCCESS`);
      },
      { activityConfig: { secrets } },
    );
  });
});
