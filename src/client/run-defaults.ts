/**
 * What a run gets when the caller does not say: its id, its timeout and how
 * many jobs run at once. `execute()`/`start()` and `rerun()` share them; the
 * environment defaults live in `config/run-settings.ts`, which workers
 * resolving by-name runs read too.
 */
import { randomBytes } from 'node:crypto';

export { defaultMaxJobParallel, defaultTimeoutSeconds } from '../config/run-settings.js';

/** A new run id: `<workflow>-<UTC yyyymmddTHHMMSS>Z-<6 hex>`. */
export function newRunId(workflowName: string, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${workflowName}-${stamp}-${randomBytes(3).toString('hex')}`;
}
