/**
 * CPU an idle Temporal server uses: what a `tempoflow dev` (or a cluster) left running
 * costs when nothing runs. Starts a dev server with tempoflow's dynamic config (or the
 * one given as for the other benches), lets it settle, and prints the CPU seconds its
 * processes used over the window, with Temporal's defaults measured the same way first.
 *
 *   npx tsx bench/idle-server.ts [--seconds 30] [--server-config KEY=JSON]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startDevServer } from '../test/helpers/dev-server.js';
import { benchDynamicConfig, cpuSeconds, dynamicConfigLabel } from './common.js';

const args = process.argv.slice(2);
const seconds = args.includes('--seconds') ? Number(args[args.indexOf('--seconds') + 1]) : 30;
const SETTLE_SECONDS = 15;

async function idleCpu(dynamicConfig: Record<string, boolean | number | string>): Promise<number> {
  const server = await startDevServer({ dynamicConfig });
  try {
    await sleep(SETTLE_SECONDS * 1000);
    const before = cpuSeconds([server.pid]);
    await sleep(seconds * 1000);
    return cpuSeconds([server.pid]) - before;
  } finally {
    server.stop();
  }
}

const defaults = await idleCpu({});
const ours = benchDynamicConfig(args);
const tuned = await idleCpu(ours);
console.log(`idle dev server, ${seconds} s after ${SETTLE_SECONDS} s to settle:`);
console.log(`  ${dynamicConfigLabel({})}: ${defaults.toFixed(2)} CPU s`);
console.log(`  ${dynamicConfigLabel(ours)}: ${tuned.toFixed(2)} CPU s`);
