/**
 * `tempoflow serve`'s schedule routes against real Temporal Schedules
 * (docs/api.md): list with next fire times, pause with a note, unpause,
 * trigger a release now (it runs on the server's worker), and 404 for a name
 * without schedules. Its own project, so the suite's other schedules are
 * never touched.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { desiredFromConf, syncSchedules } from '../../src/client/schedules.js';
import { eventually } from '../helpers/processes.js';
import { startTestServer, type TestServer } from '../helpers/serve.js';
import { writeConf } from '../helpers/temporal.js';

const project = `serve-sched-${randomBytes(4).toString('hex')}`;
const CONF = `
nightly:
  type: Workflow
  params:
    mode: { type: str, default: manual }
  on:
    - cron: "0 3 * * *"
      timezone: UTC
      params: { mode: nightly }
  jobs:
    main:
      stages:
        - name: Say
          bash: echo "mode $TF_PARAM_MODE"
`;

interface View {
  id: string;
  workflow?: string;
  cron?: string;
  exists: boolean;
  paused?: boolean;
  note?: string;
  nextActionTimes: string[];
  recentActions: { scheduledAt: string; workflowId?: string }[];
}

let t: TestServer;
let conf: string;
const previousProject = process.env.WORKFLOW_CORE_PROJECT;

beforeAll(async () => {
  process.env.WORKFLOW_CORE_PROJECT = project;
  conf = writeConf({ 'nightly.yml': CONF });
  t = await startTestServer(conf);
  await syncSchedules(t.runtime.client, desiredFromConf(conf, { project, taskQueue: t.taskQueue }), { project });
}, 60_000);

afterAll(async () => {
  await syncSchedules(t.runtime.client, [], { project }).catch(() => undefined); // deletes this project's schedules
  await t?.close();
  if (previousProject === undefined) delete process.env.WORKFLOW_CORE_PROJECT;
  else process.env.WORKFLOW_CORE_PROJECT = previousProject;
});

const views = async (): Promise<View[]> => {
  const res = await t.api('/api/schedules');
  expect(res.status).toBe(200);
  const listing = (await res.json()) as { project: string; schedules: View[] };
  expect(listing.project).toBe(project);
  return listing.schedules;
};

describe('serve: schedules', () => {
  it('lists, pauses with a note, unpauses, triggers a release that runs, and 404s an unknown name', async () => {
    const [nightly] = await views();
    expect(nightly).toMatchObject({ workflow: 'nightly', cron: '0 3 * * *', exists: true, paused: false });
    expect(nightly!.nextActionTimes.length).toBeGreaterThan(0);
    expect(new Date(nightly!.nextActionTimes[0]!).getUTCHours()).toBe(3);

    const paused = await t.post('/api/schedules/nightly/pause', { note: 'warehouse maintenance' });
    expect(paused.status).toBe(200);
    expect(await paused.json()).toEqual({ action: 'pause', schedules: [nightly!.id] });
    expect((await views())[0]).toMatchObject({ paused: true, note: 'warehouse maintenance' });

    const unpaused = await t.post('/api/schedules/nightly/unpause', {});
    expect(unpaused.status).toBe(200);
    expect((await views())[0]).toMatchObject({ paused: false });

    const triggered = await t.post('/api/schedules/nightly/trigger', {});
    expect(triggered.status).toBe(200);
    expect(await triggered.json()).toEqual({ action: 'trigger', schedules: [nightly!.id] });
    const started = await eventually(async () => (await views())[0]!.recentActions.find((a) => a.workflowId)?.workflowId, 20_000, 300);
    expect(started).toBeTruthy();
    // The release runs on the server's worker, with the schedule's params.
    const outcome = (await t.runtime.client.workflow.getHandle(started!).result()) as { status: string; releaseType: string; context?: { params: Record<string, unknown> } };
    expect(outcome).toMatchObject({ status: 'SUCCESS', releaseType: 'NORMAL', context: { params: { mode: 'nightly' } } });

    const unknown = await t.post('/api/schedules/no-such-workflow/pause', {});
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error?: { message?: string } }).error?.message).toMatch(/has no schedule in project/);
  }, 90_000);
});
