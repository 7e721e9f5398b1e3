/**
 * The seed's Workflow API (ddeutil-workflow, docs/coming-from-ddeutil.md) on
 * the real server, one behaviour per test: `executeJob` with an upstream
 * context, the `max_job_parallel` limit itself, `WORKFLOW_CORE_TIMEOUT` and
 * `WORKFLOW_CORE_MAX_JOB_PARALLEL`, `execute({ parentRunId })`,
 * `${{ extras.* }}` at run time, `rerun()` from a hand-written context, and
 * the run-level `outputs` of a context.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getRun, readResolvedRunInput } from '../../src/client/run-handle.js';
import { Workflow } from '../../src/client/workflow.js';
import { WorkflowError, WorkflowTimeoutError } from '../../src/errors.js';
import { withWorker, writeConf } from '../helpers/temporal.js';

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

/** Runs `body` with `name` set in this process's environment, then restores it. */
async function withEnv<T>(name: string, value: string, body: () => Promise<T>): Promise<T> {
  const before = process.env[name];
  process.env[name] = value;
  try {
    return await body();
  } finally {
    if (before === undefined) delete process.env[name];
    else process.env[name] = before;
  }
}

/** One job's stage interval from the ledger the stages append to. */
interface Interval {
  readonly job: string;
  readonly start: number;
  readonly end: number;
}

/** Reads `<job> start|end <epoch seconds.nanos>` lines into one interval per job. */
function intervals(ledger: string): Interval[] {
  const byJob = new Map<string, { start?: number; end?: number }>();
  for (const line of lines(ledger)) {
    const [job = '', what, stamp] = line.split(' ');
    const entry = byJob.get(job) ?? {};
    if (what === 'start') entry.start = Number(stamp);
    else entry.end = Number(stamp);
    byJob.set(job, entry);
  }
  return [...byJob].map(([job, { start, end }]) => {
    if (start === undefined || end === undefined) throw new Error(`job ${job} has no start or end in ${ledger}: ${lines(ledger).join(' | ')}`);
    return { job, start, end };
  });
}

/** The most intervals running at one instant (an end at the same instant as a start does not overlap it). */
function maxOverlap(list: readonly Interval[]): number {
  const events = list.flatMap((i) => [
    { at: i.start, delta: 1 },
    { at: i.end, delta: -1 },
  ]);
  events.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let running = 0;
  let most = 0;
  for (const e of events) {
    running += e.delta;
    most = Math.max(most, running);
  }
  return most;
}

/**
 * Six jobs without needs, each stage stamping its start and end into the
 * ledger param. Between the two, a stage waits (at most 30 s) until `together`
 * jobs have started: N jobs the limit lets run at once do overlap however
 * slowly a loaded machine starts them, and a limit below `together` shows as
 * an overlap below it rather than passing by luck.
 */
function sixParallelJobs(name: string): string {
  const jobs = Array.from(
    { length: 6 },
    (_, i) => `
    j${i + 1}:
      stages:
        - name: Stamp
          bash: |
            echo "$TF_JOB start $(date +%s.%N)" >> "$TF_PARAM_LEDGER"
            for _ in $(seq 300); do
              [ "$(grep -c ' start ' "$TF_PARAM_LEDGER")" -ge "$TF_PARAM_TOGETHER" ] && break
              sleep 0.1
            done
            sleep 0.5
            echo "$TF_JOB end $(date +%s.%N)" >> "$TF_PARAM_LEDGER"`,
  ).join('');
  return writeConf({ [`${name}.yml`]: `${name}:\n  type: Workflow\n  params:\n    ledger: str\n    together: { type: int, default: 1 }\n  jobs:${jobs}\n` });
}

describe('max_job_parallel: at most N jobs at once, and N when N are ready', () => {
  for (const n of [1, 3]) {
    it(`maxJobParallel ${n}: six ready jobs never overlap more than ${n}, and do overlap ${n}`, async () => {
      await withWorker(async ({ runtime, dir }) => {
        const wf = await Workflow.fromConf('six', { path: sixParallelJobs('six') });
        const ledger = join(dir, `ledger-${n}.txt`);
        const result = await wf.execute({ ledger, together: n }, { runtime, maxJobParallel: n });
        expect(result.status).toBe('SUCCESS');
        const list = intervals(ledger);
        expect(list.map((i) => i.job).sort()).toEqual(['j1', 'j2', 'j3', 'j4', 'j5', 'j6']);
        expect(maxOverlap(list)).toBe(n);
      });
    });
  }

  it('WORKFLOW_CORE_MAX_JOB_PARALLEL is the default: the run input says 1 and the jobs never overlap', async () => {
    await withWorker(async ({ runtime, dir }) => {
      const wf = await Workflow.fromConf('six', { path: sixParallelJobs('six') });
      const ledger = join(dir, 'ledger-env.txt');
      const result = await withEnv('WORKFLOW_CORE_MAX_JOB_PARALLEL', '1', () => wf.execute({ ledger }, { runtime }));
      expect(result.status).toBe('SUCCESS');
      expect((await readResolvedRunInput(runtime, result.runId))?.maxJobParallel).toBe(1);
      expect(maxOverlap(intervals(ledger))).toBe(1);
    });
  });
});

