/**
 * Workflows of bench/overhead: tempoflow's own (re-exported) and a
 * hand-written baseline that calls the same stage activities directly, one
 * after another, with no interpreter around them.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../src/activities/index.js';

export * from '../src/workflows/index.js';

const acts = proxyActivities<Activities>({ startToCloseTimeout: '10 minutes', heartbeatTimeout: '10s' });

/** Input of the baseline: which action, how many stages in a row. */
export interface BaselineInput {
  readonly kind: 'bash' | 'run' | 'uses';
  readonly n: number;
  readonly runId: string;
}

/** Runs `n` stage activities in sequence, as a hand-written Temporal workflow would. */
export async function baselineStages(input: BaselineInput): Promise<number> {
  let ok = 0;
  for (let i = 0; i < input.n; i++) {
    const address = { runId: input.runId, workflowName: 'baseline', jobId: 'main', stageId: `s${i}`, stageName: `s${i}`, location: 'bench:1:1', attempt: 1 };
    const common = { env: {}, params: {} };
    const result =
      input.kind === 'bash'
        ? await acts.bashStage({ ...address, ...common, script: 'true' })
        : input.kind === 'run'
          ? await acts.pythonStage({ ...address, ...common, code: 'x = 1', codeLine: 1, file: 'bench', vars: {}, context: {} })
          : await acts.usesStage({ ...address, ...common, uses: 'tasks/noop@v1', with: {} });
    if (result.ok) ok++;
  }
  return ok;
}
