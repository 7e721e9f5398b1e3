/**
 * The subprocess stage activities: `bash` (a script under `bash
 * --noprofile --norc -eo pipefail`) and `run` (Python 3 through the runner
 * of `python.ts`), each in the job workspace under the supervisor of
 * `process.ts`. A stage's own failure (exit code, exception, timeout) is
 * returned, not thrown (ARCHITECTURE.md, "Two kinds of retry").
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { ActivityFailureType, StageErrorName } from '../engine/stage-errors.js';
import { capOutputs, capWarning, OUTPUT_CAP_BYTES } from './outputs.js';
import { parseRunnerReport, PYTHON_RESULT_ENV, PYTHON_RUNNER, pythonAttemptResult, pythonExecutable, pythonRunnerInput } from './python.js';
import { renderStageSecrets } from './secrets.js';
import { safeSegment, stageDirs, stageEnv } from './stage-env.js';
import { readSmallFile, timeoutResult, type StageRuntime } from './stage-runtime.js';
import type { BashStageInput, PythonStageInput, StageAttemptResult } from './types.js';

/** Runs a `bash` stage attempt. Non-zero exit and timeout are returned, not thrown. */
export async function bashStage(rt: StageRuntime, raw: BashStageInput): Promise<StageAttemptResult> {
  const { config, secrets, openTrace, superviseStage } = rt;
  const ctx = Context.current();
  const rendered = renderStageSecrets(raw, ['script', 'env'], secrets);
  if (!rendered.ok) return rendered.result;
  const input = rendered.input;
  const { workspace, scriptDir } = stageDirs(config, input);
  // Unique per attempt: combinations of one job run the same stage at once.
  const scriptPath = join(scriptDir, `${safeSegment(input.jobId)}.${safeSegment(input.stageId)}.${input.attempt}.${randomUUID().slice(0, 8)}.sh`);
  writeFileSync(scriptPath, input.script, { mode: 0o600 });
  // A script holding secret values does not stay on disk after the stage.
  const holdsSecrets = input.script !== raw.script;
  const cwd = input.cwd ? resolve(workspace, input.cwd) : workspace;
  if (input.cwd && cwd !== workspace && !cwd.startsWith(`${workspace}${sep}`)) {
    throw ApplicationFailure.nonRetryable(`cwd '${input.cwd}' leaves the job workspace (${input.location})`, ActivityFailureType.INVALID_STAGE);
  }
  mkdirSync(cwd, { recursive: true });
  const env = stageEnv(config.baseEnv, input, workspace);

  const outcome = await superviseStage(ctx, input, openTrace(input), ['bash', '--noprofile', '--norc', '-eo', 'pipefail', scriptPath], cwd, env).finally(() => {
    if (holdsSecrets) rmSync(scriptPath, { force: true });
  });
  const outputs = { return_code: outcome.exitCode ?? -1, stdout: outcome.stdout, stderr: outcome.stderr };
  if (outcome.timedOut) return timeoutResult(input, outputs, 'its process group was killed');
  if (outcome.exitCode !== 0) {
    const lastLine = outcome.stderr.trimEnd().split('\n').pop() ?? '';
    return {
      ok: false,
      outputs,
      error: {
        name: StageErrorName.BashExitError,
        message: `bash exited with code ${outcome.exitCode ?? `signal ${outcome.signal}`}${lastLine ? `: ${lastLine.slice(0, 500)}` : ''}`,
        job: input.jobId,
        stage: input.stageId,
        location: input.location,
      },
    };
  }
  return { ok: true, outputs };
}

/**
 * Runs a `run` stage attempt: Python 3 code in a supervised subprocess
 * (see `python.ts`). Exceptions, non-zero `SystemExit` and timeouts are
 * returned, not thrown; invalid `vars` names are returned non-retryable.
 */
export async function pythonStage(rt: StageRuntime, raw: PythonStageInput): Promise<StageAttemptResult> {
  const { config, secrets, openTrace, superviseStage } = rt;
  const ctx = Context.current();
  const rendered = renderStageSecrets(raw, ['code', 'vars', 'env'], secrets);
  if (!rendered.ok) return rendered.result;
  const input = rendered.input;
  const { workspace, scriptDir } = stageDirs(config, input);
  const base = join(scriptDir, `${safeSegment(input.jobId)}.${safeSegment(input.stageId)}.${input.attempt}.${randomUUID().slice(0, 8)}`);
  const inputPath = `${base}.input.json`;
  const resultPath = `${base}.result.json`;
  const python = config.python ?? pythonExecutable(config.baseEnv);
  const trace = openTrace(input);
  try {
    writeFileSync(inputPath, JSON.stringify(pythonRunnerInput(input, workspace, OUTPUT_CAP_BYTES)), { mode: 0o600 });
    const env = { ...stageEnv(config.baseEnv, input, workspace), [PYTHON_RESULT_ENV]: resultPath };
    const outcome = await superviseStage(ctx, input, trace, [python, '-c', PYTHON_RUNNER, inputPath], workspace, env);
    const logs = { stdout: outcome.stdout, stderr: outcome.stderr };
    if (outcome.timedOut) return { ...timeoutResult(input, {}, 'the Python interpreter and its process group were killed'), logs };
    const report = parseRunnerReport(readSmallFile(resultPath, 16 * 1024 * 1024));
    for (const warning of report?.warnings ?? []) trace.event(`warning: ${warning}`);
    if (!report && outcome.exitCode === 0) trace.event('warning: python exited with code 0 without reporting a result (os._exit?); outputs are {}');
    const result = pythonAttemptResult(input, outcome, report, python);
    const capped = capOutputs(result.outputs);
    const warning = capWarning(capped);
    if (warning) trace.event(`warning: ${warning}`);
    if (!result.ok) trace.event(`failed: ${result.error?.name}: ${result.error?.message.split('\n', 1)[0]}`);
    return { ...result, outputs: capped.outputs, logs };
  } finally {
    for (const path of [inputPath, resultPath, `${resultPath}.tmp`]) rmSync(path, { force: true });
  }
}
