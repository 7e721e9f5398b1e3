/**
 * Schedule routes: the Temporal Schedules of the conf tree's cron entries
 * (as `tempoflow schedule list`), and trigger, pause, unpause of a
 * workflow's schedules (or one schedule id). `schedule sync` stays a
 * deploy-time command of the CLI.
 */
import { createRoute } from '@hono/zod-openapi';
import { projectName } from '../client/release.js';
import { controlSchedules, desiredFromConf, viewSchedules, type DesiredSchedule } from '../client/schedules.js';
import type { App, RouteContext } from './app.js';
import { json, jsonBody } from './route-helpers.js';
import { ErrorBody, ScheduleDone, ScheduleList, ScheduleParams, ScheduleRequest } from './schemas.js';

const tags = ['schedules'];

export function registerScheduleRoutes(app: App, ctx: RouteContext): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/schedules',
      tags,
      summary: 'The schedules of the project: the YAML’s cron entries and the server’s schedules, with next fire times and paused state',
      responses: { 200: json(ScheduleList, 'The schedules'), 400: json(ErrorBody, 'The conf tree is invalid') },
    }),
    async (c) => {
      const runtime = await ctx.runtime();
      const project = projectName();
      const views = await viewSchedules(runtime.client, desiredFromConf(ctx.confPath, { project, taskQueue: runtime.taskQueue }), project);
      return c.json({ project, schedules: JSON.parse(JSON.stringify(views)) as unknown[] }, 200) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/schedules/{name}/{action}',
      tags,
      summary: 'Trigger (a release now), pause or unpause the schedules of a workflow, or one schedule id',
      request: { params: ScheduleParams, body: jsonBody(ScheduleRequest, false) },
      responses: { 200: json(ScheduleDone, 'The schedules acted on'), 404: json(ErrorBody, 'No schedule of that name (`tempoflow schedule sync` creates them)') },
    }),
    async (c) => {
      const { name, action } = c.req.valid('param');
      const note = c.req.valid('json')?.note;
      const runtime = await ctx.runtime();
      const project = projectName();
      let desired: DesiredSchedule[] = [];
      try {
        desired = desiredFromConf(ctx.confPath, { project, taskQueue: runtime.taskQueue });
      } catch {
        /* an invalid conf tree does not stop pause or trigger: the server's listing still names the schedules */
      }
      const ids = await controlSchedules(runtime.client, project, name, action === 'trigger' ? { kind: 'trigger' } : { kind: action, ...(note ? { note } : {}) }, desired);
      return c.json({ action, schedules: ids }, 200) as never;
    },
  );
}