describe('timeouts', () => {
  it('WORKFLOW_CORE_TIMEOUT is the default run timeout: the run ends TIMEOUT and unwrap() throws WorkflowTimeoutError', async () => {
    await withWorker(async ({ runtime }) => {
      const path = writeConf({
        'slow.yml': `
slow:
  type: Workflow
  jobs:
    wait:
      stages:
        - name: Wait
          bash: sleep 60
`,
      });
      const wf = await Workflow.fromConf('slow', { path });
      const result = await withEnv('WORKFLOW_CORE_TIMEOUT', '2', () => wf.execute({}, { runtime }));
      expect(result.status).toBe('TIMEOUT');
      expect((await readResolvedRunInput(runtime, result.runId))?.timeoutSeconds).toBe(2);
      expect(result.context.jobs['wait']!.stages['wait']).toMatchObject({ status: 'CANCEL', reason: 'the run timed out while this stage was running' });
      const thrown = (() => {
        try {
          result.unwrap();
        } catch (err) {
          return err;
        }
        return undefined;
      })();
      expect(thrown).toBeInstanceOf(WorkflowTimeoutError);
      expect(thrown).toBeInstanceOf(WorkflowError);
      expect((thrown as Error).name).toBe('WorkflowTimeoutError');
      expect((thrown as Error).message).toMatch(new RegExp(`^run ${result.runId} ended TIMEOUT`));
    });
  });
});

//   split ── process ── report
//   main ── fallback (runs when main failed)
function pipeline(dir: string): string {
  return writeConf({
    'pipe.yml': `
pipe:
  type: Workflow
  params:
    who: { type: str, default: team }
  jobs:
    split:
      outputs: { parts: "\${{ stages.list.outputs.stdout }}" }
      stages:
        - id: list
          bash: |
            echo split >> "${dir}/split.count"
            printf a,b
    process:
      needs: [split]
      outputs: { summary: "\${{ stages.show.outputs.stdout }}", who: "\${{ params.who }}" }
      stages:
        - id: show
          env: { PARTS: "\${{ needs.split.outputs.parts }}", PREVIOUS: "\${{ jobs.split.status }}" }
          bash: printf '%s' "$TF_PARAM_WHO got $PARTS after $PREVIOUS"
    report:
      needs: [process]
      outputs: { who: reporter }
      stages:
        - id: report
          bash: echo "report of $TF_RUN_ID"
    main:
      stages:
        - name: Main
          bash: echo main >> "${dir}/main.count"
    fallback:
      needs: [main]
      if: \${{ needs.main.result == 'failure' }}
      outputs: { mode: fallback }
      stages:
        - name: Fallback
          bash: echo fallback
`,
  });
}

