/**
 * The workflow bundle for test global setups, built once per test run: the
 * `integration` and `workflow` projects both need it, and bundling takes
 * seconds of CPU. Kept on `globalThis` because each project's global setup
 * may load this module on its own.
 */
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowBundleOptions } from '../../src/worker/bundle-options.js';

const KEY = Symbol.for('tempoflow.test.workflowBundle');

/** The code of the bundle of `<root>/src/workflows/index.ts`, built on the first call. */
export function workflowBundleCode(root: string): Promise<string> {
  const cache = globalThis as unknown as Record<symbol, Map<string, Promise<string>> | undefined>;
  const bundles = (cache[KEY] ??= new Map());
  let bundle = bundles.get(root);
  if (!bundle) {
    bundle = bundleWorkflowCode({ ...workflowBundleOptions(join(root, 'src/workflows/index.ts')), logger: quietLogger }).then((b) => b.code);
    // A failed bundle is not kept: the next caller tries again (and reports its own error).
    bundle.catch(() => bundles.delete(root));
    bundles.set(root, bundle);
  }
  return bundle;
}

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error } as never;
