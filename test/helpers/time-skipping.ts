/**
 * Helpers for workflow-level tests (test/workflow): the real `tempoflowRun`
 * workflow under Temporal's time-skipping test server, with fake stage
 * activities, so retry backoffs, timeouts and approval waits of hours take
 * milliseconds.
 *
 * What the test server skips: whenever no workflow task, activity or query
 * is outstanding and a client waits on a result (`handle.result()` through
 * the environment's client), its clock jumps to the next timer. It never
 * skips while an activity is scheduled or running: a timeout that fires
 * during a running stage passes in real time.
 */
import { randomBytes } from 'node:crypto';
import { ApplicationFailure, Context, activityInfo } from '@temporalio/activity';
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, beforeEach, inject } from 'vitest';
import { createActivities, type Activities } from '../../src/activities/index.js';
import type { BashStageInput, StageAttemptResult } from '../../src/activities/types.js';
import { awaitResult, type Result } from '../../src/client/result.js';
import { Workflow } from '../../src/client/workflow.js';
import type { RunContext } from '../../src/engine/context.js';
import { createWorker } from '../../src/worker/index.js';
import { RUN_WORKFLOW_TYPE, statusQuery, type RunInput } from '../../src/workflows/definitions.js';
import { writeConf } from './conf.js';
import { eventually } from './processes.js';
import { tempDir, testActivityConfig } from './temporal.js';

let runtimeInstalled = false;
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    // Core's own warnings too: the test server advertises fewer capabilities
    // than a real one, and core says so once per worker.
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
  } catch {
    /* already installed in this process */
  }
}

/** One call of a fake stage activity, as the worker saw it. */
export interface StageCall {
  readonly job: string;
  /** Dotted stage path (`wait.2.check`: stage `check` in loop 2 of the `until` stage `wait`). */
  readonly stage: string;
  /** The stage's own attempt (`TF_ATTEMPT`), 1-based. */
  readonly attempt: number;
  /** The rendered script, trimmed. */
  readonly script: string;
  /** Its words after the first (the fake's arguments). */
  readonly args: readonly string[];
  /** Server time at which this activity was scheduled, ms: skipped time shows here. */
  readonly scheduledMs: number;
  /** The input the workflow sent. */
  readonly input: BashStageInput;
}

/** A fake `bash` stage: decides an attempt's outcome from its call. */
export type FakeStage = (call: StageCall, context: Context) => StageAttemptResult | Promise<StageAttemptResult>;

/** A successful attempt with these outputs. */
export function succeed(outputs: Record<string, unknown> = {}): StageAttemptResult {
  return { ok: true, outputs: { return_code: 0, stdout: '', stderr: '', ...outputs } };
}

/** A failed attempt, shaped like the real `bash` activity's for a non-zero exit. */
export function exitWith(call: StageCall, code: number, stderr = `exit ${code}`): StageAttemptResult {
  return {
    ok: false,
    outputs: { return_code: code, stdout: '', stderr },
    error: { name: 'BashExitError', message: `bash exited with code ${code}: ${stderr}`, job: call.job, stage: call.stage, location: call.input.location },
  };
}

/**
 * Waits, heartbeating, until the workflow cancels this activity, then throws
 * the cancellation (as the real activities do). A stage that never ends.
 */
export async function untilCancelled(_call: StageCall, context: Context): Promise<never> {
  const beat = setInterval(() => context.heartbeat(), 100);
  try {
    await context.cancelled;
  } finally {
    clearInterval(beat);
  }
  throw new Error('unreachable: context.cancelled only rejects');
}

/**
 * Fake stage activities. A `bash:` stage's rendered script names its fake:
 * the whole script, else its first word (`item a` → fake `item`, args `['a']`).
 * Every call is recorded; a script with no fake fails the run loudly.
 * `run:` and `uses:` stages are not faked and fail the same way.
 */
export class FakeStages {
  readonly calls: StageCall[] = [];

  constructor(private readonly fakes: Readonly<Record<string, FakeStage>>) {}

  /** Calls of one stage (by dotted path), in order. */
  of(stage: string): StageCall[] {
    return this.calls.filter((c) => c.stage === stage);
  }

