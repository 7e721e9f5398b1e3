/**
 * `foreach` and `until` through the real interpreter workflow with fake
 * stages: the first failed item stops the rest (one at a time, several at
 * once, and in chunk children), and `until` stops when its condition holds
 * or after exactly `max-loop` loops.
 */
import { describe, expect, it } from 'vitest';
import { exitWith, FakeStages, succeed, untilCancelled, useWorkflowTestEnv } from '../helpers/time-skipping.js';

const env = useWorkflowTestEnv();

function foreachYaml(name: string, items: readonly string[], concurrent: number): string {
  return `
${name}:
  type: Workflow
  jobs:
    fan:
      stages:
        - name: Each
          foreach: [${items.join(', ')}]
          concurrent: ${concurrent}
          stages:
            - name: Work
              bash: work \${{ item }}
        - name: After
          bash: after
`;
}

type PerItem = Record<string, { status: string; reason?: string; error?: { message: string } }>;

const NOT_STARTED = { status: 'CANCEL', reason: 'not started: an earlier item failed' };

describe('foreach stops at the first failed item', () => {
  it('one at a time: items after the failure are not started', async () => {
    const fakes = new FakeStages({ work: (call) => (call.args[0] === 'c' ? exitWith(call, 1, 'c is broken') : succeed()), after: () => succeed() });
    const result = await env.runToEnd({ workflow: 'each-serial', fakes, yaml: foreachYaml('each-serial', ['a', 'b', 'c', 'd', 'e'], 1) });
    expect(result.status).toBe('FAILED');
    const stage = result.context.jobs.fan!.stages['each']!;
    expect(stage).toMatchObject({ status: 'FAILED', error: { name: 'ItemFailed', message: 'item c failed: bash exited with code 1: c is broken' } });
    const perItem = (stage.outputs as { foreach: PerItem }).foreach;
    expect(perItem['a']?.status).toBe('SUCCESS');
    expect(perItem['b']?.status).toBe('SUCCESS');
    expect(perItem['c']?.status).toBe('FAILED');
    expect(perItem['d']).toEqual(NOT_STARTED);
    expect(perItem['e']).toEqual(NOT_STARTED);
    expect(fakes.calls.map((c) => c.script)).toEqual(['work a', 'work b', 'work c']);
    expect(result.context.jobs.fan!.stages['after']).toMatchObject({ status: 'SKIP', reason: 'an earlier stage failed' });
  });

  it('several at once: the failure cancels the running item and starts no more', async () => {
    let aStarted!: () => void;
    const started = new Promise<void>((resolve) => (aStarted = resolve));
    const fakes = new FakeStages({
      work: async (call, context) => {
        if (call.args[0] === 'a') {
          aStarted();
          return untilCancelled(call, context);
        }
        if (call.args[0] === 'b') {
          await started;
          return exitWith(call, 1, 'b is broken');
        }
        return succeed();
      },
    });
    const result = await env.runToEnd({ workflow: 'each-concurrent', fakes, yaml: foreachYaml('each-concurrent', ['a', 'b', 'c', 'd', 'e'], 2) });
    expect(result.status).toBe('FAILED');
    const stage = result.context.jobs.fan!.stages['each']!;
    expect(stage).toMatchObject({ status: 'FAILED', error: { name: 'ItemFailed', message: 'item b failed: bash exited with code 1: b is broken' } });
    const perItem = (stage.outputs as { foreach: PerItem }).foreach;
    expect(perItem['a']?.status).toBe('CANCEL');
    expect(perItem['b']?.status).toBe('FAILED');
    expect(perItem['c']).toEqual(NOT_STARTED);
    expect(perItem['d']).toEqual(NOT_STARTED);
    expect(perItem['e']).toEqual(NOT_STARTED);
    expect(fakes.calls.map((c) => c.script).sort()).toEqual(['work a', 'work b']);
  });

  it('in chunk children (a large foreach): later items and chunks are not started', async () => {
    const items = ['i1', 'i2', 'i3', 'i4', 'i5', 'i6'];
    const fakes = new FakeStages({ work: (call) => (call.args[0] === 'i3' ? exitWith(call, 1, 'i3 is broken') : succeed()) });
    const result = await env.runToEnd({
      workflow: 'each-chunked',
      fakes,
      yaml: foreachYaml('each-chunked', items, 1),
      input: { limits: { foreachChunkSize: 2 } },
    });
    expect(result.status).toBe('FAILED');
    const stage = result.context.jobs.fan!.stages['each']!;
    expect(stage).toMatchObject({ status: 'FAILED', error: { name: 'ItemFailed' } });
    expect(stage.error?.message).toContain('i3 failed');
    const perItem = (stage.outputs as { foreach: PerItem }).foreach;
    expect(['i1', 'i2'].map((k) => perItem[k]?.status)).toEqual(['SUCCESS', 'SUCCESS']);
    expect(perItem['i3']?.status).toBe('FAILED');
    expect(perItem['i4']).toEqual(NOT_STARTED);
    expect(perItem['i5']).toEqual(NOT_STARTED);
    expect(perItem['i6']).toEqual(NOT_STARTED);
    expect(fakes.calls.map((c) => c.script)).toEqual(['work i1', 'work i2', 'work i3']);
  });
});

