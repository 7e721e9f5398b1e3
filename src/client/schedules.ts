/**
 * Temporal Schedules for cron entries (docs/operations.md "Schedules").
 *
 * Each cron entry of a workflow's `on:` is one Temporal Schedule with the
 * stable id `tf:<project>:<workflow>:<hash(cron, timezone)>`: reordering
 * entries changes nothing, and `<project>` (`WORKFLOW_CORE_PROJECT`, default
 * `default`) keeps two conf trees apart on one namespace. The schedule
 * carries the entry's timezone, overlap policy and catch-up window; its
 * action starts the release workflow, which reads the current YAML when it
 * fires.
 *
 * `syncSchedules` makes the server match the YAML: it describes each desired
 * id, creates or updates it, and deletes only schedules of its own project
 * that the YAML no longer has. A fingerprint of what tempoflow set (kept in
 * the action's memo) tells "unchanged" from "update", so a second sync is a
 * no-op; the paused state and notes are the operator's and are kept.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleDescription, type ScheduleHandle, type ScheduleOptions } from '@temporalio/client';
import { ConfigError } from '../config/errors.js';
import { WorkflowError } from '../errors.js';
import { loadConfTree, validateTree } from '../config/loader.js';
import type { CronTriggerSpec, OverlapPolicyName, WorkflowSpec } from '../engine/spec.js';
import { RELEASE_WORKFLOW_TYPE } from '../workflows/definitions.js';
import type { ReleaseInput } from '../workflows/definitions.js';

/** How tempoflow's overlap names map to Temporal's policies. */
export const OVERLAP_POLICIES: Readonly<Record<OverlapPolicyName, ScheduleOverlapPolicy>> = {
  skip: ScheduleOverlapPolicy.SKIP,
  'buffer-one': ScheduleOverlapPolicy.BUFFER_ONE,
  'buffer-all': ScheduleOverlapPolicy.BUFFER_ALL,
  'cancel-other': ScheduleOverlapPolicy.CANCEL_OTHER,
  'terminate-other': ScheduleOverlapPolicy.TERMINATE_OTHER,
  'allow-all': ScheduleOverlapPolicy.ALLOW_ALL,
};

/** Thrown by `resolveSchedules()` and `controlSchedules()` when a name or id matches no schedule on the server. */
export class UnknownScheduleError extends WorkflowError {
  override readonly name: string = 'UnknownScheduleError';
}

/** The memo key of the fingerprint (on the schedule's action). */
const FINGERPRINT_MEMO = 'tempoflowSchedule';

/** Prefix of every schedule id of a project. */
export function projectPrefix(project: string): string {
  return `tf:${project}:`;
}

/** Normalises a cron for hashing: trimmed, single spaces. */
function normalCron(cron: string): string {
  return cron.trim().replace(/\s+/g, ' ');
}

/** `tf:<project>:<workflow>:<12 hex of sha256(cron, timezone)>`. */
export function scheduleId(project: string, workflow: string, cron: string, timezone: string): string {
  const hash = createHash('sha256')
    .update(`${normalCron(cron)}\n${timezone}`)
    .digest('hex')
    .slice(0, 12);
  return `${projectPrefix(project)}${workflow}:${hash}`;
}

/** One schedule the YAML asks for. */
export interface DesiredSchedule {
  readonly id: string;
  readonly workflow: string;
  readonly cron: string;
  readonly timezone: string;
  readonly overlap: OverlapPolicyName;
  readonly catchupWindowSeconds?: number;
  /** Where the entry is in the YAML. */
  readonly loc: string;
  /** Hash of everything tempoflow sets on the schedule. */
  readonly fingerprint: string;
  readonly options: ScheduleOptions;
}

export interface DesiredScheduleOptions {
  readonly project: string;
  /** Task queue of the release workflows. */
  readonly taskQueue: string;
  /** Conf path recorded in the action; workers use it when it exists there. */
  readonly confPath?: string;
}

