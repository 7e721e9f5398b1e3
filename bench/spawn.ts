/**
 * What starting a stage process costs, and why the worker does not fork
 * itself (docs/benchmarks.md, "Where a stage's time goes").
 *
 *   npx tsx bench/spawn.ts [--count 100] [--sizes 0,300,1000]
 *
 * For each size, this process first grows its memory by that many MB (the
 * way a worker grows with its workflow cache), then times `bash -c true`
 * started three ways, one after the other: `spawn` from this process (what
 * the worker did before the stage launcher), `runSupervised` (through the
 * stage launcher, what a stage does now), and, once, Python's
 * `subprocess.run` (what ddeutil-workflow does). The ratio is each figure
 * over the launcher's, measured in the same run. Then, from a small process
 * each, the two launcher programs side by side: the Python one (the default
 * where Python 3.9+ runs) and the Node one (`TEMPOFLOW_STAGE_LAUNCHER=node`).
 *
 *   npx tsx bench/spawn.ts --launcher-only   # one line of JSON: this process's launcher, mean ms
 */
import { spawn, spawnSync } from 'node:child_process';
import { runSupervised, stageLauncherKind } from '../src/activities/process.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const count = Number(option('--count', '100'));
const sizes = option('--sizes', '0,300,1000').split(',').map(Number);

/** Mean milliseconds of `fn` over `count` calls in a row, after 5 warm-up calls. */
async function meanMs(fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 5; i++) await fn();
  const started = performance.now();
  for (let i = 0; i < count; i++) await fn();
  return (performance.now() - started) / count;
}

const forkHere = (): Promise<void> =>
  new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', 'true'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.on('error', reject);
    child.on('close', () => resolve());
  });
const throughLauncher = (): Promise<unknown> => runSupervised({ command: ['bash', '-c', 'true'], cwd: process.cwd(), env: process.env, tailBytes: 4096, killGraceMs: 1000 });

if (args.includes('--launcher-only')) {
  console.log(JSON.stringify({ launcher: stageLauncherKind(), ms: await meanMs(throughLauncher) }));
  process.exit(0);
}

/** Mean ms through the launcher `kind`, measured in a small child process. */
function launcherMs(kind: 'python' | 'node'): number | undefined {
  const child = spawnSync(process.execPath, [...process.execArgv, import.meta.filename, '--launcher-only', '--count', String(count)], {
    encoding: 'utf8',
    env: { ...process.env, TEMPOFLOW_STAGE_LAUNCHER: kind },
  });
  const line = child.stdout.trim().split('\n').pop();
  try {
    return (JSON.parse(line ?? '') as { ms: number }).ms;
  } catch {
    return undefined;
  }
}

const python = spawnSync(
  'python3',
  ['-c', `import subprocess,time\nt=time.perf_counter()\nfor _ in range(${count}): subprocess.run(['bash','-c','true'])\nprint((time.perf_counter()-t)/${count}*1000)`],
  { encoding: 'utf8' },
);
const pythonMs = python.status === 0 ? Number(python.stdout.trim()) : undefined;

const held: Buffer[] = [];
const rows: string[] = [];
for (const size of sizes) {
  while (held.length < size) held.push(Buffer.alloc(1 << 20, 1)); // touched, so it is resident
  const rssMb = Math.round(process.memoryUsage().rss / 1e6);
  const here = await meanMs(forkHere);
  const launched = await meanMs(throughLauncher);
  rows.push(`| ${rssMb} MB | ${here.toFixed(2)} ms | ${launched.toFixed(2)} ms | ${(here / launched).toFixed(2)} |`);
}

const launchers = (['python', 'node'] as const).map((kind) => [kind, launcherMs(kind)] as const);

console.log(`\n\`bash -c true\`, mean of ${count} in a row; Python's subprocess.run from a small process: ${pythonMs !== undefined ? `${pythonMs.toFixed(2)} ms` : 'python3 not available'}`);
console.log(`through each stage launcher, from a small process: ${launchers.map(([kind, ms]) => `${kind} ${ms !== undefined ? `${ms.toFixed(2)} ms` : 'unavailable'}`).join(', ')}`);
console.log(`this process's launcher below: ${stageLauncherKind()}\n`);
console.log('| process RSS | spawn from this process | through the stage launcher | ratio |');
console.log('|---|---|---|---|');
for (const row of rows) console.log(row);
process.exit(0);
