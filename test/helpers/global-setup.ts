/**
 * Integration-test global setup: one real Temporal dev server (the Temporal
 * CLI, in memory, headless) and one workflow bundle for the whole run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDevServer } from './dev-server.js';
import { workflowBundleCode } from './workflow-bundle.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
    temporalCliPath: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = resolve(import.meta.dirname, '../..');
  const cli = execFileSync('bash', [join(root, 'scripts/setup-temporal.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    .trim()
    .split('\n')
    .pop()!;
  const tmp = mkdtempSync(join(tmpdir(), 'tempoflow-test-'));
  const bundlePath = join(tmp, 'workflow-bundle.js');
  const [server, code] = await Promise.all([startDevServer({ cliPath: cli }), workflowBundleCode(root)]);
  const address = server.address;
  writeFileSync(bundlePath, code);
  project.provide('temporalAddress', address);
  project.provide('workflowBundlePath', bundlePath);
  project.provide('temporalCliPath', cli);
  return async () => {
    server.stop();
    rmSync(tmp, { recursive: true, force: true });
  };
}