describe('until', () => {
  function untilYaml(name: string, maxLoop: number): string {
    return `
${name}:
  type: Workflow
  jobs:
    poll:
      stages:
        - name: Wait ready
          id: wait
          until: \${{ item == 'ready' }}
          item: pending
          max-loop: ${maxLoop}
          stages:
            - name: Check
              bash: check \${{ loop }}
            - name: Pause
              echo: not ready yet, checking again in 10 min
              sleep: 600
`;
  }

  it('stops at the loop where its condition holds; loops wait on durable timers', async () => {
    const fakes = new FakeStages({ check: (call) => succeed({ item: Number(call.args[0]) >= 3 ? 'ready' : 'pending' }) });
    const result = await env.runToEnd({ workflow: 'until-ready', fakes, yaml: untilYaml('until-ready', 10) });
    expect(result.status).toBe('SUCCESS');
    const stage = result.context.jobs.poll!.stages['wait']!;
    expect(stage.status).toBe('SUCCESS');
    expect(stage.outputs).toMatchObject({ loop: 3, item: 'ready' });
    expect(Object.keys((stage.outputs as { until: object }).until)).toEqual(['1', '2', '3']);
    const checks = fakes.calls;
    expect(checks.map((c) => c.args[0])).toEqual(['1', '2', '3']);
    expect(checks.map((c) => c.stage)).toEqual(['wait.1.check', 'wait.2.check', 'wait.3.check']);
    // Ten minutes of server time between checks.
    for (let i = 1; i < checks.length; i++) expect((checks[i]!.scheduledMs - checks[i - 1]!.scheduledMs) / 1000).toBeGreaterThanOrEqual(600);
  });

  it('fails with LoopLimitError after exactly max-loop loops', async () => {
    const fakes = new FakeStages({ check: () => succeed({ item: 'pending' }) });
    const result = await env.runToEnd({ workflow: 'until-never', fakes, yaml: untilYaml('until-never', 4) });
    expect(result.status).toBe('FAILED');
    const stage = result.context.jobs.poll!.stages['wait']!;
    expect(stage).toMatchObject({
      status: 'FAILED',
      error: { name: 'LoopLimitError', message: "'until' did not hold after 4 loops (max-loop); raise max-loop or fix the condition" },
    });
    expect(stage.outputs).toMatchObject({ loop: 4, item: 'pending' });
    expect(fakes.calls.map((c) => c.args[0])).toEqual(['1', '2', '3', '4']);
  });

  it('without an item output, a numeric item counts up each loop', async () => {
    const fakes = new FakeStages({ tick: () => succeed() });
    const result = await env.runToEnd({
      workflow: 'until-count',
      fakes,
      yaml: `
until-count:
  type: Workflow
  jobs:
    count:
      stages:
        - name: Count
          until: \${{ item >= 5 }}
          item: 2
          max-loop: 10
          stages:
            - name: Tick
              bash: tick \${{ item }}
`,
    });
    expect(result.status).toBe('SUCCESS');
    expect(result.context.jobs.count!.stages['count']!.outputs).toMatchObject({ loop: 3, item: 5 });
    expect(fakes.calls.map((c) => c.args[0])).toEqual(['2', '3', '4']);
  });
});
