/**
 * Worker bootstrap: one worker per task queue, serving the interpreter
 * workflow (from the prebuilt bundle) and the stage activities.
 */
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { activityConfigFromEnv, createActivities, type ActivityConfig } from '../activities/index.js';
import { TaskRegistry, taskModulesFromEnv } from '../activities/registry.js';
import { dataConverterFromEnv } from '../codec/index.js';
import { workflowBundleOptions } from './bundle-options.js';
import { createSinks } from './sinks.js';

export { createSinks } from './sinks.js';

/** Default task queue of stages and runs. */
export const DEFAULT_TASK_QUEUE = 'tempoflow';

export interface TempoflowWorkerOptions {
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly taskQueue?: string;
  /** Stage activities running at once (default 2 × cores). */
  readonly maxConcurrentStages?: number;
  readonly activityConfig?: ActivityConfig;
  /**
   * Modules whose exported tasks (`defineTask`) `uses:` stages can call:
   * package names or paths (relative to the worker's cwd; `.ts` under tsx).
   * Default: `WORKFLOW_CORE_REGISTRY_CALLER`, comma-separated. Added to the
   * tasks of `activityConfig.tasks`, if any. A module that fails to load or
   * exports no task fails worker creation.
   */
  readonly taskModules?: readonly string[];
  /** Path of a prebuilt workflow bundle; default `TEMPOFLOW_WORKFLOW_BUNDLE` or the packaged one. */
  readonly workflowBundlePath?: string;
  /**
   * Payload codecs and failure converter; default `dataConverterFromEnv()`
   * (AES-256-GCM when `TEMPOFLOW_CODEC_KEY` is set). With a
   * `failureConverterPath` and no explicit bundle, the workflow code is
   * bundled at start with that converter, so workflow failure messages are
   * encoded too (a prebuilt bundle must have been built with it).
   */
  readonly dataConverter?: DataConverter;
  /** How long a shutdown waits for running stages (default 10 s). */
  readonly shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
  /** Sticky queue timeout (tests shorten it so a killed worker's runs move fast). */
  readonly stickyQueueScheduleToStartTimeout?: WorkerOptions['stickyQueueScheduleToStartTimeout'];
  /** Forwarded to the SDK (e.g. `maxCachedWorkflows`). */
  readonly extra?: Partial<WorkerOptions>;
}

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Where the workflow code comes from: a prebuilt bundle when one exists
 * (built by `npm run build`), else the workflow sources, bundled at start.
 */
export function workflowSource(explicitBundle?: string, options: { preferSources?: boolean } = {}): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath' | 'bundlerOptions'> {
  const bundle = explicitBundle ?? process.env.TEMPOFLOW_WORKFLOW_BUNDLE;
  if (bundle) return { workflowBundle: { codePath: resolve(bundle) } };
  // Compiled layout: dist/src/worker/index.js -> dist/workflow-bundle.js
  const packaged = resolve(here, '../../workflow-bundle.js');
  if (existsSync(packaged) && !options.preferSources) return { workflowBundle: { codePath: packaged } };
  const sources = [resolve(here, '../workflows/index.ts'), resolve(here, '../workflows/index.js')].find((p) => existsSync(p));
  if (!sources) throw new Error('no workflow bundle and no workflow sources found; run `npm run build`');
  const { workflowsPath, preloadModules } = workflowBundleOptions(sources);
  return { workflowsPath, bundlerOptions: { preloadModules } };
}

/** The activities' task registry: `activityConfig.tasks` plus the tasks of `taskModules`. */
export async function loadTaskRegistry(taskModules: readonly string[], base?: TaskRegistry): Promise<TaskRegistry> {
  if (taskModules.length === 0 && base) return base;
  const registry = new TaskRegistry();
  for (const task of base?.list() ?? []) registry.register(task);
  return registry.importModules(taskModules);
}

/** Runs kept in a worker's sticky cache by default. */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 200;

/** Creates (does not start) a tempoflow worker. */
export async function createWorker(options: TempoflowWorkerOptions): Promise<Worker> {
  const maxConcurrentStages = options.maxConcurrentStages ?? 2 * cpus().length;
  const activityConfig = options.activityConfig ?? activityConfigFromEnv();
  const tasks = await loadTaskRegistry(options.taskModules ?? taskModulesFromEnv(), activityConfig.tasks);
  // A broken secrets file stops the worker here rather than failing every stage.
  for (const warning of activityConfig.secrets?.load().warnings ?? []) Runtime.instance().logger.warn(`secrets: ${warning}`);
  const dataConverter = options.dataConverter ?? dataConverterFromEnv();
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
    ...workflowSource(options.workflowBundlePath, { preferSources: Boolean(dataConverter?.failureConverterPath) }),
    ...(dataConverter ? { dataConverter } : {}),
    activities: createActivities({ ...activityConfig, tasks }),
    sinks: createSinks(activityConfig),
    maxConcurrentActivityTaskExecutions: maxConcurrentStages,
    shutdownGraceTime: options.shutdownGraceTime ?? '10s',
    // Heartbeats carry cancellation to running stages: flush them at least
    // every second so a cancel or a run timeout stops a stage promptly.
    maxHeartbeatThrottleInterval: '1s',
    // The SDK sizes the sticky cache from the heap (thousands of runs); a
    // bounded cache keeps the worker's memory flat under wide fan-outs, at the
    // cost of replaying a run that was evicted (TEMPOFLOW_MAX_CACHED_WORKFLOWS).
    maxCachedWorkflows: Number(process.env.TEMPOFLOW_MAX_CACHED_WORKFLOWS) || DEFAULT_MAX_CACHED_WORKFLOWS,
    ...(options.stickyQueueScheduleToStartTimeout ? { stickyQueueScheduleToStartTimeout: options.stickyQueueScheduleToStartTimeout } : {}),
    ...options.extra,
  });
}
