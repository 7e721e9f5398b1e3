/**
 * The activity input of one attempt of an action stage (`bash`, `run`,
 * `uses`), rendered from its spec and expression context. Workflow code
 * builds it for a stage dispatched on its own (`workflows/stages/activity.ts`);
 * a stage batch (`dispatch: batch`, docs/semantics.md "Batch dispatch")
 * builds it on the worker (`activities/stage-batch.ts`), so both send a stage
 * the same input. Templates of secrets stay unrendered: the stage activity
 * renders them, limited to the secrets the stage's own YAML names
 * (docs/security.md).
 *
 * Pure module: safe to import from workflow code and from activities.
 */
import type { BashStageInput, PythonStageInput, StageAddress, UsesStageInput } from '../activities/types.js';
import { DEFER_SECRETS, renderDeep, renderTemplate, secretNamesIn, type ExpressionContext } from '../expressions/index.js';
import type { StageContext } from './context.js';
import { display, renderEnv } from './render.js';
import type { StageSpec } from './spec.js';

/** An action stage's spec. */
export type ActionStageSpec = Extract<StageSpec, { kind: 'bash' | 'run' | 'uses' }>;

/** Whether a stage is an action stage (one activity per attempt). */
export function isActionStage(stage: StageSpec): stage is ActionStageSpec {
  return stage.kind === 'bash' || stage.kind === 'run' || stage.kind === 'uses';
}

/** What an action stage's input needs of its job (a `JobRunInput` is one). */
export interface ActionStageJob {
  readonly runId: string;
  readonly workflowName: string;
  /** The YAML file, for error positions. */
  readonly file: string;
  readonly job: { readonly id: string; readonly env: Readonly<Record<string, string>> };
  readonly workflowEnv: Readonly<Record<string, string>>;
  readonly params: Record<string, unknown>;
  readonly matrix?: Record<string, unknown>;
  /** The `needs.*` namespace (a `run` stage sees it as `context.needs`). */
  readonly needs: Record<string, unknown>;
}

/** One attempt of an action stage: where it is and how it renders. */
export interface ActionStageAttempt {
  /** The stage's dotted path in its job (`prefix + id`). */
  readonly stageId: string;
  /** Rendered display name. */
  readonly name: string;
  readonly attempt: number;
  readonly ctx: ExpressionContext;
  readonly timeoutSeconds: number | undefined;
  /** The job's stage contexts so far (a `run` stage sees them as `context.stages`). */
  readonly jobStages: Record<string, StageContext>;
}

/** The activity to call for an attempt, and its input. */
export type ActionStageCall =
  | { readonly activity: 'bashStage'; readonly input: BashStageInput }
  | { readonly activity: 'pythonStage'; readonly input: PythonStageInput }
  | { readonly activity: 'usesStage'; readonly input: UsesStageInput };

/**
 * Renders the activity input of one attempt of `stage`.
 * @throws {ExpressionError} when a template cannot be rendered (the attempt then fails, positioned).
 */
export function actionStageCall(job: ActionStageJob, stage: ActionStageSpec, at: ActionStageAttempt): ActionStageCall {
  const { ctx, attempt } = at;
  const address: StageAddress = {
    runId: job.runId,
    workflowName: job.workflowName,
    jobId: job.job.id,
    stageId: at.stageId,
    stageName: at.name,
    location: stage.loc,
    attempt,
    secretNames: authoredSecrets(job, stage),
  };
  const stageEnv = (): Record<string, string> => renderEnv({ ...job.workflowEnv, ...job.job.env, ...stage.env }, ctx);
  const matrix = job.matrix ? { matrix: job.matrix } : {};
  const timeout = at.timeoutSeconds !== undefined ? { timeoutSeconds: at.timeoutSeconds } : {};
  switch (stage.kind) {
    case 'bash':
      return {
        activity: 'bashStage',
        input: {
          ...address,
          script: display(renderTemplate(stage.bash, ctx, DEFER_SECRETS)),
          env: stageEnv(),
          ...(stage.cwd ? { cwd: stage.cwd } : {}),
          params: job.params,
          ...matrix,
          ...timeout,
        },
      };
    case 'run':
      return {
        activity: 'pythonStage',
        input: {
          ...address,
          code: display(renderTemplate(stage.run, ctx, DEFER_SECRETS)),
          codeLine: stage.codeLine,
          file: job.file,
          env: stageEnv(),
          params: job.params,
          ...matrix,
          vars: renderDeep(stage.vars, ctx, DEFER_SECRETS) as Record<string, unknown>,
          context: {
            attempt,
            run_id: job.runId,
            workflow: job.workflowName,
            job: job.job.id,
            stage: stage.id,
            stages: at.jobStages,
            needs: job.needs,
          },
          ...timeout,
        },
      };
    case 'uses':
      return {
        activity: 'usesStage',
        input: {
          ...address,
          uses: display(renderTemplate(stage.uses, ctx)),
          with: renderDeep(stage.with, ctx, DEFER_SECRETS) as Record<string, unknown>,
          env: stageEnv(),
          params: job.params,
          ...matrix,
          ...timeout,
        },
      };
  }
}

/**
 * Names of the secrets a stage's YAML itself references (its script or code,
 * `vars`, `with`, and the workflow, job and stage `env`): the worker renders
 * no other secret, so a spliced value cannot smuggle `${{ secrets.X }}` in.
 */
export function authoredSecrets(job: ActionStageJob, stage: ActionStageSpec): string[] {
  const texts: string[] = [...Object.values(job.workflowEnv), ...Object.values(job.job.env), ...Object.values(stage.env)];
  const collect = (value: unknown): void => {
    if (typeof value === 'string') texts.push(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === 'object') Object.values(value).forEach(collect);
  };
  if (stage.kind === 'bash') texts.push(stage.bash);
  if (stage.kind === 'run') {
    texts.push(stage.run);
    collect(stage.vars);
  }
  if (stage.kind === 'uses') collect(stage.with);
  return [...new Set(texts.flatMap(secretNamesIn))];
}
