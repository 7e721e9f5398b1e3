/**
 * bench/scale: the full-size scale cases on a dev server with its default
 * limits, each run by a fresh `tempoflow worker` process:
 *   1. a 2,000-job DAG (40 layers of 50 jobs, each needing two jobs of the layer before);
 *   2. a 1,000-combination matrix (40 × 25);
 *   3. a `foreach` over 5,000 items.
 * Every stage is a real `bash` activity. For each case it prints the wall
 * time, the worker's peak RSS (VmHWM), and the largest single history
 * (over the run, its continue-as-new chain and all its children), with the
 * ratios to the targets (10,240 events: Temporal's warning threshold;
 * 600 MB of RSS).
 *
 *   npm run build && npx tsx bench/scale.ts [--case dag|matrix|foreach] [--scale 0.1] [--server-config KEY=JSON]
 *
 * `--scale` shrinks every case (for a quick look); the figures in
 * docs/benchmarks.md come from the default, full size.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startDevServer } from '../test/helpers/dev-server.js';
import { benchDynamicConfig, peakRssMb, startWorker } from './common.js';
import { TempoflowRuntime } from '../src/client/runtime.js';
import { Workflow } from '../src/client/workflow.js';

const args = process.argv.slice(2);
const only = args.includes('--case') ? args[args.indexOf('--case') + 1] : undefined;
const scale = args.includes('--scale') ? Number(args[args.indexOf('--scale') + 1]) : 1;
const HISTORY_TARGET = 10_240;
const RSS_TARGET_MB = 600;

function dagYaml(layers: number, width: number): string {
  const lines = ['scale-dag:', '  type: Workflow', '  jobs:'];
  for (let l = 0; l < layers; l++) {
    for (let w = 0; w < width; w++) {
      lines.push(`    j${l}-${w}:`);
      if (l > 0) lines.push(`      needs: [j${l - 1}-${w}, j${l - 1}-${(w + 1) % width}]`);
      lines.push('      stages:', '        - name: Work', '          bash: "true"');
    }
  }
  return lines.join('\n') + '\n';
}

function matrixYaml(a: number, b: number): string {
  return `scale-matrix:
  type: Workflow
  jobs:
    fan:
      strategy:
        matrix:
          a: [${Array.from({ length: a }, (_, i) => i).join(', ')}]
          b: [${Array.from({ length: b }, (_, i) => i).join(', ')}]
      stages:
        - name: Work
          bash: echo "$TF_MATRIX_A-$TF_MATRIX_B"
`;
}

function foreachYaml(items: number): string {
  return `scale-foreach:
  type: Workflow
  params:
    items: { type: int, default: ${items} }
  jobs:
    main:
      stages:
        - name: Make items
          id: make
          run: |
            items = list(range(params["items"]))
        - name: Each
          id: each
          foreach: \${{ stages.make.outputs.items }}
          concurrent: 16
          stages:
            - name: Work
              bash: "true"
`;
}

/** Largest history length among every execution whose id starts with the run id. */
async function largestHistory(client: Client, runId: string): Promise<{ max: number; executions: number; where: string }> {
  let max = 0;
  let where = '';
  let executions = 0;
  for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH '${runId}'` })) {
    executions++;
    const d = await client.workflow.getHandle(wf.workflowId, wf.runId).describe();
    if (d.historyLength > max) {
      max = d.historyLength;
      where = `${wf.workflowId} (${wf.type})`;
    }
  }
  return { max, executions, where };
}

interface CaseResult {
  name: string;
  status: string;
  wallSeconds: number;
  peakRssMb: number;
  largestHistory: number;
  where: string;
  executions: number;
}

async function runCase(address: string, name: string, workflowName: string, yaml: string, options: { maxJobParallel?: number }): Promise<CaseResult> {
  const dir = mkdtempSync(join(tmpdir(), `tf-bench-${name}-`));
  writeFileSync(join(dir, 'wf.yml'), yaml);
  const taskQueue = `bench-${name}-${Date.now()}`;
  const worker = await startWorker(address, taskQueue, dir, 16);
  const runtime = await TempoflowRuntime.connect({ server: { address }, taskQueue, inProcessWorker: false });
  try {
    const wf = await Workflow.fromConf(workflowName, { path: dir });
    const started = Date.now();
    const result = await wf.execute({}, { runtime, timeout: 7200, ...(options.maxJobParallel ? { maxJobParallel: options.maxJobParallel } : {}) });
    const wallSeconds = (Date.now() - started) / 1000;
    const rss = peakRssMb(worker.pid!);
    const connection = await Connection.connect({ address });
    const history = await largestHistory(new Client({ connection }), result.runId);
    await connection.close();
    return { name, status: result.status, wallSeconds, peakRssMb: rss, largestHistory: history.max, where: history.where, executions: history.executions };
  } finally {
    worker.kill('SIGTERM');
    await runtime.close();
  }
}

const server = process.env.TEMPORAL_ADDRESS
  ? { address: process.env.TEMPORAL_ADDRESS, stop: () => undefined }
  : await startDevServer({ log: (m) => console.error(m), dynamicConfig: benchDynamicConfig(args) });
const results: CaseResult[] = [];
try {
  const s = (n: number) => Math.max(1, Math.round(n * scale));
  if (!only || only === 'dag') results.push(await runCase(server.address, 'dag', 'scale-dag', dagYaml(s(40), 50), { maxJobParallel: 32 }));
  if (!only || only === 'matrix') results.push(await runCase(server.address, 'matrix', 'scale-matrix', matrixYaml(s(40), 25), {}));
  if (!only || only === 'foreach') results.push(await runCase(server.address, 'foreach', 'scale-foreach', foreachYaml(s(5000)), {}));
} finally {
  server.stop();
}

console.log('\ncase      status   wall(s)  peak RSS(MB)  RSS/600MB  largest history  history/10240  executions');
for (const r of results) {
  console.log(
    `${r.name.padEnd(9)} ${r.status.padEnd(8)} ${r.wallSeconds.toFixed(1).padStart(7)}  ${r.peakRssMb.toFixed(0).padStart(12)}  ${(r.peakRssMb / RSS_TARGET_MB).toFixed(2).padStart(9)}  ${String(r.largestHistory).padStart(15)}  ${(r.largestHistory / HISTORY_TARGET).toFixed(2).padStart(13)}  ${String(r.executions).padStart(10)}`,
  );
}
for (const r of results) console.log(`  ${r.name}: largest history in ${r.where}`);
const ok = results.every((r) => r.status === 'SUCCESS' && r.largestHistory <= HISTORY_TARGET && r.peakRssMb <= RSS_TARGET_MB);
console.log(ok ? 'all cases SUCCESS within the targets' : 'TARGETS MISSED');
process.exitCode = ok ? 0 : 1;
