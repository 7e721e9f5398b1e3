/**
 * Replay safety: recorded histories (matrix as children and inline, foreach/nested, trigger,
 * approval, continue-as-new, rerun, release, jobs and branches of every kind
 * running side by side) replay against the current workflow code. A non-deterministic change to workflow code fails here.
 * Re-record with `npx tsx scripts/record-histories.ts` only for intended
 * changes, guarded by `patched()` (ARCHITECTURE.md).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { activityConfigFromEnv } from '../../src/activities/index.js';
import { createSinks } from '../../src/worker/index.js';
import { tempDir, workflowBundlePath } from '../helpers/temporal.js';

const dir = resolve(import.meta.dirname, '../histories');

describe('replay', () => {
  it('every recorded history replays against the current workflow code', async () => {
    try {
      Runtime.install({ logger: new DefaultLogger('ERROR') });
    } catch {
      /* installed already */
    }
    // Histories recorded before a patch stay in a folder named after it (they replay on its old path) until its deprecatePatch.
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.json'))
      .sort();
    expect(files.filter((f) => !f.includes(sep)).length).toBeGreaterThanOrEqual(10);
    const histories = files.map((f) => ({ workflowId: f.replace(/\.json$/, ''), history: historyFromJSON(JSON.parse(readFileSync(join(dir, f), 'utf8'))) }));
    const failures: string[] = [];
    // The worker's sinks are registered as on a real worker; they are not called during replay.
    const sinks = createSinks(activityConfigFromEnv(process.env, tempDir('tf-replay-')));
    for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: workflowBundlePath() }, sinks }, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
  });
});
