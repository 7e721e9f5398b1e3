/**
 * docker-compose.yml against the cluster layout that `npm run test:cluster` runs
 * (scripts/cluster.sh). CI has no Docker engine, so this checks the file instead of
 * running it: the same Temporal services from the same config file and setup scripts,
 * the same server and UI versions, every variable the config template reads that has
 * no default, the published ports, the worker pools and their shared storage.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { TEMPOFLOW_SEARCH_ATTRIBUTES } from '../../../src/client/search-attributes.js';

const root = resolve(import.meta.dirname, '../../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface Service {
  image?: string;
  build?: string;
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
  healthcheck?: { test: string[] };
}
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = compose.services;

/** `NAME=(a b c)` or `NAME="${X:-default}"` of a bash script. */
function bashArray(script: string, name: string): string[] {
  const m = new RegExp(`^${name}=\\(([^)]*)\\)`, 'm').exec(read(script));
  if (!m) throw new Error(`${script} has no ${name}=(...)`);
  return m[1]!.trim().split(/\s+/);
}
function bashDefault(script: string, name: string): string {
  const m = new RegExp(`^${name}="\\$\\{[A-Z_]+:-([^}]+)\\}"`, 'm').exec(read(script));
  if (!m) throw new Error(`${script} has no ${name}="\${...:-default}"`);
  return m[1]!;
}

const temporalServices = bashArray('scripts/cluster.sh', 'SERVICES');
const serverVersion = bashDefault('scripts/setup-temporal-server.sh', 'SERVER_VERSION').replace(/^v/, '');
const uiVersion = bashDefault('scripts/setup-temporal-server.sh', 'UI_VERSION').replace(/^v/, '');
const configTemplate = read('deploy/temporal/config.yaml');
/** Variables the template reads, and those of them without a default. */
const templateVars = [...configTemplate.matchAll(/env "([A-Z_]+)"/g)].map((m) => m[1]!);
const requiredVars = [...new Set([...configTemplate.matchAll(/env "([A-Z_]+)"(?! \| default)/g)].map((m) => m[1]!))].filter(
  (v) => !['HOSTNAME', 'TEMPORAL_BROADCAST_ADDRESS', 'PROMETHEUS_ENDPOINT'].includes(v),
);

/** The container path where a service mounts a host path (read-only). */
function mountOf(service: Service, hostPath: string): string | undefined {
  const volume = (service.volumes ?? []).find((v) => v.startsWith(`${hostPath}:`));
  return volume?.split(':')[1];
}

