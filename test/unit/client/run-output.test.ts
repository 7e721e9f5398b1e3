/** The run follower: live lines from heartbeats, the rest from the ended stages' tails, nothing twice, nothing lost. */
import { describe, expect, it } from 'vitest';
import type { JobContext, RunContext } from '../../../src/engine/context.js';
import { RunFollower, tailLines, unseenTail, type ExecutionLook, type OutputLine, type RunReader } from '../../../src/client/run-output.js';

describe('unseenTail', () => {
  it('takes what follows the last lines shown', () => {
    expect(unseenTail(['a', 'b', 'c', 'd'], ['a', 'b'])).toEqual(['c', 'd']);
    expect(unseenTail(['x', 'a', 'x', 'y'], ['a', 'x'])).toEqual(['y']);
    expect(unseenTail(['a', 'b'], [])).toEqual(['a', 'b']);
    expect(unseenTail(['a', 'b'], ['a', 'b'])).toEqual([]);
  });
  it('a repeated line matches at its last place, with the lines before it', () => {
    expect(unseenTail(['ok', 'ok', 'ok', 'done'], ['ok', 'ok'])).toEqual(['done']);
  });
  it('all of the tail when the lines shown are not in it (the tail starts after them)', () => {
    expect(unseenTail(['[... 9000 bytes truncated]', 'z'], ['a'])).toEqual(['[... 9000 bytes truncated]', 'z']);
  });
  it('tailLines drops the last newline and keeps what a carriage return shows', () => {
    expect(tailLines('a\n10%\r100%\n')).toEqual(['a', '100%']);
    expect(tailLines('')).toEqual([]);
  });
});

/** A fake run: one inline job `build` with stage `make`, and a matrix job `test` with one combination. */
class FakeRun implements RunReader {
  readonly runId = 'r1';
  running = true;
  context: RunContext = { status: 'WAIT' as never, params: {}, errors: [], start: '2024-01-01T00:00:00Z', jobs: {} };
  pending = new Map<string, ExecutionLook['pending']>();
  children: string[] = [];
  childContexts = new Map<string, JobContext>();
  ended = new Map<string, JobContext>();

  async describe(workflowId: string): Promise<ExecutionLook> {
    return { workflowId, running: this.running, pending: this.pending.get(workflowId) ?? [], children: workflowId === this.runId ? this.children : [] };
  }
  async runContext(): Promise<RunContext> {
    return structuredClone(this.context);
  }
  async jobContext(id: string): Promise<JobContext | undefined> {
    return this.childContexts.get(id);
  }
  async endedJobContext(id: string): Promise<JobContext | undefined> {
    return this.ended.get(id);
  }
}

const hb = (stage: string, seq: number, lines: string[], job = 'build', attempt = 1) => ({ job, stage, attempt, output: { seq, lines: lines.map((l) => ['stdout', l]) } });
const texts = (lines: readonly OutputLine[]) => lines.map((l) => `${l.job}${l.matrixKey ? `[${l.matrixKey}]` : ''}/${l.stage}:${l.text}`);

