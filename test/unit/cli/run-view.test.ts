/** The live tree and the line format of `tempoflow run` (the terminal itself: test/integration/terminal.test.ts). */
import { describe, expect, it } from 'vitest';
import type { JobContext, RunContext } from '../../../src/engine/context.js';
import { COMBINATIONS_SHOWN, formatLine, printable, renderTree } from '../../../src/cli/run-view.js';

const now = Date.parse('2024-01-01T00:01:00Z');
const at = (s: number) => new Date(Date.parse('2024-01-01T00:00:00Z') + s * 1000).toISOString();

function model(): Parameters<typeof renderTree>[0] {
  const strategies = Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, matrix: { n: i }, status: (i < 2 ? 'WAIT' : 'SUCCESS') as never, outputs: {}, workflowId: `r.test.k${i}` }));
  const context: RunContext = {
    status: 'WAIT' as never,
    params: {},
    errors: [],
    start: at(0),
    jobs: {
      prepare: { status: 'SUCCESS' as never, start: at(0), end: at(2), stages: {}, outputs: {}, errors: [] } as JobContext,
      test: { status: 'WAIT' as never, start: at(2), stages: {}, outputs: {}, errors: [], strategies } as JobContext,
      deploy: {
        status: 'WAIT' as never,
        start: at(3),
        stages: { gate: { status: 'WAIT' as never, name: 'Gate', outputs: { approval: { waiting: true, message: 'Ship it?', approvers: [] } } } },
        outputs: {},
        errors: [],
      } as JobContext,
    },
  };
  const running = { status: 'WAIT' as never, start: at(10), stages: {}, outputs: {}, errors: [] } as JobContext;
  return {
    runId: 'r',
    workflowName: 'demo',
    jobOrder: ['prepare', 'test', 'deploy', 'report'],
    snapshot: {
      running: true,
      context,
      combinations: { test: { k0: running, k1: running } },
      active: [{ job: 'test', matrixKey: 'k0', matrix: { n: 0 }, stage: 'run', stageName: 'Run tests', attempt: 2, startedAt: new Date(now - 5000), lastLine: 'collected 12 items' }],
    },
  };
}

describe('renderTree', () => {
  const text = renderTree(model(), { now, width: 200 });
  it('shows each job with its status and duration, and the jobs not started yet', () => {
    expect(text).toContain('demo r  RUNNING 1m00s');
    expect(text).toContain('✓ prepare  SUCCESS 2.0s');
    expect(text).toContain('○ report  waiting');
  });
  it('lists a handful of combinations, running first, and counts the rest', () => {
    expect(text).toContain('test  RUNNING 58s  8/10 combinations done');
    expect(text).toContain('[n=0]  RUNNING 50s');
    const listed = text.split('\n').filter((l) => /\[n=\d\]/.test(l));
    expect(listed).toHaveLength(COMBINATIONS_SHOWN);
    expect(text).toContain(`… ${10 - COMBINATIONS_SHOWN} more (0 running or waiting, ${10 - COMBINATIONS_SHOWN} ended)`);
  });
  it('shows the running stage with its elapsed time, attempt and newest line', () => {
    expect(text).toContain('▸ Run tests 5.0s attempt 2  | collected 12 items');
  });
  it('shows a waiting approval with the commands that decide it', () => {
    expect(text).toContain('⏸ deploy.gate waits for approval: Ship it?');
    expect(text).toContain('approve: tempoflow approve r deploy.gate');
    expect(text).toContain('reject: tempoflow reject r deploy.gate --reason "..."');
  });
  it('fits the width', () => {
    for (const line of renderTree(model(), { now, width: 40 }).split('\n')) expect(line.length).toBeLessThanOrEqual(40);
  });
});

describe('output lines', () => {
  it('are prefixed job / stage (with the matrix values), stderr marked', () => {
    expect(formatLine({ job: 'build', stage: 'make', stageName: 'Make', stream: 'stdout', text: 'ok' })).toBe('build / Make | ok');
    expect(formatLine({ job: 'test', matrixKey: 'k', matrix: { py: '3.11' }, stage: 't', stream: 'stderr', text: 'warn' })).toBe('test [py=3.11] / t ! warn');
  });
  it('cannot move the cursor or clear the screen', () => {
    expect(printable('a\x1b[2J\x1b[1;1Hb\x1b]0;title\x07c\rd\x07')).toBe('abcd');
  });
});
