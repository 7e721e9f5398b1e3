/**
 * `tempoflow serve`'s HTTP API against the real dev server (docs/api.md):
 * the bearer token, every route the API lists, 400s that carry each problem
 * with its `file:line:col`, hostile input that starts nothing, webhook
 * deliveries (HMAC valid, wrong, replayed), and the OpenAPI document.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signBody } from '../../src/server/auth.js';
import { eventually } from '../helpers/processes.js';
import { startTestServer, TEST_API_TOKEN, type TestServer } from '../helpers/serve.js';
import { writeConf } from '../helpers/temporal.js';

const HOOK_SECRET = 'hook-secret-for-tests-42';

const conf = () =>
  writeConf({
    'gated.yml': `
api-gated:
  type: Workflow
  desc: Builds, then waits for a decision before it ships.
  params:
    count: { type: int, default: 1 }
    who: { type: str, default: nobody }
  on:
    - cron: '0 9 * * 1-5'
    - manual: true
  jobs:
    build:
      stages:
        - name: Build
          bash: echo built for the api test
    deploy:
      needs: [build]
      stages:
        - name: Gate
          id: gate
          approval: Ship it?
          approvers: [alice]
        - name: Ship
          bash: echo shipped
`,
    'broken.yml': `
broken:
  type: Workflow
  jobs:
    fails:
      stages:
        - name: Boom
          bash: echo oops >&2; exit 3
`,
    'hooked.yml': `
hooked:
  type: Workflow
  params:
    ref: { type: str }
  on:
    - webhook:
        secret: GH_HOOK
        params:
          ref: \${{ event.body.ref }}
  jobs:
    one:
      stages:
        - name: Echo
          bash: echo pushed
`,
    'hooked-token.yml': `
hooked-token:
  type: Workflow
  on:
    - webhook:
        secret: PLAIN_HOOK
        auth: token
  jobs:
    one:
      stages:
        - name: Echo
          bash: echo delivered
`,
    'bad.yml': `
bad:
  type: Workflow
  jobs:
    a:
      needs: [nowhere]
      stages:
        - name: X
          bash: echo x
`,
  });

type Json = Record<string, unknown> & { error?: { code: string; message: string; problems?: Record<string, unknown>[] } };

async function body(response: Response): Promise<Json> {
  return (await response.json()) as Json;
}

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer(conf(), { env: { TEMPOFLOW_SECRET_GH_HOOK: HOOK_SECRET, TEMPOFLOW_SECRET_PLAIN_HOOK: `${HOOK_SECRET}-plain` }, bodyLimit: 64 * 1024 });
});

afterAll(async () => {
  await t?.close();
});

/** Runs of `workflow` that Temporal's visibility lists. */
async function listedRuns(workflow: string): Promise<string[]> {
  const answer = await body(await t.api(`/api/runs?workflow=${workflow}`));
  return ((answer['runs'] ?? []) as { runId: string }[]).map((r) => r.runId);
}

async function waitForStatus(runId: string, status: string): Promise<Json> {
  let last: Json = {};
  await eventually(
    async () => {
      last = await body(await t.api(`/api/runs/${runId}`));
      return last['status'] === status && last['running'] === false;
    },
    30_000,
    200,
  );
  return last;
}