describe('executeJob', () => {
  it("runs one job as its own run under the runId given, with needs.* and jobs.* from a hand-written context (the seed's execute_job)", async () => {
    await withWorker(async ({ runtime, dir }) => {
      const wf = await Workflow.fromConf('pipe', { path: pipeline(dir) });
      const runId = `process-alone-${randomBytes(3).toString('hex')}`;
      const result = await wf.executeJob('process', {
        runtime,
        runId,
        params: { who: 'ops' },
        context: { jobs: { split: { status: 'SUCCESS', outputs: { parts: 'x,y' } }, process: { status: 'FAILED' }, report: { status: 'SUCCESS' } } },
      });
      expect(result.status).toBe('SUCCESS');
      expect(result.context.jobs['process']!.outputs).toEqual({ summary: 'ops got x,y after SUCCESS', who: 'ops' });
      // The upstream job is kept as given and never ran; the job's own entry and its dependents' are ignored.
      expect(result.context.jobs['split']).toMatchObject({ status: 'SUCCESS', outputs: { parts: 'x,y' }, reusedFrom: 'context' });
      expect(lines(join(dir, 'split.count'))).toEqual([]);
      expect(Object.keys(result.context.jobs).sort()).toEqual(['process', 'split']);
      // The run's outputs are the job's: the handed-over jobs only inform it.
      expect(result.context.outputs).toEqual({ summary: 'ops got x,y after SUCCESS', who: 'ops' });

      // A durable run like any other, under the run id given.
      expect(result.runId).toBe(runId);
      const input = await readResolvedRunInput(runtime, runId);
      expect(input).toMatchObject({ runId, onlyJobs: ['process'], params: { who: 'ops' }, reuse: { fromRunId: 'context', jobs: { split: { status: 'SUCCESS' } } } });
      const handle = await getRun(runId, { runtime });
      expect((await handle.describe()).running).toBe(false);
      expect((await handle.result()).status).toBe('SUCCESS');
    });
  });

  it("takes a previous run's result.context (its params too), and parentRunId marks where the upstream came from", async () => {
    await withWorker(async ({ runtime, dir }) => {
      const wf = await Workflow.fromConf('pipe', { path: pipeline(dir) });
      const first = await wf.execute({ who: 'first' }, { runtime, jobs: ['split'] });
      expect(first.status).toBe('SUCCESS');
      // The job as the seed passes it (a Job object: here, what job(id) returns).
      const again = await wf.executeJob(wf.job('process'), { runtime, context: first.context, parentRunId: first.runId });
      expect(again.status).toBe('SUCCESS');
      expect(again.parentRunId).toBe(first.runId);
      expect(again.context.jobs['process']!.outputs).toEqual({ summary: 'first got a,b after SUCCESS', who: 'first' });
      expect(again.context.jobs['split']!.reusedFrom).toBe(first.runId);
      expect(lines(join(dir, 'split.count'))).toHaveLength(1);
    });
  });

  it('decides if: and trigger rules from the context as a whole run would: a fallback runs after a FAILED main, skips after SUCCESS', async () => {
    await withWorker(async ({ runtime, dir }) => {
      const wf = await Workflow.fromConf('pipe', { path: pipeline(dir) });
      const afterFailure = await wf.executeJob('fallback', { runtime, context: { jobs: { main: { status: 'FAILED', errors: { name: 'BashExitError', message: 'exit 1' } } } } });
      // The run answers for the fallback alone: main's failure, handed over, does not fail it.
      expect(afterFailure.status).toBe('SUCCESS');
      expect(afterFailure.errors).toEqual([]);
      expect(afterFailure.context.jobs['fallback']!.status).toBe('SUCCESS');
      expect(afterFailure.context.jobs['main']).toMatchObject({ status: 'FAILED', errors: [{ name: 'BashExitError', message: 'exit 1', job: 'main' }] });

      const afterSuccess = await wf.executeJob('fallback', { runtime, context: { jobs: { main: { status: 'SUCCESS' } } } });
      expect(afterSuccess.status).toBe('SKIP');
      expect(afterSuccess.context.jobs['fallback']).toMatchObject({ status: 'SKIP' });
      expect(lines(join(dir, 'main.count'))).toEqual([]);

      // A need missing from the context is not required, as with execute({ jobs }).
      const alone = await wf.executeJob('fallback', { runtime });
      expect(alone.context.jobs['fallback']!.status).toBe('SKIP');
    });
  });

  it('refuses an unknown job or a context that is not one before anything starts', async () => {
    const wf = await Workflow.fromConf('pipe', { path: pipeline('/tmp') });
    await expect(wf.executeJob('proces')).rejects.toThrow("workflow 'pipe' has no job 'proces' (did you mean 'process'?)");
    await expect(wf.executeJob('process', { context: { jobs: { split: { status: 'DONE' } } } })).rejects.toThrow(/context\.jobs\.split\.status: 'DONE' is not a status/);
    await expect(wf.executeJob('process', { params: { nope: 1 } })).rejects.toThrow(/param 'nope'/);
  });
});

