import { describe, expect, it } from 'vitest';
import { startOnceAttributesAreMapped } from '../../../src/client/search-attributes.js';

/** The error the Temporal client throws for a start naming an attribute the namespace cache does not know yet. */
function notMapped(): Error {
  return new Error('Failed to start Workflow', { cause: new Error('3 INVALID_ARGUMENT: Namespace tf-ns has no mapping defined for search attribute TfWorkflow') });
}

describe('startOnceAttributesAreMapped', () => {
  it('starts again while the server has not mapped a just-registered attribute, then returns the start', async () => {
    let calls = 0;
    const waits: number[] = [];
    const result = await startOnceAttributesAreMapped(
      async () => {
        calls++;
        if (calls < 3) throw notMapped();
        return 'started';
      },
      15_000,
      async (ms) => {
        waits.push(ms);
      },
    );
    expect(result).toBe('started');
    expect(calls).toBe(3);
    expect(waits).toEqual([200, 400]);
  });

  it('throws any other error at once', async () => {
    let calls = 0;
    const refused = startOnceAttributesAreMapped(
      async () => {
        calls++;
        throw new Error('3 INVALID_ARGUMENT: workflow id is too long');
      },
      15_000,
      async () => undefined,
    );
    await expect(refused).rejects.toThrow(/too long/);
    expect(calls).toBe(1);
  });

  it('gives up after the wait and throws the server refusal', async () => {
    let calls = 0;
    const refused = startOnceAttributesAreMapped(
      async () => {
        calls++;
        throw notMapped();
      },
      500,
      (ms) => new Promise((r) => setTimeout(r, ms)),
    );
    await expect(refused).rejects.toThrow('Failed to start Workflow');
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(calls).toBeLessThanOrEqual(3);
  });
});