  /**
   * The activities a worker registers: the real control activities
   * (`requestRunCancellation`, `prepareTriggeredRun`, …) and fake stage
   * activities that hand each call to the fakes of its run.
   */
  static router(real: Activities, fakesOf: (workflowId: string) => FakeStages | undefined): Activities {
    // Non-retryable, so the stage fails at once instead of Temporal retrying it until the run's deadline.
    const unsupported = async (input: { jobId: string; stageId: string }): Promise<never> => {
      throw ApplicationFailure.nonRetryable(`no fake for stage ${input.jobId}.${input.stageId}: workflow-level tests fake bash stages only`, 'NoFakeStage');
    };
    return {
      ...real,
      bashStage: async (input: BashStageInput): Promise<StageAttemptResult> => {
        const info = activityInfo();
        const workflowId = info.workflowExecution?.workflowId ?? '';
        const fakes = fakesOf(workflowId);
        if (!fakes) throw ApplicationFailure.nonRetryable(`no fakes registered for workflow '${workflowId}'`, 'NoFakeStage');
        return fakes.call(input, info.currentAttemptScheduledTimestampMs);
      },
      pythonStage: unsupported,
      usesStage: unsupported,
    };
  }

  /** Records a call and hands it to its fake. */
  private call(input: BashStageInput, scheduledMs: number): StageAttemptResult | Promise<StageAttemptResult> {
    const script = input.script.trim();
    const [word = '', ...args] = script.split(/\s+/);
    const fake = this.fakes[script] ?? this.fakes[word];
    const call: StageCall = { job: input.jobId, stage: input.stageId, attempt: input.attempt, script, args, scheduledMs, input };
    this.calls.push(call);
    if (!fake) throw ApplicationFailure.nonRetryable(`no fake for script '${script}' (stage ${input.jobId}.${input.stageId}); known: ${Object.keys(this.fakes).join(', ')}`, 'NoFakeStage');
    return fake(call, Context.current());
  }
}

/** What a scenario needs: one workflow's YAML, its params, its fakes. */
export interface Scenario {
  /** The YAML of a conf file holding the workflow. */
  readonly yaml: string;
  /** The workflow's name in it. */
  readonly workflow: string;
  readonly params?: Readonly<Record<string, unknown>>;
  readonly fakes: FakeStages;
  /** Run timeout in seconds (else the workflow's `timeout`, else 3600, as `execute()`; `WORKFLOW_CORE_*` are not read). */
  readonly timeoutSeconds?: number;
  /** Other RunInput fields (e.g. `activity` tuning). */
  readonly input?: Partial<Pick<RunInput, 'activity' | 'maxJobParallel' | 'limits'>>;
}

/** A started run. */
export interface StartedRun {
  /** Follows continue-as-new: `describe()` and `result()` reach the latest execution. */
  readonly handle: WorkflowHandleWithFirstExecutionRunId;
  readonly runId: string;
  /**
   * Waits for the end and decodes it as `execute()` does (`client/result.ts`).
   * Time is skipped while this waits.
   */
  result(): Promise<Result>;
  /** The live run context (`status` query). */
  status(): Promise<RunContext>;
}

/**
 * Builds the run's input from the YAML as `Workflow.execute()` does: load and
 * validate from a conf tree, parameterize, then the same fields and defaults.
 */
export async function runInputFor(scenario: Scenario): Promise<RunInput> {
  const confPath = writeConf({ 'workflow.yml': scenario.yaml });
  const wf = await Workflow.fromConf(scenario.workflow, { path: confPath });
  return {
    spec: wf.spec,
    params: wf.parameterize(scenario.params ?? {}),
    runId: `${wf.name}-${randomBytes(4).toString('hex')}`,
    timeoutSeconds: scenario.timeoutSeconds ?? wf.spec.timeoutSeconds ?? 3600,
    maxJobParallel: 2,
    extras: {},
    confPath: wf.confPath,
    ...scenario.input,
  };
}

/**
 * A time-skipping test server (one JVM) and one worker with the real workflow
 * bundle for a test file. The worker's stage activities are fakes, routed to
 * each run's {@link FakeStages} by workflow id (child workflows included).
 */
export class WorkflowTestEnv {
  /** Fakes of the runs started so far, by run id. */
  private readonly fakesByRun = new Map<string, FakeStages>();

  private constructor(
    readonly env: TestWorkflowEnvironment,
    private readonly worker: Worker,
    private readonly workerRun: Promise<void>,
    readonly taskQueue: string,
  ) {}