describe('RunFollower', () => {
  it('shows heartbeat lines once, notes the ones it missed, and takes the end of the output from the tail', async () => {
    const run = new FakeRun();
    run.context.jobs.build = { status: 'WAIT' as never, stages: { make: { status: 'WAIT' as never, name: 'Make', outputs: {} } }, outputs: {}, errors: [] } as JobContext;
    const follower = new RunFollower(run);
    run.pending.set('r1', [{ activityId: '1', temporalAttempt: 1, details: hb('make', 2, ['one', 'two']) }]);
    let look = await follower.look();
    expect(texts(look.lines)).toEqual(['build/make:one', 'build/make:two']);
    expect(look.active).toMatchObject([{ job: 'build', stage: 'make', stageName: 'Make', lastLine: 'two' }]);

    // 3 more lines, of which the window holds the last 2: one was missed.
    run.pending.set('r1', [{ activityId: '1', temporalAttempt: 1, details: hb('make', 5, ['four', 'five']) }]);
    look = await follower.look();
    expect(texts(look.lines)).toEqual(['build/make:[... 1 lines not shown]', 'build/make:four', 'build/make:five']);

    // The stage ends: its tail has two lines the heartbeats never carried.
    run.pending.set('r1', []);
    run.context.jobs.build!.stages.make = { status: 'SUCCESS' as never, name: 'Make', outputs: { stdout: 'three\nfour\nfive\nsix\nseven\n', stderr: '' } };
    look = await follower.look();
    expect(texts(look.lines)).toEqual(['build/make:six', 'build/make:seven']);
    expect(look.active).toEqual([]);
    expect((await follower.look()).lines).toEqual([]);
  });

  it('a stage batch: one activity, each stage counting its lines from 1, named from its heartbeat until the batch returns', async () => {
    const run = new FakeRun();
    run.context.jobs.build = { status: 'WAIT' as never, stages: {}, outputs: {}, errors: [] } as JobContext;
    const follower = new RunFollower(run);
    const named = (stage: string, name: string, seq: number, lines: string[]) => ({ ...hb(stage, seq, lines), name });
    run.pending.set('r1', [{ activityId: '1', temporalAttempt: 1, details: named('first', 'First stage', 2, ['a1', 'a2']) }]);
    let look = await follower.look();
    expect(look.lines.map((l) => [l.stageName, l.text])).toEqual([
      ['First stage', 'a1'],
      ['First stage', 'a2'],
    ]);
    // The next stage of the same activity starts again at line 1: its lines are new, not seen.
    run.pending.set('r1', [{ activityId: '1', temporalAttempt: 1, details: named('second', 'Second stage', 1, ['b1']) }]);
    look = await follower.look();
    expect(look.lines.map((l) => [l.stage, l.stageName, l.text])).toEqual([['second', 'Second stage', 'b1']]);
  });

  it('an echo stage and a quick stage that never heartbeat: all of their output, from their contexts', async () => {
    const run = new FakeRun();
    run.context.jobs.build = {
      status: 'SUCCESS' as never,
      stages: {
        greet: { status: 'SUCCESS' as never, name: 'Greet', outputs: {}, logs: { stdout: 'Hello, world!\n', stderr: '' } },
        quick: { status: 'FAILED' as never, name: 'Quick', outputs: { stdout: 'a\n', stderr: 'boom\n' } },
      },
      outputs: {},
      errors: [],
    } as JobContext;
    run.running = false;
    const look = await new RunFollower(run).look();
    expect(look.lines.map((l) => [l.stage, l.stream, l.text])).toEqual([
      ['greet', 'stdout', 'Hello, world!'],
      ['quick', 'stdout', 'a'],
      ['quick', 'stderr', 'boom'],
    ]);
    expect(look.running).toBe(false);
  });

  it('matrix combinations: live lines from the child, the rest from its context once it ended', async () => {
    const run = new FakeRun();
    const strategy = { key: 'k1', matrix: { py: '3.11' }, status: 'WAIT' as never, outputs: {}, workflowId: 'r1.test.k1' };
    run.context.jobs.test = { status: 'WAIT' as never, stages: {}, outputs: {}, errors: [], strategies: [strategy] } as JobContext;
    run.children = ['r1.test.k1'];
    run.pending.set('r1.test.k1', [{ activityId: '1', temporalAttempt: 1, details: hb('t', 1, ['py 3.11'], 'test') }]);
    run.childContexts.set('r1.test.k1', { status: 'WAIT' as never, stages: { t: { status: 'WAIT' as never, name: 'T', outputs: {} } }, outputs: {}, errors: [] } as JobContext);
    const follower = new RunFollower(run);
    let look = await follower.look();
    expect(look.lines).toMatchObject([{ job: 'test', matrixKey: 'k1', matrix: { py: '3.11' }, stage: 't', stageName: 'T', text: 'py 3.11' }]);
    expect(look.combinations.test?.k1?.status).toBe('WAIT');

    run.children = [];
    run.pending.clear();
    run.childContexts.clear();
    run.context.jobs.test!.strategies![0] = { ...strategy, status: 'SUCCESS' as never };
    run.ended.set('r1.test.k1', {
      status: 'SUCCESS' as never,
      stages: { t: { status: 'SUCCESS' as never, name: 'T', outputs: { stdout: 'py 3.11\npassed\n', stderr: '' } } },
      outputs: {},
      errors: [],
    } as JobContext);
    look = await follower.look();
    expect(texts(look.lines)).toEqual(['test[k1]/t:passed']);
  });

  it('keeps the last context when a look cannot read it (no worker answers)', async () => {
    const run = new FakeRun();
    const follower = new RunFollower(run);
    await follower.look();
    run.runContext = async () => {
      throw new Error('no worker');
    };
    expect((await follower.look()).context.start).toBe('2024-01-01T00:00:00Z');
  });
});
