/** Process inspection for tests: is anything with this marker still alive? */
import { readdirSync, readFileSync } from 'node:fs';

/** Live (non-zombie) processes whose command line contains `marker`. */
export function processesMatching(marker: string): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (!cmdline.includes(marker)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'Z' || state === 'X') continue;
      found.push({ pid: Number(entry), cmdline });
    } catch {
      /* exited while we looked */
    }
  }
  return found.filter((p) => p.pid !== process.pid);
}

/** Polls until `check` is true or `timeoutMs` passes; returns the last value. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 10_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await check();
  while (!value && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, intervalMs));
    value = await check();
  }
  return value;
}

/** A unique `sleep` duration whose command line identifies one test's process. */
export function uniqueSleep(seconds: number): string {
  return `${seconds}.${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}1`;
}
