/**
 * Which of a workflow bundle's modules the SDK's reusable V8 context shares
 * between workflow executions (test/integration/bundle-preload.test.ts). Run as
 * its own process, `node test/helpers/shared-modules.mjs <bundle> <module id prefix>`:
 * the SDK's workflow sandbox installs process-wide hooks (promise hooks, an
 * `unhandledRejection` handler) that a test worker must not get.
 *
 * It loads the bundle as a worker does (`parseWorkflowCode`), creates the SDK's
 * `ReusableVMWorkflowCreator` (which runs the bundle's preload), and, before any
 * workflow exists, reads each module id under the prefix from the context's
 * module cache: a module is there only if it was evaluated into the cache the
 * executions share. Prints JSON: the ids, those shared, and whether the shared
 * ones' exports are frozen.
 */
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { parseWorkflowCode } from '@temporalio/worker/lib/worker.js';
import { ReusableVMWorkflowCreator } from '@temporalio/worker/lib/workflow/reusable-vm.js';

const [bundlePath, prefix] = process.argv.slice(2);
const code = readFileSync(bundlePath, 'utf8');
const ids = [...code.matchAll(/^\/\*\*\*\/ "([^"]+)"/gm)].map((m) => m[1]).filter((id) => id.startsWith(prefix));
const creator = await ReusableVMWorkflowCreator.create(parseWorkflowCode(code, bundlePath), 10_000, new Set(), undefined);
const shared = ids.filter((id) => vm.runInContext(`__webpack_module_cache__[${JSON.stringify(id)}] !== undefined`, creator.context));
const frozen = shared.every((id) => vm.runInContext(`Object.isFrozen(__webpack_module_cache__[${JSON.stringify(id)}].exports)`, creator.context));
await creator.destroy();
console.log(JSON.stringify({ ids, shared, frozen }));
process.exit(0);
