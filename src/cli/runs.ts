/**
 * `tempoflow runs [--workflow <name>] [--status <s>] [--limit n]`: recent
 * runs from Temporal's visibility store, newest first. `--workflow` uses the
 * `TfWorkflow` search attribute when the server has it.
 */
import type { Command } from 'commander';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { TempoflowRuntime } from '../client/runtime.js';
import { registrationHint } from '../client/search-attributes.js';
import { RUN_WORKFLOW_TYPE } from '../workflows/definitions.js';
import { action, CliExit, ExitCode, info, positiveNumber } from './common.js';

/** `--status` values: Temporal's execution statuses, or tempoflow's words for them. */
const STATUSES: Readonly<Record<string, string>> = {
  running: 'Running',
  wait: 'Running',
  completed: 'Completed',
  success: 'Completed',
  skip: 'Completed',
  failed: 'Failed',
  timeout: 'Failed',
  canceled: 'Canceled',
  cancelled: 'Canceled',
  cancel: 'Canceled',
  terminated: 'Terminated',
  timedout: 'TimedOut',
};

const KEYS = {
  workflow: defineSearchAttributeKey('TfWorkflow', SearchAttributeType.KEYWORD),
  type: defineSearchAttributeKey('TfReleaseType', SearchAttributeType.KEYWORD),
  time: defineSearchAttributeKey('TfReleaseTime', SearchAttributeType.DATETIME),
};

/** A visibility query string literal. */
function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function register(program: Command): void {
  program
    .command('runs')
    .description('list recent runs (Temporal visibility), newest first')
    .option('--workflow <name>', 'only runs of this workflow (search attribute TfWorkflow)')
    .option('--status <status>', 'running | completed (success, skip) | failed (timeout) | canceled | terminated')
    .option('--limit <n>', 'at most this many runs', positiveNumber('--limit'), 20)
    .option('--json', 'print as JSON')
    .action(
      action(async (opts: { workflow?: string; status?: string; limit: number; json?: boolean }) => {
        const runtime = await TempoflowRuntime.connect({ log: info, inProcessWorker: false });
        try {
          const clauses = [`WorkflowType = ${quote(RUN_WORKFLOW_TYPE)}`];
          if (opts.workflow) {
            if (!runtime.searchAttributes.available.has('TfWorkflow')) {
              throw new CliExit(ExitCode.ERROR, `--workflow needs the TfWorkflow search attribute, which namespace ${runtime.namespace} does not have; ${registrationHint(runtime.namespace)}`);
            }
            clauses.push(`TfWorkflow = ${quote(opts.workflow)}`);
          }
          if (opts.status) {
            const status = STATUSES[opts.status.toLowerCase()];
            if (!status) throw new CliExit(ExitCode.INVALID, `--status ${opts.status}: use one of ${Object.keys(STATUSES).join(', ')}`);
            clauses.push(`ExecutionStatus = ${quote(status)}`);
          }
          const query = clauses.join(' AND ');
          const rows: Record<string, unknown>[] = [];
          for await (const wf of runtime.client.workflow.list({ query, pageSize: Math.min(opts.limit, 1000) })) {
            rows.push({
              runId: wf.workflowId,
              status: wf.status.name,
              start: wf.startTime.toISOString(),
              ...(wf.closeTime ? { close: wf.closeTime.toISOString() } : {}),
              ...(wf.typedSearchAttributes.get(KEYS.workflow) ? { workflow: wf.typedSearchAttributes.get(KEYS.workflow) } : {}),
              ...(wf.typedSearchAttributes.get(KEYS.type) ? { releaseType: wf.typedSearchAttributes.get(KEYS.type) } : {}),
              ...(wf.typedSearchAttributes.get(KEYS.time) ? { releaseTime: wf.typedSearchAttributes.get(KEYS.time)!.toISOString() } : {}),
            });
            if (rows.length >= opts.limit) break;
          }
          if (opts.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          else {
            if (rows.length === 0) info(`no runs match ${query}`);
            for (const r of rows) {
              const release = r.releaseType ? `  ${String(r.releaseType)}${r.releaseTime ? ` @ ${String(r.releaseTime)}` : ''}` : '';
              process.stdout.write(`${String(r.status).padEnd(10)} ${String(r.start)}  ${String(r.runId)}${release}\n`);
            }
          }
          return ExitCode.OK;
        } finally {
          await runtime.close();
        }
      }),
    );
}