  /** Starts the server and the worker. Throws, with what to install, when the global setup found no test server. */
  static async start(): Promise<WorkflowTestEnv> {
    const problem = inject('testServerProblem');
    const path = inject('testServerPath');
    if (problem || !path) {
      throw new Error(
        `Temporal's test server is not available, so the workflow-level tests cannot run.\n${problem}\n` +
          'Install Java 11+ and Maven, then run `bash scripts/setup-test-server.sh` (or `npm test`, which runs it).',
      );
    }
    quietRuntime();
    const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
    try {
      const taskQueue = `wf-${randomBytes(4).toString('hex')}`;
      const holder: { self?: WorkflowTestEnv } = {};
      const real = createActivities(testActivityConfig(tempDir('tf-wf-')));
      const worker = await createWorker({
        connection: env.nativeConnection,
        namespace: env.namespace ?? 'default',
        taskQueue,
        workflowBundlePath: inject('workflowBundlePath'),
        shutdownGraceTime: '1s',
        extra: { activities: FakeStages.router(real, (workflowId) => holder.self?.fakesOf(workflowId)) },
      });
      holder.self = new WorkflowTestEnv(env, worker, worker.run(), taskQueue);
      return holder.self;
    } catch (err) {
      await env.teardown();
      throw err;
    }
  }

  /** The fakes of the run a workflow belongs to (its own id, or a child's `<run id>.…`). */
  private fakesOf(workflowId: string): FakeStages | undefined {
    for (const [runId, fakes] of this.fakesByRun) if (workflowId === runId || workflowId.startsWith(`${runId}.`)) return fakes;
    return undefined;
  }

  /** Starts the scenario's run and hands it to `body`. */
  async withRun<T>(scenario: Scenario, body: (run: StartedRun) => Promise<T>): Promise<T> {
    const input = await runInputFor(scenario);
    this.fakesByRun.set(input.runId, scenario.fakes);
    const handle = await this.env.client.workflow.start(RUN_WORKFLOW_TYPE, {
      workflowId: input.runId,
      taskQueue: this.taskQueue,
      args: [input],
      staticSummary: `tempoflow: ${input.spec.name}`,
    });
    return body({
      handle,
      runId: input.runId,
      result: () => awaitResult(handle, input.runId),
      status: () => handle.query(statusQuery),
    });
  }

  /** Runs the scenario to its end and returns its `Result`. */
  async runToEnd(scenario: Scenario): Promise<Result> {
    return this.withRun(scenario, (run) => run.result());
  }

  /** Stops the worker and the server. */
  async teardown(): Promise<void> {
    if (this.worker.getState() === 'RUNNING') this.worker.shutdown();
    await this.workerRun.catch(() => undefined);
    await this.env.teardown();
  }
}

/**
 * Starts a {@link WorkflowTestEnv} before this file's tests and stops it
 * after them. When it cannot start (no test server: Java or Maven missing),
 * every test of the file fails with the reason, so the count of failed tests
 * says so too.
 */
export function useWorkflowTestEnv(): Pick<WorkflowTestEnv, 'runToEnd' | 'withRun'> {
  let env: WorkflowTestEnv | undefined;
  let problem: unknown;
  beforeAll(async () => {
    try {
      env = await WorkflowTestEnv.start();
    } catch (err) {
      problem = err;
    }
  });
  beforeEach(() => {
    if (problem !== undefined) throw problem;
  });
  afterAll(async () => {
    await env?.teardown();
  });
  const current = (): WorkflowTestEnv => {
    if (!env) throw new Error('the workflow test environment is not started');
    return env;
  };
  return {
    runToEnd: (scenario) => current().runToEnd(scenario),
    withRun: (scenario, body) => current().withRun(scenario, body),
  };
}

/** Polls the `status` query until `check` holds (real time; no time is skipped meanwhile). */
export async function waitForStatus(run: StartedRun, check: (context: RunContext) => boolean, timeoutMs = 20_000): Promise<RunContext> {
  let last: RunContext | undefined;
  const ok = await eventually(async () => {
    last = await run.status().catch(() => undefined);
    return last !== undefined && check(last);
  }, timeoutMs);
  if (!ok) throw new Error(`the run's status never matched within ${timeoutMs} ms; last: ${JSON.stringify(last)?.slice(0, 2000)}`);
  return last!;
}

/** Seconds between two ISO times of a context (workflow time, which is the skipped clock). */
export function secondsBetween(start: string | undefined, end: string | undefined): number {
  if (!start || !end) throw new Error(`missing time: start ${start}, end ${end}`);
  return (Date.parse(end) - Date.parse(start)) / 1000;
}
