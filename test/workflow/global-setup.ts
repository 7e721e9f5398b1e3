/**
 * Global setup of the workflow-level tests: Temporal's Java test server (found
 * or fetched by scripts/setup-test-server.sh) and the workflow bundle (shared
 * with the integration tests' setup). Each test file starts its own time-skipping server from it.
 *
 * When the server cannot be had (no Java or Maven), setup does not throw —
 * that would stop the other projects too — but hands the reason to the tests,
 * which then fail, each with what to install.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { workflowBundleCode } from '../helpers/workflow-bundle.js';

declare module 'vitest' {
  export interface ProvidedContext {
    workflowBundlePath: string;
    /** The test server executable (`<port> [flags]`); empty when it could not be had. */
    testServerPath: string;
    /** Why there is no test server (the setup script's own words); empty when there is one. */
    testServerProblem: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = resolve(import.meta.dirname, '../..');
  const tmp = mkdtempSync(join(tmpdir(), 'tempoflow-wf-test-'));
  const bundlePath = join(tmp, 'workflow-bundle.js');
  const [server, code] = await Promise.all([findTestServer(join(root, 'scripts/setup-test-server.sh')), workflowBundleCode(root)]);
  writeFileSync(bundlePath, code);
  project.provide('workflowBundlePath', bundlePath);
  project.provide('testServerPath', server.path);
  project.provide('testServerProblem', server.problem);
  return async () => {
    rmSync(tmp, { recursive: true, force: true });
  };
}

async function findTestServer(script: string): Promise<{ path: string; problem: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('bash', [script], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    if (stderr.trim()) process.stderr.write(stderr);
    const path = stdout.trim().split('\n').pop() ?? '';
    if (path) return { path, problem: '' };
    return { path: '', problem: `${script} printed no path` };
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    return { path: '', problem: stderr || (err as Error).message };
  }
}
