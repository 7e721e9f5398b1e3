/** Shared set-up of activity-level tests: temporary workdir and trace dir, inputs. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, type ActivityConfig } from '../../../src/activities/index.js';
import type { PythonStageInput, StageAddress, UsesStageInput } from '../../../src/activities/types.js';

export interface Harness {
  readonly root: string;
  readonly config: ActivityConfig;
  readonly activities: ReturnType<typeof createActivities>;
  /** The run's trace file, '' when none was written. */
  trace(runId?: string): string;
  cleanup(): void;
}

export function harness(overrides: Partial<ActivityConfig> = {}): Harness {
  const root = mkdtempSync(join(tmpdir(), 'tf-activities-'));
  const config: ActivityConfig = {
    workdir: join(root, 'workspaces'),
    traceDir: join(root, 'traces'),
    tailBytes: 4096,
    killGraceMs: 500,
    heartbeatIntervalMs: 100,
    baseEnv: { PATH: process.env.PATH, HOME: process.env.HOME, TEMPOFLOW_SECRET_TOKEN: 'hidden' },
    ...overrides,
  };
  return {
    root,
    config,
    activities: createActivities(config),
    trace: (runId = 'run-1') => {
      try {
        return readFileSync(join(config.traceDir, `${runId}.log`), 'utf8');
      } catch {
        return '';
      }
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

const address: StageAddress = {
  runId: 'run-1',
  workflowName: 'wf',
  jobId: 'job-a',
  stageId: 'stage-x',
  stageName: 'Stage X',
  location: 'conf/workflows/wf.yml:10:9',
  attempt: 1,
};

export function pythonInput(code: string, extra: Partial<PythonStageInput> = {}): PythonStageInput {
  return { ...address, code, codeLine: 12, file: 'conf/workflows/wf.yml', env: {}, params: {}, vars: {}, context: {}, ...extra };
}

export function usesInput(uses: string, extra: Partial<UsesStageInput> = {}): UsesStageInput {
  return { ...address, location: 'conf/workflows/wf.yml:20:9', uses, with: {}, env: {}, params: {}, ...extra };
}

/** `env.run(fn, ...args)` with the activity's result type (the SDK's generic infers `unknown`). */
export function runActivity<A extends unknown[], R>(env: MockActivityEnvironment, fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return env.run(fn, ...args) as Promise<R>;
}
