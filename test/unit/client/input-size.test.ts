/** A run whose input would not fit a Temporal payload is refused before anything starts. */
import { describe, expect, it } from 'vitest';
import { Workflow } from '../../../src/client/workflow.js';
import { WorkflowError } from '../../../src/errors.js';
import { writeConf } from '../../helpers/conf.js';

describe('run input size', () => {
  it('names the big param and says how to fix it, without connecting anywhere', async () => {
    const path = writeConf({ 'w.yml': 'big:\n  type: Workflow\n  params:\n    blob: str\n  jobs:\n    a:\n      stages: [{ echo: hi }]\n' });
    const wf = await Workflow.fromConf('big', { path });
    const err = await wf.execute({ blob: 'x'.repeat(3 * 1024 * 1024) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowError);
    expect((err as Error).message).toMatch(/over the 1572864 byte limit.*param 'blob' alone is \d+ bytes.*by reference/);
  });
});
