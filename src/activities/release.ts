/**
 * Prepares a release on the worker: workflow code never reads files or the
 * environment, so the release workflow asks this activity for the current
 * YAML (validated), the params rendered with `release.*` and parameterized,
 * and the worker-side settings (auditing, job parallelism, which search
 * attributes the server has).
 */
import { auditConfigFromEnv, type AuditConfig } from '../audit/store.js';
import { defaultMaxJobParallel } from '../config/run-settings.js';
import type { ErrorInfo } from '../engine/context.js';
import type { ReleaseInfo } from '../engine/release.js';
import { runSearchAttributeValues, type SearchAttributeValue } from '../engine/search-attributes.js';
import type { WorkflowSpec } from '../engine/spec.js';
import { StageErrorName } from '../engine/stage-errors.js';
import { WorkflowError } from '../errors.js';
import { ExpressionError, renderDeep } from '../expressions/index.js';
import { loadWorkflowByName } from './load-workflow.js';
import type { AvailableAttributes } from './search-attributes.js';

/** Input of `prepareRelease`. */
export interface PrepareReleaseInput {
  readonly workflow: string;
  /** The conf path of whoever released it; used when it exists on this worker, else `WORKFLOW_CORE_CONF_PATH`. */
  readonly confPath?: string;
  /** The `release.*` namespace. */
  readonly release: ReleaseInfo;
  /** Caller params (may hold `${{ release.* }}`); they win over the schedule entry's. */
  readonly params: Readonly<Record<string, unknown>>;
  /** For schedule-fired releases: the cron entry, whose `params:` apply. */
  readonly schedule?: { readonly cron: string; readonly timezone: string };
  /** A run's snapshot to use instead of loading the YAML (RERUN): spec and parameterized params. */
  readonly snapshot?: { readonly spec: WorkflowSpec; readonly params: Record<string, unknown> };
}

/** The release, ready to run; or why it cannot (never retried). */
export type PrepareReleaseResult =
  | {
      readonly ok: true;
      readonly spec: WorkflowSpec;
      readonly params: Record<string, unknown>;
      /** `WORKFLOW_CORE_AUDIT_ENABLED` of this worker. */
      readonly auditEnabled: boolean;
      /** `WORKFLOW_CORE_MAX_JOB_PARALLEL` of this worker (default 2). */
      readonly maxJobParallel: number;
      /** The run's search attributes, limited to those the server has. */
      readonly searchAttributes: SearchAttributeValue[];
    }
  | { readonly ok: false; readonly error: ErrorInfo };

export interface ReleaseActivityConfig {
  readonly audit?: AuditConfig;
  readonly baseEnv: NodeJS.ProcessEnv;
  /** The worker's conf path, used when the releaser's is not on this worker. */
  readonly confPath?: string;
}

/** Loads the YAML and renders the params of a release (pure apart from reading the conf tree). */
export function loadRelease(input: PrepareReleaseInput, workerConfPath?: string): { spec: WorkflowSpec; params: Record<string, unknown> } | { error: ErrorInfo } {
  if (input.snapshot) return { spec: input.snapshot.spec, params: input.snapshot.params };
  const loaded = loadWorkflowByName(
    {
      name: input.workflow,
      ...(input.confPath ? { confPath: input.confPath } : {}),
      params: (spec) => {
        let entryParams: Readonly<Record<string, unknown>> = {};
        if (input.schedule) {
          const entry = spec.schedules.find((s) => s.cron.trim() === input.schedule!.cron.trim() && s.timezone === input.schedule!.timezone);
          if (!entry) {
            return {
              error: {
                name: 'ScheduleEntryGone',
                message: `workflow '${input.workflow}' (${spec.file}) has no cron entry '${input.schedule.cron}' in ${input.schedule.timezone} any more; this schedule is an orphan: run \`tempoflow schedule sync\` to delete it`,
              },
            };
          }
          entryParams = entry.params;
        }
        const values = { release: input.release };
        try {
          return {
            params: {
              ...(renderDeep(entryParams, { values }) as Record<string, unknown>),
              ...(renderDeep(input.params, { values }) as Record<string, unknown>),
            },
          };
        } catch (err) {
          if (err instanceof ExpressionError) return { error: { name: StageErrorName.ExpressionError, message: `release params of '${input.workflow}': ${err.message}` } };
          throw err;
        }
      },
    },
    workerConfPath,
  );
  return loaded.ok ? { spec: loaded.spec, params: loaded.params } : { error: loaded.error };
}

export function createReleaseActivities(config: ReleaseActivityConfig, availableAttributes: AvailableAttributes) {
  return {
    /** Loads, validates and renders a release; see {@link PrepareReleaseInput}. */
    async prepareRelease(input: PrepareReleaseInput): Promise<PrepareReleaseResult> {
      const loaded = loadRelease(input, config.confPath);
      if ('error' in loaded) return { ok: false, error: loaded.error };
      let maxJobParallel: number;
      try {
        maxJobParallel = defaultMaxJobParallel(config.baseEnv);
      } catch (err) {
        if (err instanceof WorkflowError) return { ok: false, error: { name: err.name, message: `this worker's ${err.message}` } };
        throw err;
      }
      const available = await availableAttributes();
      return {
        ok: true,
        spec: loaded.spec,
        params: loaded.params,
        auditEnabled: (config.audit ?? auditConfigFromEnv(config.baseEnv)).enabled,
        maxJobParallel,
        searchAttributes: runSearchAttributeValues(available, { workflow: loaded.spec.name, releaseType: input.release.type, releaseTime: input.release.logical_date }),
      };
    },
  };
}