describe("the seed's other run options and values", () => {
  it('execute({ parentRunId }) is kept on the run and its Result', async () => {
    await withWorker(async ({ runtime, dir }) => {
      const wf = await Workflow.fromConf('pipe', { path: pipeline(dir) });
      const result = await wf.execute({}, { runtime, jobs: ['main'], parentRunId: 'upstream-run-42' });
      expect(result.status).toBe('SUCCESS');
      expect(result.parentRunId).toBe('upstream-run-42');
      expect((await readResolvedRunInput(runtime, result.runId))?.parentRunId).toBe('upstream-run-42');
      expect((await getRun(result.runId, { runtime }).then((h) => h.result())).parentRunId).toBe('upstream-run-42');
    });
  });

  it('${{ extras.* }} reads the extras given to fromConf at run time; the config overrides among them are not values', async () => {
    await withWorker(async ({ runtime }) => {
      const path = writeConf({
        'extras.yml': `
extras-demo:
  type: Workflow
  jobs:
    show:
      stages:
        - id: show
          env: { ENVIRONMENT: "\${{ extras.environment }}", DEBUG: "\${{ extras.debug_mode }}" }
          bash: echo "$ENVIRONMENT $DEBUG"
`,
      });
      const wf = await Workflow.fromConf('extras-demo', { path, extras: { environment: 'production', debug_mode: false, timeout: 120, maxJobParallel: 1 } });
      const result = await wf.execute({}, { runtime });
      expect(result.status).toBe('SUCCESS');
      expect(result.context.jobs['show']!.stages['show']!.outputs['stdout']).toBe('production false\n');
      const input = await readResolvedRunInput(runtime, result.runId);
      expect(input).toMatchObject({ timeoutSeconds: 120, maxJobParallel: 1 });
      expect(input?.extras).toEqual({ environment: 'production', debug_mode: false });
    });
  });

  it("rerun() from a context written by hand, as the seed's example does: the SUCCESS job is kept, the FAILED one runs", async () => {
    await withWorker(async ({ runtime, dir }) => {
      const path = writeConf({
        'failed-pipeline.yml': `
failed-pipeline:
  type: Workflow
  params:
    input_file: str
  jobs:
    setup:
      stages:
        - name: Setup
          bash: echo setup >> "${dir}/setup.count"
    process:
      needs: [setup]
      stages:
        - id: process
          bash: echo "processing $TF_PARAM_INPUT_FILE"
`,
      });
      const wf = await Workflow.fromConf('failed-pipeline', { path });
      const previousContext = {
        params: { input_file: '/data/input.csv' },
        jobs: { setup: { status: 'SUCCESS' }, process: { status: 'FAILED', errors: { name: 'ValueError', message: 'bad row' } } },
      };
      const result = await wf.rerun(previousContext, { runtime, timeout: 1800 });
      expect(result.status).toBe('SUCCESS');
      expect(result.parentRunId).toBe('context');
      expect(result.context.jobs['setup']).toMatchObject({ status: 'SUCCESS', reusedFrom: 'context' });
      expect(result.context.jobs['process']!.stages['process']!.outputs['stdout']).toBe('processing /data/input.csv\n');
      expect(lines(join(dir, 'setup.count'))).toEqual([]);
      expect((await readResolvedRunInput(runtime, result.runId))?.timeoutSeconds).toBe(1800);

      await expect(wf.rerun({ params: {}, jobs: { setup: { status: 'SUCCESS' } } }, { runtime })).rejects.toThrow(/param 'input_file'/);
      await expect(wf.rerun({ jobs: { setup: { status: 'OK' } } }, { runtime })).rejects.toThrow(/context\.jobs\.setup\.status: 'OK' is not a status/);
    });
  });

  it("a run's context has outputs: its SUCCESS jobs' outputs merged in run order, in a FAILED run too", async () => {
    await withWorker(async ({ runtime, dir }) => {
      const wf = await Workflow.fromConf('pipe', { path: pipeline(dir) });
      const ok = await wf.execute({ who: 'all' }, { runtime, maxJobParallel: 3 });
      expect(ok.status).toBe('SUCCESS');
      // report's `who` wins over process's (report needs process); main has no declared outputs: its stage's.
      expect(ok.context.outputs).toEqual({ parts: 'a,b', summary: 'all got a,b after SUCCESS', who: 'reporter', return_code: 0, stdout: '', stderr: '' });
      expect(ok.context.jobs['fallback']!.status).toBe('SKIP');

      const path = writeConf({
        'half.yml': `
half:
  type: Workflow
  jobs:
    good:
      outputs: { table: sales }
      stages: [{ name: Good, echo: good }]
    bad:
      outputs: { never: shown }
      stages: [{ name: Bad, bash: exit 3 }]
`,
      });
      const failed = await (await Workflow.fromConf('half', { path })).execute({}, { runtime });
      expect(failed.status).toBe('FAILED');
      expect(failed.context.outputs).toEqual({ table: 'sales' });
    });
  });
});