/**
 * The schedules a set of workflows asks for: one per cron entry (none for
 * `manual: true`). Two entries with the same cron and timezone in one
 * workflow are one schedule.
 */
export function desiredSchedules(specs: readonly WorkflowSpec[], options: DesiredScheduleOptions): DesiredSchedule[] {
  const out = new Map<string, DesiredSchedule>();
  for (const spec of specs) {
    for (const entry of spec.schedules) {
      const id = scheduleId(options.project, spec.name, entry.cron, entry.timezone);
      if (out.has(id)) continue;
      out.set(id, desiredSchedule(id, spec, entry, options));
    }
  }
  return [...out.values()].sort((a, b) => a.id.localeCompare(b.id));
}

function desiredSchedule(id: string, spec: WorkflowSpec, entry: CronTriggerSpec, options: DesiredScheduleOptions): DesiredSchedule {
  const cron = normalCron(entry.cron);
  const args: ReleaseInput = {
    workflow: spec.name,
    schedule: { id, cron, timezone: entry.timezone },
    project: options.project,
    ...(options.confPath ? { confPath: options.confPath } : {}),
    // The entry's params are read from the current YAML when the schedule
    // fires; these are the ones at sync time, recorded for operators.
  };
  const fingerprintSource = {
    cron,
    timezone: entry.timezone,
    overlap: entry.overlap,
    catchup: entry.catchupWindowSeconds ?? null,
    taskQueue: options.taskQueue,
    args,
  };
  const fingerprint = createHash('sha256').update(JSON.stringify(fingerprintSource)).digest('hex').slice(0, 16);
  const scheduleOptions: ScheduleOptions = {
    scheduleId: id,
    spec: { cronExpressions: [cron], timezone: entry.timezone },
    action: {
      type: 'startWorkflow',
      workflowType: RELEASE_WORKFLOW_TYPE,
      workflowId: `tf-release:${spec.name}`,
      taskQueue: options.taskQueue,
      args: [args],
      memo: { [FINGERPRINT_MEMO]: fingerprint },
      staticSummary: `tempoflow: scheduled release of ${spec.name} (${cron} ${entry.timezone})`.slice(0, 200),
    },
    policies: {
      overlap: OVERLAP_POLICIES[entry.overlap],
      ...(entry.catchupWindowSeconds !== undefined ? { catchupWindow: Math.max(10, entry.catchupWindowSeconds) * 1000 } : {}),
    },
    memo: { tempoflow: { project: options.project, workflow: spec.name, cron, timezone: entry.timezone, loc: entry.loc } },
  };
  return {
    id,
    workflow: spec.name,
    cron,
    timezone: entry.timezone,
    overlap: entry.overlap,
    ...(entry.catchupWindowSeconds !== undefined ? { catchupWindowSeconds: entry.catchupWindowSeconds } : {}),
    loc: entry.loc,
    fingerprint,
    options: scheduleOptions,
  };
}

/** What a sync did (or would do, with `dryRun`) to one schedule. */
export interface ScheduleChange {
  readonly action: 'create' | 'update' | 'delete' | 'unchanged';
  readonly id: string;
  readonly workflow?: string;
  readonly cron?: string;
  readonly timezone?: string;
}

/** Ids of the existing schedules of a project (Temporal's visibility: a schedule created a moment ago may be missing). */
export async function listProjectScheduleIds(client: Client, project: string): Promise<string[]> {
  const prefix = projectPrefix(project);
  const ids: string[] = [];
  for await (const summary of client.schedule.list()) if (summary.scheduleId.startsWith(prefix)) ids.push(summary.scheduleId);
  return ids.sort();
}

