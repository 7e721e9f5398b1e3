/**
 * The container side of deploy/temporal/config.yaml, rendered by the real server: for
 * each Temporal service of docker-compose.yml, `temporal-server render-config` with
 * that service's environment (as the container would have it, with a resolvable
 * HOSTNAME) yields a config that listens on all interfaces, advertises the
 * container's address, and reaches the `postgresql` service. The local side of the
 * same file is what the rest of this suite runs on.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = resolve(import.meta.dirname, '../..');

interface Service {
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
}

/** `${VAR:-default}` of a compose value, with the default. */
const interpolate = (value: string) => value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');

describe('docker-compose.yml renders deploy/temporal/config.yaml with the real server', () => {
  const server = /^TEMPORAL_SERVER=(.+)$/m.exec(execFileSync('bash', [join(root, 'scripts/setup-temporal-server.sh')], { encoding: 'utf8' }))![1]!;
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
  const temporal = Object.entries(compose.services).filter(([, s]) => s.entrypoint?.[0] === 'temporal-server');

  let localhost: string[] = [];
  beforeAll(async () => {
    localhost = (await lookup('localhost', { all: true })).map((a) => a.address);
  });

  it.each(temporal.map(([name]) => name))('%s', (name) => {
    const service = compose.services[name]!;
    const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]));
    const out = execFileSync(server, ['--config', join(root, 'deploy/temporal'), '--env', 'config', 'render-config'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: process.env.HOME, HOSTNAME: 'localhost', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const config = parse(out) as {
      persistence: { numHistoryShards: number; datastores: Record<string, { sql: { connectAddr: string; user: string; databaseName: string } }> };
      global: { membership: { broadcastAddress: string } };
      services: Record<string, { rpc: { bindOnIP: string; grpcPort: number } }>;
      dynamicConfigClient: { filepath: string };
    };
    expect(config.persistence.numHistoryShards).toBe(Number(env['NUM_HISTORY_SHARDS']));
    expect(Object.values(config.persistence.datastores).map((d) => [d.sql.connectAddr, d.sql.user, d.sql.databaseName])).toEqual([
      ['postgresql:5432', 'temporal', 'temporal'],
      ['postgresql:5432', 'temporal', 'temporal_visibility'],
    ]);
    // Listening on all interfaces, each container advertises its own address (HOSTNAME's).
    expect(localhost).toContain(config.global.membership.broadcastAddress);
    expect(Object.keys(config.services).sort()).toEqual(['frontend', 'history', 'matching', 'worker']);
    for (const svc of Object.values(config.services)) expect(svc.rpc.bindOnIP).toBe('0.0.0.0');
    expect(config.services['frontend']!.rpc.grpcPort).toBe(7233);
    expect(config.dynamicConfigClient.filepath).toBe(env['DYNAMIC_CONFIG_FILE_PATH']);
  });
});
