/**
 * Bundles the workflow code once at build time (`dist/workflow-bundle.js`),
 * so workers start without running webpack.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowBundleOptions } from '../src/worker/bundle-options.js';

const here = dirname(fileURLToPath(import.meta.url));
// Compiled to dist/scripts/build-bundle.js; the compiled workflows sit in dist/src/workflows.
const workflowsPath = resolve(here, '../src/workflows/index.js');
const out = resolve(here, '../workflow-bundle.js');
const { code } = await bundleWorkflowCode({ ...workflowBundleOptions(workflowsPath), logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error } as never });
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, code);
console.log(`workflow bundle: ${out} (${(code.length / 1024).toFixed(0)} KiB)`);