describe('docker-compose.yml matches the tested cluster layout', () => {
  it('runs each Temporal service of scripts/cluster.sh in its own container of the tested server version', () => {
    expect([...temporalServices].sort()).toEqual(['frontend', 'history', 'matching', 'worker']);
    for (const svc of temporalServices) {
      const s = services[`temporal-${svc}`];
      expect(s, `temporal-${svc}`).toBeDefined();
      expect(s!.image).toBe(`temporalio/server:${serverVersion}`);
      expect(s!.command).toEqual([`--service=${svc}`]);
      expect(s!.depends_on?.['temporal-setup-schema']?.condition).toBe('service_completed_successfully');
    }
  });

  it('starts them in the order of scripts/cluster.sh (the first writes the cluster metadata)', () => {
    for (const [i, svc] of temporalServices.entries()) {
      if (i === 0) continue;
      const previous = `temporal-${temporalServices[i - 1]}`;
      expect(Object.keys(services[`temporal-${svc}`]!.depends_on!), svc).toContain(previous);
    }
  });

  it('every Temporal service reads deploy/temporal/config.yaml, as scripts/cluster.sh starts them', () => {
    // cluster.sh: --root "$ROOT" --config deploy/temporal --env config; compose: the same file, mounted.
    expect(read('scripts/cluster.sh')).toContain('--config deploy/temporal --env config --allow-no-auth start --service="$svc"');
    for (const svc of temporalServices) {
      const s = services[`temporal-${svc}`]!;
      const ep = s.entrypoint!;
      expect(ep.slice(0, 1)).toEqual(['temporal-server']);
      const rootDir = ep[ep.indexOf('--root') + 1]!;
      const configDir = ep[ep.indexOf('--config') + 1]!;
      expect(ep[ep.indexOf('--env') + 1]).toBe('config'); // loads <config dir>/config.yaml
      expect(ep).toContain('--allow-no-auth');
      expect(ep.at(-1)).toBe('start');
      expect(mountOf(s, './deploy/temporal')).toBe(join(rootDir, configDir));
      expect(s.volumes).toContain('./deploy/temporal:/etc/temporal/tempoflow:ro');
      expect(s.environment!['DYNAMIC_CONFIG_FILE_PATH']).toBe(`${mountOf(s, './deploy/temporal')}/dynamicconfig.yaml`);
    }
  });

  it('sets every variable the config template needs, and only variables it reads', () => {
    expect(requiredVars).toEqual(['POSTGRES_PWD']);
    for (const svc of temporalServices) {
      const env = services[`temporal-${svc}`]!.environment!;
      for (const v of Object.keys(env)) expect(templateVars, `${v} is not read by deploy/temporal/config.yaml`).toContain(v);
      for (const v of requiredVars) expect(env[v], v).toBeTruthy();
      // Listening on all interfaces, each service advertises its container's address (HOSTNAME).
      expect(env['BIND_ON_IP']).toBe('0.0.0.0');
      expect(env['TEMPORAL_BROADCAST_ADDRESS']).toBeUndefined();
      expect(env['POSTGRES_SEEDS']).toBe('postgresql');
    }
  });

  it('PostgreSQL: the tested major version, enough connections, and its schema setup by the shared script', () => {
    const pg = services['postgresql']!;
    expect(pg.image).toBe('postgres:15');
    const clusterMax = /max_connections = (\d+)/.exec(read('scripts/cluster.sh'))![1];
    expect(pg.command).toEqual(['postgres', '-c', `max_connections=${clusterMax}`]);
    expect(pg.environment!['POSTGRES_USER']).toBe(services['temporal-history']!.environment!['POSTGRES_USER']);
    expect(pg.environment!['POSTGRES_PASSWORD']).toBe(services['temporal-history']!.environment!['POSTGRES_PWD']);

    const schema = services['temporal-setup-schema']!;
    expect(schema.image).toMatch(new RegExp(`^temporalio/admin-tools:${serverVersion.replace(/\./g, '\\.')}-`));
    expect(schema.entrypoint).toEqual(['bash', `${mountOf(schema, './deploy/temporal')}/setup-schema.sh`]);
    expect(schema.environment!['SQL_PASSWORD']).toBe(pg.environment!['POSTGRES_PASSWORD']);
    expect(schema.depends_on?.['postgresql']?.condition).toBe('service_healthy');
    expect(read('scripts/cluster.sh')).toContain('bash "$ROOT/deploy/temporal/setup-schema.sh"');
  });

  it("registers the namespace and exactly tempoflow's search attributes with the shared script", () => {
    const ns = services['temporal-setup-namespace']!;
    expect(ns.entrypoint).toEqual(['bash', `${mountOf(ns, './deploy/temporal')}/setup-namespace.sh`]);
    expect(ns.environment!['TEMPORAL_ADDRESS']).toBe('temporal-frontend:7233');
    expect(ns.depends_on?.['temporal-frontend']?.condition).toBe('service_healthy');
    expect(read('scripts/cluster.sh')).toContain('bash "$ROOT/deploy/temporal/setup-namespace.sh"');
    const script = read('deploy/temporal/setup-namespace.sh');
    const registered: Record<string, string> = {};
    for (const m of script.matchAll(/^add (Keyword|Datetime) (.+)$/gm)) for (const name of m[2]!.split(' ')) registered[name] = m[1]!.toUpperCase();
    expect(registered).toEqual(TEMPOFLOW_SEARCH_ATTRIBUTES);
  });

  it('publishes the frontend and the Web UI of the tested UI version', () => {
    expect(services['temporal-frontend']!.ports).toEqual(['7233:7233']);
    expect(services['temporal-frontend']!.healthcheck!.test.slice(1, 5)).toEqual(['temporal', 'operator', 'cluster', 'health']);
    const ui = services['temporal-ui']!;
    expect(ui.image).toBe(`temporalio/ui:${uiVersion}`);
    expect(ui.environment!['TEMPORAL_ADDRESS']).toBe('temporal-frontend:7233');
    expect(ui.ports).toEqual(['8080:8080']);
  });

  it('scales `tempoflow worker` out with shared storage, plus a self-hosted pool, built from the Dockerfile', () => {
    expect(read('Dockerfile')).toMatch(/ENTRYPOINT \["node", "dist\/src\/cli\/main\.js"\]/);
    const main = services['worker']!;
    const selfHosted = services['worker-self-hosted']!;
    expect(main.deploy?.replicas).toBeGreaterThanOrEqual(2);
    expect(main.command).toEqual(['worker', '--task-queue', 'tempoflow']);
    expect(selfHosted.command).toEqual(['worker', '--task-queue', 'self-hosted']);
    for (const w of [main, selfHosted]) {
      expect(w.build).toBe('.');
      expect(w.environment!['TEMPORAL_ADDRESS']).toBe('temporal-frontend:7233');
      expect(w.depends_on?.['temporal-setup-namespace']?.condition).toBe('service_completed_successfully');
      const shared = mountOf(w, 'tempoflow-shared')!;
      expect(shared).toBeTruthy();
      for (const v of ['WORKFLOW_CORE_WORKSPACE_PATH', 'WORKFLOW_CORE_AUDIT_PATH', 'WORKFLOW_CORE_TRACE_PATH']) expect(w.environment![v]!.startsWith(`${shared}/`), v).toBe(true);
    }
    expect(Object.keys(compose.volumes)).toContain('tempoflow-shared');
  });
});
