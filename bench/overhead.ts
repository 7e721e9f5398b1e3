/**
 * bench/overhead: the cost of tempoflow around each action stage. For each of
 * `bash`, `run` and `uses`, a job of N stages in a row runs through the
 * interpreter, and a hand-written Temporal workflow runs the same N stage
 * activities directly (bench/overhead-workflows.ts), on the same server and
 * worker. It prints the median wall time of each over R repetitions and the
 * ratio tempoflow / baseline (target: at most 1.15).
 *
 *   npx tsx bench/overhead.ts [--stages 30] [--reps 5]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { NativeConnection, Worker, DefaultLogger, Runtime } from '@temporalio/worker';
import { defineTask, TaskRegistry } from '../src/activities/registry.js';
import { startDevServer } from '../test/helpers/dev-server.js';
import { TempoflowRuntime } from '../src/client/runtime.js';
import { Workflow } from '../src/client/workflow.js';
import { workerParts, benchWorkflowSource } from './common.js';
import { median } from './stats.js';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : def);
const N = opt('--stages', 30);
const REPS = opt('--reps', 5);

Runtime.install({ logger: new DefaultLogger('ERROR') });
const server = await startDevServer({ log: (m) => console.error(m) });
const dir = mkdtempSync(join(tmpdir(), 'tf-overhead-'));
const stage = (kind: string) => (kind === 'bash' ? 'bash: "true"' : kind === 'run' ? 'run: "x = 1"' : 'uses: tasks/noop@v1');
writeFileSync(
  join(dir, 'o.yml'),
  ['bash', 'run', 'uses']
    .map((kind) => `over-${kind}:\n  type: Workflow\n  jobs:\n    main:\n      stages:\n${Array.from({ length: N }, (_, i) => `        - name: S${i}\n          ${stage(kind)}`).join('\n')}\n`)
    .join(''),
);
const taskQueue = `overhead-${Date.now()}`;
const tasks = new TaskRegistry();
tasks.register(defineTask({ name: 'noop', tag: 'v1', with: z.object({}), run: () => ({}) }));
const connection = await NativeConnection.connect({ address: server.address });
const worker = await Worker.create({
  connection,
  taskQueue,
  ...benchWorkflowSource(resolve(import.meta.dirname, 'overhead-workflows.ts')),
  ...workerParts(dir, { tasks }),
  maxConcurrentActivityTaskExecutions: 4,
  maxHeartbeatThrottleInterval: '1s',
});
const runtime = await TempoflowRuntime.connect({ server: { address: server.address }, taskQueue, inProcessWorker: false });

await worker.runUntil(async () => {
  console.log(`${N} stages in a row, median of ${REPS} runs\n`);
  console.log('stage   tempoflow   baseline   ratio   per stage (tempoflow - baseline)');
  for (const kind of ['bash', 'run', 'uses'] as const) {
    const wf = await Workflow.fromConf(`over-${kind}`, { path: dir });
    const tf: number[] = [];
    const base: number[] = [];
    for (let r = 0; r < REPS + 1; r++) {
      const t0 = Date.now();
      const res = await wf.execute({}, { runtime });
      if (res.status !== 'SUCCESS') throw new Error(`${kind}: ${res.status} ${JSON.stringify(res.errors)}`);
      const t1 = Date.now();
      const ok = await runtime.client.workflow.execute('baselineStages', { taskQueue, workflowId: `baseline-${kind}-${r}-${Date.now()}`, args: [{ kind, n: N, runId: `b-${r}` }] });
      if (ok !== N) throw new Error(`baseline ${kind}: ${ok}/${N}`);
      const t2 = Date.now();
      if (r === 0) continue; // warm-up
      tf.push(t1 - t0);
      base.push(t2 - t1);
    }
    const a = median(tf);
    const b = median(base);
    console.log(`${kind.padEnd(7)} ${(a / 1000).toFixed(2).padStart(8)} s ${(b / 1000).toFixed(2).padStart(8)} s ${(a / b).toFixed(2).padStart(7)}   ${((a - b) / N).toFixed(1)} ms`);
  }
});
await runtime.close();
await connection.close();
server.stop();