async function describeOrUndefined(handle: ScheduleHandle): Promise<ScheduleDescription | undefined> {
  try {
    return await handle.describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

function fingerprintOf(description: ScheduleDescription): string | undefined {
  const memo = (description.action as { memo?: Record<string, unknown> }).memo;
  const value = memo?.[FINGERPRINT_MEMO];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Makes the server match `desired` for `project`: creates missing
 * schedules, updates changed ones (keeping their paused state and note),
 * deletes the project's schedules the YAML no longer has. With `dryRun`,
 * only reports. Deletions come from the server's listing, which lags a
 * moment behind creations.
 */
export async function syncSchedules(client: Client, desired: readonly DesiredSchedule[], options: { project: string; dryRun?: boolean }): Promise<ScheduleChange[]> {
  const changes: ScheduleChange[] = [];
  const wanted = new Set(desired.map((d) => d.id));
  for (const d of desired) {
    const handle = client.schedule.getHandle(d.id);
    const current = await describeOrUndefined(handle);
    const about = { id: d.id, workflow: d.workflow, cron: d.cron, timezone: d.timezone };
    if (!current) {
      if (!options.dryRun) await client.schedule.create(d.options);
      changes.push({ action: 'create', ...about });
    } else if (fingerprintOf(current) !== d.fingerprint) {
      if (!options.dryRun) {
        await handle.update((prev) => ({ ...prev, spec: d.options.spec, action: d.options.action, policies: { ...prev.policies, ...d.options.policies } }));
      }
      changes.push({ action: 'update', ...about });
    } else {
      changes.push({ action: 'unchanged', ...about });
    }
  }
  const prefix = projectPrefix(options.project);
  for (const id of await listProjectScheduleIds(client, options.project)) {
    if (wanted.has(id) || !id.startsWith(prefix)) continue;
    if (!options.dryRun) {
      try {
        await client.schedule.getHandle(id).delete();
      } catch (err) {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
        continue; // deleted meanwhile
      }
    }
    changes.push({ action: 'delete', id });
  }
  return changes;
}

/** A schedule as `tempoflow schedule list` shows it. */
export interface ScheduleView {
  readonly id: string;
  readonly workflow?: string;
  readonly cron?: string;
  readonly timezone?: string;
  /** Exists on the server. */
  readonly exists: boolean;
  /** In the YAML. */
  readonly desired: boolean;
  readonly paused?: boolean;
  readonly note?: string;
  readonly nextActionTimes: readonly Date[];
  readonly recentActions: readonly { readonly scheduledAt: Date; readonly workflowId?: string }[];
  /** The YAML changed since the last sync. */
  readonly outdated?: boolean;
}

/** Describes the desired schedules and the project's other existing ones. */
export async function viewSchedules(client: Client, desired: readonly DesiredSchedule[], project: string): Promise<ScheduleView[]> {
  const byId = new Map(desired.map((d) => [d.id, d]));
  const ids = new Set([...byId.keys(), ...(await listProjectScheduleIds(client, project))]);
  const views: ScheduleView[] = [];
  for (const id of [...ids].sort()) {
    const d = byId.get(id);
    const current = await describeOrUndefined(client.schedule.getHandle(id));
    const memo = (current?.memo?.tempoflow ?? {}) as { workflow?: string; cron?: string; timezone?: string };
    const workflow = d?.workflow ?? memo.workflow;
    const cron = d?.cron ?? memo.cron;
    const timezone = d?.timezone ?? memo.timezone;
    views.push({
      id,
      ...(workflow ? { workflow } : {}),
      ...(cron ? { cron } : {}),
      ...(timezone ? { timezone } : {}),
      exists: current !== undefined,
      desired: d !== undefined,
      ...(current ? { paused: current.state.paused } : {}),
      ...(current?.state.note ? { note: current.state.note } : {}),
      nextActionTimes: current?.info.nextActionTimes ?? [],
      recentActions: (current?.info.recentActions ?? []).map((a) => ({
        scheduledAt: a.scheduledAt,
        ...('workflow' in a.action && a.action.workflow ? { workflowId: a.action.workflow.workflowId } : {}),
      })),
      ...(current && d ? { outdated: fingerprintOf(current) !== d.fingerprint } : {}),
    });
  }
  return views;
}

/**
 * The existing schedules a name refers to: a schedule id, or a workflow
 * name (every schedule of that workflow in the project: the YAML's entries
 * and whatever the server lists). Throws `UnknownScheduleError` saying what exists when
 * none matches.
 */
export async function resolveSchedules(client: Client, project: string, nameOrId: string, desired: readonly DesiredSchedule[] = []): Promise<ScheduleHandle[]> {
  if (nameOrId.startsWith('tf:')) {
    const handle = client.schedule.getHandle(nameOrId);
    if (await describeOrUndefined(handle)) return [handle];
    throw new UnknownScheduleError(`no schedule '${nameOrId}' on the server; \`tempoflow schedule list\` shows the existing ones`);
  }
  const prefix = `${projectPrefix(project)}${nameOrId}:`;
  const candidates = new Set([
    ...desired.filter((d) => d.workflow === nameOrId).map((d) => d.id),
    ...(await listProjectScheduleIds(client, project)).filter((id) => id.startsWith(prefix) && !id.slice(prefix.length).includes(':')),
  ]);
  const handles: ScheduleHandle[] = [];
  for (const id of [...candidates].sort()) {
    const handle = client.schedule.getHandle(id);
    if (await describeOrUndefined(handle)) handles.push(handle);
  }
  if (handles.length === 0) {
    throw new UnknownScheduleError(
      `workflow '${nameOrId}' has no schedule in project '${project}' (WORKFLOW_CORE_PROJECT); run \`tempoflow schedule sync\` first, or check the name with \`tempoflow schedule list\``,
    );
  }
  return handles;
}

/**
 * The desired schedules of a conf tree. Throws `ConfigError` when any
 * workflow is invalid: a sync never deletes the schedules of a workflow
 * just because its YAML is broken.
 */
export function desiredFromConf(confPath: string, options: Omit<DesiredScheduleOptions, 'confPath'>): DesiredSchedule[] {
  const tree = loadConfTree(confPath);
  const { issues, specs } = validateTree(tree);
  if (issues.some((i) => i.severity === 'error')) throw new ConfigError(issues);
  return desiredSchedules(specs, { ...options, confPath: resolve(confPath) });
}

/** What `controlSchedules()` does to each schedule it resolves. */
export type ScheduleAction =
  | { readonly kind: 'pause' | 'unpause'; readonly note?: string }
  /** A release now (overlap allow-all: it runs even while another release runs). */
  | { readonly kind: 'trigger' }
  /** Every fire time in [start, end], one after another (overlap buffer-all). */
  | { readonly kind: 'backfill'; readonly start: Date; readonly end: Date }
  | { readonly kind: 'delete' };

/**
 * Applies `action` to the schedules of a workflow (or to one schedule id):
 * pause, unpause, trigger, backfill or delete. Returns the ids it acted on,
 * in order. Throws `UnknownScheduleError` when none matches.
 */
export async function controlSchedules(client: Client, project: string, nameOrId: string, action: ScheduleAction, desired: readonly DesiredSchedule[] = []): Promise<string[]> {
  const handles = await resolveSchedules(client, project, nameOrId, desired);
  for (const handle of handles) {
    switch (action.kind) {
      case 'pause':
        await handle.pause(action.note ?? 'paused with tempoflow schedule pause');
        break;
      case 'unpause':
        await handle.unpause(action.note ?? 'unpaused with tempoflow schedule unpause');
        break;
      case 'trigger':
        await handle.trigger(ScheduleOverlapPolicy.ALLOW_ALL);
        break;
      case 'backfill':
        await handle.backfill({ start: action.start, end: action.end, overlap: ScheduleOverlapPolicy.BUFFER_ALL });
        break;
      case 'delete':
        await handle.delete();
        break;
    }
  }
  return handles.map((h) => h.scheduleId);
}
