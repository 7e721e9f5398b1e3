/**
 * The server settings of docs/operations.md ("Server settings") are the same on
 * tempoflow's dev servers (`DEV_SERVER_DYNAMIC_CONFIG`) and in the dynamic config file
 * of the cluster layout (`deploy/temporal/dynamicconfig.yaml`, read by scripts/cluster.sh
 * and docker-compose.yml), and the operations guide names each of them.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEV_SERVER_DYNAMIC_CONFIG, dynamicConfigArgs } from '../../../src/client/embedded-server.js';

const root = resolve(import.meta.dirname, '../../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const clusterConfig = parse(read('deploy/temporal/dynamicconfig.yaml')) as Record<string, { value: unknown; constraints?: unknown }[]>;

describe('server settings', () => {
  it('the cluster file sets every dev server key to the same value, unconstrained', () => {
    for (const [key, value] of Object.entries(DEV_SERVER_DYNAMIC_CONFIG)) {
      expect(clusterConfig[key], key).toEqual([{ value }]);
    }
  });

  it('the cluster file sets nothing the dev servers do not', () => {
    expect(Object.keys(clusterConfig).sort()).toEqual(Object.keys(DEV_SERVER_DYNAMIC_CONFIG).sort());
  });

  it("raises the transfer queue read rate above Temporal's default of 20 a second", () => {
    expect(DEV_SERVER_DYNAMIC_CONFIG['history.transferProcessorMaxPollRPS']).toBeGreaterThan(20);
  });

  it('docs/operations.md names every key', () => {
    const doc = read('docs/operations.md');
    for (const key of Object.keys(DEV_SERVER_DYNAMIC_CONFIG)) expect(doc, key).toContain(`\`${key}\``);
  });

  it('passes each key to `temporal server start-dev` as KEY=JSON', () => {
    expect(dynamicConfigArgs({ 'a.b': true, 'c.d': 1000 })).toEqual(['--dynamic-config-value', 'a.b=true', '--dynamic-config-value', 'c.d=1000']);
  });
});
