/**
 * Helpers for integration tests: the shared dev server's address, the
 * shared workflow bundle, a unique task queue per test, in-process workers
 * with short timeouts, and temporary conf trees.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import { activityConfigFromEnv, type ActivityConfig } from '../../src/activities/index.js';
import { TempoflowRuntime } from '../../src/client/runtime.js';
import { createWorker } from '../../src/worker/index.js';

let runtimeInstalled = false;
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    /* already installed in this process */
  }
}

/** A task queue no other test uses. */
export function uniqueTaskQueue(prefix = 'test'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A temporary directory for a test. */
export function tempDir(prefix = 'tf-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export { writeConf } from './conf.js';

/** Address of the suite's dev server. */
export function temporalAddress(): string {
  return inject('temporalAddress');
}

/** Path of the suite's workflow bundle. */
export function workflowBundlePath(): string {
  return inject('workflowBundlePath');
}

/** Activity config for tests: files under `dir`, fast kills and heartbeats. */
export function testActivityConfig(dir: string, overrides: Partial<ActivityConfig> = {}): ActivityConfig {
  return {
    ...activityConfigFromEnv(process.env, dir),
    killGraceMs: 500,
    heartbeatIntervalMs: 300,
    ...overrides,
  };
}

/** A client runtime bound to the suite's server and a task queue (no worker). */
export async function testRuntime(taskQueue: string, options: { dataConverter?: DataConverter } = {}): Promise<TempoflowRuntime> {
  quietRuntime();
  return TempoflowRuntime.connect({ server: { address: temporalAddress() }, taskQueue, inProcessWorker: false, ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}) });
}

/** Options of {@link testWorker} and {@link withWorker} beyond the activity config. */
export interface TestWorkerOptions {
  /** Data converter of the worker (and, in `withWorker`, of the client). */
  readonly dataConverter?: DataConverter;
  /** Another workflow bundle than the suite's (e.g. one built with a failure converter). */
  readonly workflowBundlePath?: string;
  /** Task modules for `uses:` stages. */
  readonly taskModules?: readonly string[];
}

/** Creates an in-process worker on the suite's server with test timeouts. */
export async function testWorker(taskQueue: string, activityConfig: ActivityConfig, options: TestWorkerOptions = {}): Promise<{ worker: Worker; close: () => Promise<void> }> {
  quietRuntime();
  const connection = await NativeConnection.connect({ address: temporalAddress() });
  const worker = await createWorker({
    connection,
    namespace: 'default',
    taskQueue,
    activityConfig,
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    ...(options.taskModules ? { taskModules: options.taskModules } : {}),
    workflowBundlePath: options.workflowBundlePath ?? workflowBundlePath(),
    shutdownGraceTime: '1s',
    stickyQueueScheduleToStartTimeout: '1s',
  });
  return { worker, close: () => connection.close() };
}

/**
 * Runs `fn` with a client runtime and a worker on a fresh task queue, then
 * shuts both down.
 */
export async function withWorker<T>(
  fn: (ctx: { runtime: TempoflowRuntime; taskQueue: string; dir: string }) => Promise<T>,
  options: { activityConfig?: Partial<ActivityConfig> } & TestWorkerOptions = {},
): Promise<T> {
  const taskQueue = uniqueTaskQueue();
  const dir = tempDir('tf-work-');
  const runtime = await testRuntime(taskQueue, options);
  const { worker, close } = await testWorker(taskQueue, testActivityConfig(dir, options.activityConfig), options);
  try {
    return await worker.runUntil(fn({ runtime, taskQueue, dir }));
  } finally {
    await close();
    await runtime.close();
  }
}
