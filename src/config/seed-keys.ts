/**
 * Keys of ddeutil-workflow's `Workflow` model that tempoflow's YAML refuses
 * on purpose, with where their value goes instead (docs/coming-from-ddeutil.md
 * "YAML keys"). They stay errors — the format has no silently ignored keys —
 * but the error says what to do rather than "did you mean".
 *
 * Pure module: no I/O.
 */
import type { UnknownKeyHint } from './zod-issues.js';

/** Hints for the seed's workflow-level keys, by key. */
const WORKFLOW_KEYS: Readonly<Record<string, string>> = {
  extras:
    'extras are per call, not part of the YAML: pass them to `Workflow.fromConf(name, { extras: { ... } })` and read them as `${{ extras.<key> }}`; for a value every run shares, use `env:` or a param default',
  created_at: 'tempoflow takes a workflow’s creation time from its file (`Workflow.createdAt`); delete this key, or keep the date in `desc:`',
  updated_dt: 'tempoflow takes a workflow’s update time from its file’s modification time (`Workflow.updatedAt`); delete this key',
};

/** {@link UnknownKeyHint} for a `type: Workflow` object: the seed's keys at its top level. */
export const seedWorkflowKeyHint: UnknownKeyHint = (path, key) => (path.length === 0 && Object.prototype.hasOwnProperty.call(WORKFLOW_KEYS, key) ? WORKFLOW_KEYS[key] : undefined);
