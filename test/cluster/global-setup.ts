/**
 * Global setup of the cluster suite (`npm run test:cluster`): brings up the real
 * Temporal cluster of `scripts/cluster.sh` (PostgreSQL, frontend, history, matching,
 * worker services as separate processes, the UI server), bundles the workflow code
 * once, and provides the same context keys as the dev-server suite, so the shared
 * helpers (`testRuntime`, `startWorkerProcess`, `runCli`) talk to the cluster.
 *
 * A cluster this setup started is stopped at the end (its data is kept, so the next
 * `up` is quick); one that was already up is left running.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowBundleOptions } from '../../src/worker/bundle-options.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
    temporalCliPath: string;
  }
}

const root = resolve(import.meta.dirname, '../..');
const script = join(root, 'scripts/cluster.sh');

/** Parses `KEY=value` lines. */
function parseEnvLines(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const wasUp = spawnSync('bash', [script, 'status'], { stdio: 'ignore' }).status === 0;
  const started = Date.now();
  // Builds the binaries on first use (minutes), then starts what is not running.
  const out = execFileSync('bash', [script, 'up'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 60 * 60_000 });
  const env = parseEnvLines(out);
  if (!env['TEMPORAL_ADDRESS']) throw new Error(`scripts/cluster.sh up printed no TEMPORAL_ADDRESS:\n${out}`);
  console.error(`[cluster] ${wasUp ? 'already up' : `up in ${((Date.now() - started) / 1000).toFixed(1)} s`}: ${env['TEMPORAL_ADDRESS']}`);
  const cli = execFileSync('bash', [join(root, 'scripts/setup-temporal.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    .trim()
    .split('\n')
    .pop()!;

  const tmp = mkdtempSync(join(tmpdir(), 'tempoflow-cluster-test-'));
  const bundlePath = join(tmp, 'workflow-bundle.js');
  const { code } = await bundleWorkflowCode({ ...workflowBundleOptions(join(root, 'src/workflows/index.ts')), logger: quietLogger });
  writeFileSync(bundlePath, code);
  project.provide('temporalAddress', env['TEMPORAL_ADDRESS']);
  project.provide('workflowBundlePath', bundlePath);
  project.provide('temporalCliPath', cli);
  return async () => {
    rmSync(tmp, { recursive: true, force: true });
    if (!wasUp && process.env.TEMPOFLOW_CLUSTER_KEEP !== '1') execFileSync('bash', [script, 'down'], { stdio: 'inherit' });
  };
}

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error } as never;
