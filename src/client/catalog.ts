/**
 * The workflows of a conf tree as data: what `tempoflow list --json` prints
 * and `GET /api/workflows` returns (name, file, params, schedules, webhook,
 * jobs), and one workflow with its problems and, when valid, its definition
 * (what `tempoflow validate` checks). Reads YAML only: no Temporal.
 */
import type { ConfigIssue } from '../config/errors.js';
import { defaultConfPath, listWorkflowNames, loadConfTree, validateWorkflow, type ConfTree } from '../config/loader.js';
import type { WorkflowSpec } from '../engine/spec.js';

/** One declared param. */
export interface ParamListing {
  readonly name: string;
  readonly type: string;
  readonly required: boolean;
  readonly default?: unknown;
  readonly description?: string;
  /** Allowed values of a `choice` param. */
  readonly options?: readonly unknown[];
}

/** A workflow of the conf tree, as `tempoflow list --json` prints it. */
export interface WorkflowListing {
  readonly name: string;
  readonly file: string;
  /** False when `tempoflow validate` reports an error (then only `name` and `file` are filled). */
  readonly valid: boolean;
  readonly desc?: string;
  readonly tags: readonly string[];
  readonly params: readonly ParamListing[];
  readonly schedules: readonly { cron: string; timezone: string }[];
  readonly manual: boolean;
  /** The `webhook:` entry: how deliveries authenticate (the secret's name, never its value). */
  readonly webhook?: { readonly auth: 'hmac' | 'token'; readonly secret: string };
  readonly jobs: readonly string[];
}

/** A listing of a valid workflow. */
export function workflowListing(spec: WorkflowSpec): WorkflowListing {
  return {
    name: spec.name,
    file: spec.file,
    valid: true,
    ...(spec.desc ? { desc: spec.desc } : {}),
    tags: spec.tags,
    params: spec.params.map((p) => ({
      name: p.name,
      type: p.type,
      required: p.required,
      ...(p.default !== undefined ? { default: p.default } : {}),
      ...(p.description ? { description: p.description } : {}),
      ...(p.options ? { options: p.options } : {}),
    })),
    schedules: spec.schedules.map((s) => ({ cron: s.cron, timezone: s.timezone })),
    manual: spec.manual,
    ...(spec.webhook ? { webhook: { auth: spec.webhook.auth, secret: spec.webhook.secret } } : {}),
    jobs: spec.jobs.map((j) => j.id),
  };
}

function listingIn(tree: ConfTree, name: string): { listing: WorkflowListing; spec?: WorkflowSpec; issues: ConfigIssue[] } {
  const { spec, issues } = validateWorkflow(tree, name);
  const file = tree.objects.get(name)?.source.file ?? '';
  const listing = spec ? workflowListing(spec) : { name, file, valid: false, tags: [], params: [], schedules: [], manual: false, jobs: [] };
  return { listing, ...(spec ? { spec } : {}), issues };
}

/** Every workflow of the conf tree (`path`, default `WORKFLOW_CORE_CONF_PATH` or `./conf`), by name. */
export function listWorkflows(options: { path?: string } = {}): WorkflowListing[] {
  const tree = loadConfTree(options.path ?? defaultConfPath());
  return listWorkflowNames(tree).map((name) => listingIn(tree, name).listing);
}

/** One workflow: its listing, every problem `tempoflow validate` reports for it, and its definition when it is valid. */
export interface WorkflowDescription {
  readonly listing: WorkflowListing;
  readonly issues: readonly ConfigIssue[];
  readonly spec?: WorkflowSpec;
}

/** One workflow of the conf tree, or `undefined` when there is none of that name. */
export function describeWorkflow(name: string, options: { path?: string } = {}): WorkflowDescription | undefined {
  const tree = loadConfTree(options.path ?? defaultConfPath());
  if (!listWorkflowNames(tree).includes(name)) return undefined;
  return listingIn(tree, name);
}
