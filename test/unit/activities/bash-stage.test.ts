import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { BashStageInput } from '../../../src/activities/types.js';
import { harness, runActivity, pythonInput, type Harness } from './helpers.js';

let h: Harness;
afterEach(() => h?.cleanup());

function bashInput(script: string, extra: Partial<BashStageInput> = {}): BashStageInput {
  const { code: _code, codeLine: _line, file: _file, vars: _vars, context: _context, ...address } = pythonInput('');
  return { ...address, script, ...extra };
}

describe('bashStage (after the helpers were shared with run and uses)', () => {
  it('returns return_code, stdout and stderr, and sees the TF_* environment', async () => {
    h = harness();
    const result = await runActivity(
      new MockActivityEnvironment(),
      h.activities.bashStage,
      bashInput('echo "$TF_PARAM_DAY $TF_MATRIX_SHARD $TF_ATTEMPT ${TEMPOFLOW_SECRET_TOKEN:-none} $MY"; echo err >&2', {
        params: { day: 'mon' },
        matrix: { shard: 2 },
        env: { MY: 'var' },
        attempt: 2,
      }),
    );
    expect(result).toEqual({ ok: true, outputs: { return_code: 0, stdout: 'mon 2 2 none var\n', stderr: 'err\n' } });
    expect(h.trace()).toMatch(/start attempt 2\n\[wf\] \[job-a\] \[stage-x\] mon 2 2 none var\n/);
    // One script file per attempt, unique (combinations of a job run the same stage at once).
    expect(readdirSync(join(h.config.workdir, 'run-1', '.scripts'))).toEqual([expect.stringMatching(/^job-a\.stage-x\.2\.[0-9a-f]{8}\.sh$/)]);
  });

  it('fails on a non-zero exit with the last stderr line', async () => {
    h = harness();
    const result = await runActivity(new MockActivityEnvironment(), h.activities.bashStage, bashInput('echo no such thing >&2; exit 4'));
    expect(result).toMatchObject({ ok: false, outputs: { return_code: 4 }, error: { name: 'BashExitError', message: 'bash exited with code 4: no such thing' } });
  });

  it('fails on its timeout', async () => {
    h = harness();
    const result = await runActivity(new MockActivityEnvironment(), h.activities.bashStage, bashInput('sleep 20', { timeoutSeconds: 0.3 }));
    expect(result).toMatchObject({ ok: false, error: { name: 'TimeoutError', message: 'stage timed out after 0.3 s (attempt 1); its process group was killed' } });
  });
});