describe('serve: auth', () => {
  it('refuses API routes without the token or with a wrong one, and says how to send it', async () => {
    const none = await t.api('/api/workflows', { headers: { Authorization: '' } });
    expect(none.status).toBe(401);
    expect((await body(none)).error).toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/Authorization: Bearer/) });
    const wrong = await t.api('/api/workflows', { headers: { Authorization: `Bearer ${TEST_API_TOKEN}x` } });
    expect(wrong.status).toBe(401);
    expect((await body(wrong)).error?.message).toMatch(/not the API token/);
    // A refused start starts nothing.
    const refused = await t.api('/api/workflows/api-gated/runs', { method: 'POST', headers: { Authorization: 'Bearer nope-nope-nope-nope', 'Content-Type': 'application/json' }, body: '{}' });
    expect(refused.status).toBe(401);
    expect(await listedRuns('api-gated')).toEqual([]);
    expect((await t.api('/api/workflows')).status).toBe(200);
  });

  it('serves the page and the OpenAPI document without a token; the page asks for one', async () => {
    const page = await fetch(`${t.server.url}/runs/some-run`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('data-auth="token"');
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(page.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('runs open on loopback only when allowed (tempoflow dev), and the page knows it', async () => {
    const { startServer } = await import('../../src/server/serve.js');
    const open = await startServer({ runtime: t.runtime, confPath: '.', port: 0, env: {}, allowOpenOnLoopback: true, log: () => undefined });
    try {
      expect(open.open).toBe(true);
      expect((await fetch(`${open.url}/api/workflows`)).status).toBe(200);
      expect(await (await fetch(`${open.url}/`)).text()).toContain('data-auth="open"');
    } finally {
      await open.close();
    }
  });

  it('refuses to start without a token anywhere but loopback, and with a short token', async () => {
    const { startServer } = await import('../../src/server/serve.js');
    await expect(startServer({ runtime: t.runtime, confPath: '.', port: 0, env: {} })).rejects.toThrow(/needs an API token: set TEMPOFLOW_API_TOKEN/);
    await expect(startServer({ runtime: t.runtime, confPath: '.', port: 0, host: '0.0.0.0', env: {}, allowOpenOnLoopback: true })).rejects.toThrow(
      /only a loopback address \(not 0\.0\.0\.0\) may run open/,
    );
    await expect(startServer({ runtime: t.runtime, confPath: '.', port: 0, env: { TEMPOFLOW_API_TOKEN: 'short' } })).rejects.toThrow(/at least 16/);
  });
});

describe('serve: OpenAPI', () => {
  it('describes every route with its schemas and the bearer scheme', async () => {
    const response = await fetch(`${t.server.url}/openapi.json`);
    expect(response.status).toBe(200);
    const doc = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>>;
      components: { securitySchemes: Record<string, { type: string; scheme?: string }>; schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toMatch(/^3\./);
    const routes = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    for (const route of [
      'GET /api/workflows',
      'GET /api/workflows/{name}',
      'GET /api/validate',
      'POST /api/workflows/{name}/runs',
      'POST /api/workflows/{name}/releases',
      'GET /api/runs',
      'GET /api/runs/{runId}',
      'GET /api/runs/{runId}/events',
      'GET /api/runs/{runId}/definition',
      'GET /api/runs/{runId}/logs',
      'POST /api/runs/{runId}/cancel',
      'POST /api/runs/{runId}/approve',
      'POST /api/runs/{runId}/reject',
      'POST /api/runs/{runId}/rerun',
      'GET /api/schedules',
      'POST /api/schedules/{name}/{action}',
      'POST /api/hooks/{name}',
    ]) {
      expect(routes).toContain(route);
    }
    expect(Object.values(doc.components.securitySchemes)).toContainEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    expect(doc.components.schemas).toHaveProperty('Error');
    expect(doc.components.schemas).toHaveProperty('RunView');
    // Webhooks authenticate with their own secret, not the API token.
    expect(doc.paths['/api/hooks/{name}']!['post']!.security).toEqual([]);
    expect(Object.keys(doc.paths['/api/workflows/{name}/runs']!['post']!.responses)).toEqual(expect.arrayContaining(['201', '400', '404']));
  });
});

describe('serve: workflows', () => {
  it('lists workflows with params and triggers, shows one with its definition, and validates', async () => {
    const list = await body(await t.api('/api/workflows'));
    const workflows = list['workflows'] as { name: string; valid: boolean; params: { name: string; type: string }[]; schedules: { cron: string }[]; webhook?: { auth: string } }[];
    const gated = workflows.find((w) => w.name === 'api-gated')!;
    expect(gated).toMatchObject({ valid: true, schedules: [expect.objectContaining({ cron: '0 9 * * 1-5' })] });
    expect(gated.params.map((p) => `${p.name}: ${p.type}`)).toEqual(['count: int', 'who: str']);
    expect(workflows.find((w) => w.name === 'hooked')!.webhook).toMatchObject({ auth: 'hmac' });
    expect(JSON.stringify(list)).not.toContain(HOOK_SECRET);
    expect(workflows.find((w) => w.name === 'bad')!.valid).toBe(false);

    const one = await body(await t.api('/api/workflows/api-gated'));
    expect((one['definition'] as { jobs: { id: string; needs: string[] }[] }).jobs.map((j) => [j.id, j.needs])).toEqual([
      ['build', []],
      ['deploy', ['build']],
    ]);

    const validation = await body(await t.api('/api/validate?names=bad'));
    expect(validation['ok']).toBe(false);
    expect(validation['issues']).toContainEqual(
      expect.objectContaining({ severity: 'error', file: expect.stringMatching(/bad\.yml$/), line: expect.any(Number), col: expect.any(Number), message: expect.stringMatching(/nowhere/) }),
    );
    expect((await t.api('/api/workflows/nothing-here')).status).toBe(404);
  });

  it('answers bad params, bad YAML and hostile input with 400/404/413 and every problem, and starts nothing', async () => {
    const params = await t.post('/api/workflows/api-gated/runs', { params: { count: 'many' } });
    expect(params.status).toBe(400);
    const paramError = (await body(params)).error!;
    expect(paramError.code).toBe('invalid-params');
    expect(paramError.problems).toEqual([expect.objectContaining({ param: 'count', message: expect.any(String), location: expect.stringMatching(/gated\.yml:\d+:\d+$/) })]);

    const yaml = await t.post('/api/workflows/bad/runs', {});
    expect(yaml.status).toBe(400);
    const yamlError = (await body(yaml)).error!;
    expect(yamlError.code).toBe('invalid-config');
    expect(yamlError.problems).toContainEqual(expect.objectContaining({ location: expect.stringMatching(/bad\.yml:\d+:\d+$/), message: expect.stringMatching(/nowhere/) }));

    const unknownKey = await t.post('/api/workflows/api-gated/runs', { params: {}, surprise: true });
    expect(unknownKey.status).toBe(400);
    expect((await body(unknownKey)).error).toMatchObject({ code: 'invalid-request', problems: [expect.objectContaining({ message: expect.any(String) })] });

    const notJson = await t.api('/api/workflows/api-gated/runs', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"params": ' });
    expect(notJson.status).toBe(400);
    expect((await body(notJson)).error?.code).toBe('invalid-json');

    const huge = await t.post('/api/workflows/api-gated/runs', { params: { who: 'x'.repeat(100 * 1024) } });
    expect(huge.status).toBe(413);
    expect((await body(huge)).error?.code).toBe('payload-too-large');

    for (const name of ['..%2F..%2Fetc%2Fpasswd', '..', 'gated%00']) {
      const traversal = await t.post(`/api/workflows/${name}/runs`, {});
      expect([400, 404]).toContain(traversal.status);
      expect((await body(traversal)).error?.code).toMatch(/invalid-request|not-found|workflow-not-found/);
    }
    expect(await listedRuns('api-gated')).toEqual([]);
    expect(await listedRuns('bad')).toEqual([]);
  });
});

describe('serve: runs', () => {
  it('starts a run, shows it live waiting for approval, approves it, and it ends SUCCESS with its logs', async () => {
    const started = await t.post('/api/workflows/api-gated/runs', { params: { count: '2', who: 'api' } });
    expect(started.status).toBe(201);
    const { runId, links } = (await body(started)) as { runId: string; links: { api: string } };
    expect(started.headers.get('location')).toBe(`/api/runs/${runId}`);
    expect(links.api).toBe(`/api/runs/${runId}`);

    let view: Json = {};
    await eventually(
      async () => {
        view = await body(await t.api(`/api/runs/${runId}`));
        return (view['waitingApprovals'] as { path: string }[] | undefined)?.some((w) => w.path === 'deploy.gate');
      },
      30_000,
      200,
    );
    expect(view).toMatchObject({ runId, workflow: 'api-gated', running: true, waitingApprovals: [expect.objectContaining({ path: 'deploy.gate', message: 'Ship it?', approvers: ['alice'] })] });
    expect(view['context'], JSON.stringify(view, null, 1)).toMatchObject({ jobs: { build: { status: 'SUCCESS' } } });

    const definition = await body(await t.api(`/api/runs/${runId}/definition`));
    expect((definition['definition'] as { jobs: { id: string }[] }).jobs.map((j) => j.id)).toEqual(['build', 'deploy']);

    // The live stream sends the run's view as `run` events.
    const stream = await t.api(`/api/runs/${runId}/events`, { headers: { Accept: 'text/event-stream' } });
    expect(stream.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('\n\n')) text += (await reader.read()).value ?? '';
    await reader.cancel();
    expect(text).toMatch(/^event: run\ndata: \{/m);
    expect(text).toContain(`"runId":"${runId}"`);

    const noStage = await t.post(`/api/runs/${runId}/approve`, {});
    expect(noStage.status).toBe(400);
    expect((await body(noStage)).error?.problems).toContainEqual(expect.objectContaining({ path: 'stage' }));

    const approved = await t.post(`/api/runs/${runId}/approve`, { stage: 'deploy.gate', by: 'alice' });
    expect(approved.status).toBe(202);
    const done = await waitForStatus(runId, 'SUCCESS');
    expect(done['waitingApprovals']).toEqual([]);

    const logs = await body(await t.api(`/api/runs/${runId}/logs`));
    expect(logs['stages']).toContainEqual(expect.objectContaining({ job: 'build', status: 'SUCCESS', stdout: expect.stringContaining('built for the api test') }));

    expect(await eventually(async () => (await listedRuns('api-gated')).includes(runId), 20_000, 300)).toBe(true);
    const finished = await body(await t.api('/api/runs?workflow=api-gated&status=completed'));
    expect((finished['runs'] as { runId: string }[]).map((r) => r.runId)).toContain(runId);
    expect((await t.post(`/api/runs/${runId}/approve`, { stage: 'deploy.gate' })).status).toBe(409);
  });

  it('rejects, cancels, shows a failed run with its error, and reruns it', async () => {
    const gated = (await body(await t.post('/api/workflows/api-gated/runs', {})))['runId'] as string;
    await eventually(async () => ((await body(await t.api(`/api/runs/${gated}`)))['waitingApprovals'] as unknown[] | undefined)?.length, 30_000, 200);
    expect((await t.post(`/api/runs/${gated}/reject`, { stage: 'deploy.gate', reason: 'not today' })).status).toBe(202);
    const rejected = await waitForStatus(gated, 'FAILED');
    expect(JSON.stringify(rejected['context'])).toContain('not today');

    const toCancel = (await body(await t.post('/api/workflows/api-gated/runs', {})))['runId'] as string;
    await eventually(async () => ((await body(await t.api(`/api/runs/${toCancel}`)))['waitingApprovals'] as unknown[] | undefined)?.length, 30_000, 200);
    expect((await t.post(`/api/runs/${toCancel}/cancel`, { reason: 'from the test' })).status).toBe(202);
    await waitForStatus(toCancel, 'CANCEL');

    const broken = (await body(await t.post('/api/workflows/broken/runs', {})))['runId'] as string;
    const failed = await waitForStatus(broken, 'FAILED');
    const errors = (failed['context'] as { errors: { job?: string; message: string }[] }).errors;
    expect(errors).toContainEqual(expect.objectContaining({ job: 'fails', message: expect.stringMatching(/exit|3/) }));
    const logs = await body(await t.api(`/api/runs/${broken}/logs`));
    expect(logs['stages']).toContainEqual(expect.objectContaining({ status: 'FAILED', stderr: expect.stringContaining('oops') }));

    const rerun = await t.post(`/api/runs/${broken}/rerun`, {});
    expect(rerun.status).toBe(201);
    const again = (await body(rerun)) as { runId: string; parentRunId: string; rerun: string[] };
    expect(again).toMatchObject({ parentRunId: broken, rerun: ['fails'] });
    expect(again.runId).not.toBe(broken);
    await waitForStatus(again.runId, 'FAILED');

    const missing = await t.api('/api/runs/no-such-run-id');
    expect(missing.status).toBe(404);
    expect((await body(missing)).error?.code).toBe('run-not-found');
  });

  it('releases with a type; schedules answer 400 with the problems while the conf tree is invalid', async () => {
    const release = await t.post('/api/workflows/broken/releases', { type: 'dryrun', wait: true });
    expect(release.status).toBe(200);
    expect(await body(release)).toMatchObject({ releaseType: 'DRYRUN', result: expect.objectContaining({ status: expect.any(String) }) });
    const badType = await t.post('/api/workflows/broken/releases', { type: 'sometimes' });
    expect(badType.status).toBe(400);
    expect((await body(badType)).error?.problems).toContainEqual(expect.objectContaining({ path: 'type' }));
    const schedules = await t.api('/api/schedules');
    expect(schedules.status).toBe(400);
    expect((await body(schedules)).error?.problems).toContainEqual(expect.objectContaining({ location: expect.stringMatching(/bad\.yml:\d+:\d+$/) }));
  });
});

describe('serve: webhooks', () => {
  const deliver = (payload: string, headers: Record<string, string>) =>
    fetch(`${t.server.url}/api/hooks/hooked`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: payload });

  it('starts one run per delivery id with a valid HMAC, and refuses wrong or missing signatures', async () => {
    const payload = JSON.stringify({ ref: 'refs/heads/main' });
    const deliveryId = `delivery-${Date.now()}`;
    const first = await deliver(payload, { 'X-Hub-Signature-256': signBody(HOOK_SECRET, payload), 'X-GitHub-Delivery': deliveryId });
    expect(first.status).toBe(202);
    const accepted = (await body(first)) as { runId: string; duplicate: boolean };
    expect(accepted.duplicate).toBe(false);
    await waitForStatus(accepted.runId, 'SUCCESS');
    const run = await body(await t.api(`/api/runs/${accepted.runId}`));
    expect(JSON.stringify(run['context'])).toContain('refs/heads/main');

    // The same delivery again (a sender's retry): nothing new starts.
    const replay = await deliver(payload, { 'X-Hub-Signature-256': signBody(HOOK_SECRET, payload), 'X-GitHub-Delivery': deliveryId });
    expect(replay.status).toBe(200);
    expect(await body(replay)).toMatchObject({ runId: accepted.runId, duplicate: true });

    const forged = await deliver(payload, { 'X-Hub-Signature-256': signBody('another-secret', payload), 'X-GitHub-Delivery': `${deliveryId}-2` });
    expect(forged.status).toBe(401);
    expect((await body(forged)).error).toMatchObject({ code: 'bad-signature', message: expect.stringMatching(/does not match/) });
    const tampered = await deliver(JSON.stringify({ ref: 'refs/heads/evil' }), { 'X-Hub-Signature-256': signBody(HOOK_SECRET, payload), 'X-GitHub-Delivery': `${deliveryId}-3` });
    expect(tampered.status).toBe(401);
    const unsigned = await deliver(payload, { 'X-GitHub-Delivery': `${deliveryId}-4` });
    expect(unsigned.status).toBe(401);
    expect((await body(unsigned)).error?.message).toMatch(/X-Hub-Signature-256: sha256=/);
    // The API token is not a hook's secret.
    const withToken = await deliver(payload, { Authorization: `Bearer ${TEST_API_TOKEN}`, 'X-GitHub-Delivery': `${deliveryId}-5` });
    expect(withToken.status).toBe(401);
    const noId = await deliver(payload, { 'X-Hub-Signature-256': signBody(HOOK_SECRET, payload) });
    expect(noId.status).toBe(400);
    expect((await body(noId)).error?.message).toMatch(/X-GitHub-Delivery/);

    expect(await eventually(async () => (await listedRuns('hooked')).length === 1, 10_000, 300)).toBe(true);
    expect(await listedRuns('hooked')).toEqual([accepted.runId]);
    expect(t.log.join('\n')).not.toContain(HOOK_SECRET);
  });

  it('takes the hook secret as a bearer token for `auth: token`, and nothing else', async () => {
    const send = (authorization: string, id: string) =>
      fetch(`${t.server.url}/api/hooks/hooked-token`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: authorization, 'Idempotency-Key': id }, body: '{}' });
    const stamp = Date.now();
    expect((await send(`Bearer ${TEST_API_TOKEN}`, `t-${stamp}-1`)).status).toBe(401);
    expect((await send(`Bearer ${HOOK_SECRET}`, `t-${stamp}-2`)).status).toBe(401);
    const accepted = await send(`Bearer ${HOOK_SECRET}-plain`, `t-${stamp}-3`);
    expect(accepted.status).toBe(202);
    await waitForStatus(((await body(accepted)) as { runId: string }).runId, 'SUCCESS');
  });

  it('answers 404 for a workflow without a webhook entry', async () => {
    const payload = '{}';
    const response = await fetch(`${t.server.url}/api/hooks/api-gated`, {
      method: 'POST',
      headers: { 'X-Hub-Signature-256': signBody(HOOK_SECRET, payload), 'X-GitHub-Delivery': 'd-1' },
      body: payload,
    });
    expect(response.status).toBe(404);
  });
});
