/** A stage batch's heartbeats (`stage-runtime.ts` `BatchHeartbeats`): the progress rides on each, at most one per interval, the newest last. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Context } from '@temporalio/activity';
import { BatchHeartbeats } from '../../../src/activities/stage-runtime.js';
import type { StageHeartbeat } from '../../../src/activities/output-window.js';

const beat = (stage: string): StageHeartbeat => ({ job: 'j', stage, attempt: 1, output: { seq: 0, lines: [] } });

function fakeContext(): { ctx: Context; sent: unknown[]; abort: () => void } {
  const sent: unknown[] = [];
  const controller = new AbortController();
  const ctx = { heartbeat: (d: unknown) => sent.push(d), cancellationSignal: controller.signal } as unknown as Context;
  return { ctx, sent, abort: () => controller.abort() };
}

afterEach(() => vi.useRealTimers());

describe('BatchHeartbeats', () => {
  it('sends the first at once, then the newest details and progress once per interval', () => {
    vi.useFakeTimers();
    const { ctx, sent } = fakeContext();
    let done = 0;
    const beats = new BatchHeartbeats(ctx, 1000, () => ({ done: Array.from({ length: done }, (_, i) => ({ id: `s${i}`, context: { status: 'SUCCESS', name: `s${i}`, outputs: {} } as never })) }));
    done = 1;
    beats.send(beat('s0'));
    expect(sent).toHaveLength(1);
    for (let i = 1; i <= 5; i++) {
      done = i + 1;
      beats.send(beat(`s${i}`));
    }
    expect(sent).toHaveLength(1); // within the interval: held
    vi.advanceTimersByTime(1000);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toMatchObject({ stage: 's5', batch: { done: { length: 6 } } });
    vi.advanceTimersByTime(5000);
    expect(sent).toHaveLength(2); // nothing new, nothing sent
    beats.close();
  });

  it('sends nothing after close, or once the activity is cancelled', () => {
    vi.useFakeTimers();
    const { ctx, sent } = fakeContext();
    const beats = new BatchHeartbeats(ctx, 1000, () => ({ done: [] }));
    beats.send(beat('a'));
    beats.send(beat('b'));
    beats.close();
    vi.advanceTimersByTime(2000);
    expect(sent).toHaveLength(1);
    const other = fakeContext();
    const cancelled = new BatchHeartbeats(other.ctx, 1000, () => ({ done: [] }));
    other.abort();
    cancelled.send(beat('a'));
    expect(other.sent).toHaveLength(0);
    cancelled.close();
  });
});
