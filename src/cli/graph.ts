/**
 * `tempoflow graph <name> --format mermaid|dot`: the job DAG of a workflow.
 * Each job is a node (matrix jobs show their matrix, conditional jobs their
 * rule); each `needs` entry is an edge from the needed job to the job.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { defaultConfPath, loadWorkflowSpec } from '../config/loader.js';
import type { JobSpec, WorkflowSpec } from '../client/workflow.js';
import { action, ExitCode } from './common.js';

/** Output formats. */
export const GraphFormat = { mermaid: 'mermaid', dot: 'dot' } as const;
export type GraphFormat = (typeof GraphFormat)[keyof typeof GraphFormat];

export function register(program: Command): void {
  program
    .command('graph')
    .description('print the job graph of a workflow (Mermaid or Graphviz dot)')
    .argument('<name>', 'workflow name')
    .addOption(new Option('--format <format>', 'output format').choices(Object.values(GraphFormat)).default(GraphFormat.mermaid))
    .option('--conf <path>', 'conf path (default WORKFLOW_CORE_CONF_PATH or ./conf)')
    .action(
      action(async (name: string, opts: { format: GraphFormat; conf?: string }) => {
        const { spec } = loadWorkflowSpec(name, { path: opts.conf ?? defaultConfPath() });
        process.stdout.write(opts.format === GraphFormat.dot ? graphDot(spec) : graphMermaid(spec));
        return ExitCode.OK;
      }),
    );
}

/** The lines under a job's id: its matrix and its condition. */
export function jobLabelLines(job: JobSpec): string[] {
  const lines = [job.id];
  const s = job.strategy;
  if (s) {
    if (typeof s.matrix === 'string') lines.push(`matrix: ${s.matrix.trim()}`);
    else {
      const dims = Object.entries(s.matrix).map(([k, v]) => (Array.isArray(v) ? `${k}(${v.length})` : `${k}(\${{ }})`));
      const extra = s.include.length ? ` +${s.include.length} include` : '';
      lines.push(`matrix: ${dims.join(' × ') || 'include only'}${extra}`);
    }
  }
  if (job.if !== undefined) lines.push(`if: ${job.if.trim()}`);
  if (job.triggerRule !== undefined) lines.push(`trigger-rule: ${job.triggerRule}`);
  return lines;
}

function shorten(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** A Mermaid flowchart of the job graph. */
export function graphMermaid(spec: WorkflowSpec): string {
  const ids = new Map(spec.jobs.map((j, i) => [j.id, `j${i}`]));
  const esc = (t: string) => shorten(t).replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
  const out = ['flowchart LR'];
  for (const job of spec.jobs) {
    const label = jobLabelLines(job).map(esc).join('<br/>');
    out.push(job.strategy ? `  ${ids.get(job.id)}[["${label}"]]` : `  ${ids.get(job.id)}["${label}"]`);
  }
  for (const job of spec.jobs) for (const need of job.needs) if (ids.has(need)) out.push(`  ${ids.get(need)} --> ${ids.get(job.id)}`);
  return `${out.join('\n')}\n`;
}

/** A Graphviz dot digraph of the job graph. */
export function graphDot(spec: WorkflowSpec): string {
  const q = (t: string) => `"${t.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const out = [`digraph ${q(spec.name)} {`, '  rankdir=LR;', '  node [shape=box];'];
  for (const job of spec.jobs) {
    const label = jobLabelLines(job)
      .map((l) => shorten(l))
      .join('\\n');
    out.push(`  ${q(job.id)} [label="${label.replace(/\\(?!n)/g, '\\\\').replace(/"/g, '\\"')}"${job.strategy ? ', shape=box3d' : ''}];`);
  }
  for (const job of spec.jobs) for (const need of job.needs) out.push(`  ${q(need)} -> ${q(job.id)};`);
  out.push('}');
  return `${out.join('\n')}\n`;
}
