/**
 * `tempoflow serve` and `tempoflow dev` listen on one default port, and it is
 * not a port the Temporal deployments we ship already take (the UI server's
 * 8080 in docker-compose, deploy/ui/config.yaml and scripts/cluster.sh; the
 * dev server's UI on 8233).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { register as registerDev } from '../../../src/cli/dev.js';
import { register as registerServe } from '../../../src/cli/serve.js';
import { DEFAULT_HTTP_PORT } from '../../../src/server/serve.js';

const root = resolve(import.meta.dirname, '../../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

describe('the web view and API port', () => {
  it('is the default of both serve and dev', () => {
    const program = new Command();
    registerServe(program);
    registerDev(program);
    for (const name of ['serve', 'dev']) {
      const port = program.commands.find((c) => c.name() === name)!.options.find((o) => o.long === '--port')!;
      expect(port.defaultValue, name).toBe(DEFAULT_HTTP_PORT);
    }
  });

  it('is none of the ports the shipped Temporal deployments take', () => {
    const taken = new Set<number>([8233]);
    for (const m of read('docker-compose.yml').matchAll(/- "(\d+):\d+"/g)) taken.add(Number(m[1]));
    taken.add(Number(/TEMPORAL_UI_PORT" \| default "(\d+)"/.exec(read('deploy/ui/config.yaml'))![1]));
    for (const m of /pick_ports "\$ip" ([\d ]+)\)/.exec(read('scripts/cluster.sh'))![1]!.trim().split(' ')) taken.add(Number(m));
    expect(taken).toContain(8080);
    expect(taken.has(DEFAULT_HTTP_PORT)).toBe(false);
  });
});
