/**
 * The HTTP API's request and response shapes (docs/api.md). One zod schema
 * per shape, named like its type: requests are validated against them and
 * `/openapi.json` is generated from them, so the document cannot drift from
 * what the server accepts. Objects sent by clients are strict (an unknown key
 * is a 400, as an unknown YAML key is an error); response shapes document what
 * the client API returns.
 */
import { z } from 'zod';
import { Status } from '../client/result.js';
import { RUN_STATUS_FILTERS } from '../client/runs.js';

/** A workflow name as the conf tree names it: no slashes, no leading dot, so never a path. */
export const WORKFLOW_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$/;

/** A run id (= Temporal workflow id) as tempoflow makes them: `<workflow>-<time>-<hex>`, `tf:<workflow>:<time>`, ... */
export const RUN_ID = /^[A-Za-z0-9_][A-Za-z0-9_.:@=-]{0,254}$/;

export const WorkflowNameParam = z.object({
  name: z.string().regex(WORKFLOW_NAME, 'a workflow name: letters, digits, `_`, `.` and `-`, not starting with `.`').describe('Workflow name (the top-level key of its YAML)'),
});

export const RunIdParam = z.object({
  runId: z.string().regex(RUN_ID, 'a run id: letters, digits and `_ . : @ = -`').describe('Run id (the Temporal workflow id)'),
});

const StatusEnum = z.enum(Object.values(Status) as [Status, ...Status[]]).describe('tempoflow status');

/** A problem of a request: what is wrong, where (`file:line:col` for YAML) and how to fix it. */
export const Problem = z
  .object({
    message: z.string(),
    code: z.string().optional().describe('Validation code (docs/yaml-format.md "Validation codes") or request problem'),
    severity: z.enum(['error', 'warning']).optional(),
    location: z.string().optional().describe('`file:line:col` in the YAML'),
    path: z.string().optional().describe('Where in the YAML object or the request'),
    param: z.string().optional().describe('The param at fault'),
    hint: z.string().optional(),
  })
  .meta({ id: 'Problem' });
export type Problem = z.infer<typeof Problem>;

/** Every error response. */
export const ErrorBody = z
  .object({
    error: z.object({
      code: z
        .string()
        .describe(
          '`invalid-request`, `invalid-json`, `invalid-params`, `invalid-config`, `rejected`, `unauthorized`, `bad-signature`, `workflow-not-found`, `run-not-found`, `not-found`, `run-ended`, `payload-too-large`, `unsupported-media-type`, `no-worker`, `hook-not-configured`, `internal`',
        ),
      message: z.string(),
      problems: z.array(Problem).optional(),
    }),
  })
  .meta({ id: 'Error', description: 'An error: a code, a sentence saying what is wrong and how to fix it, and every problem found' });
export type ErrorBody = z.infer<typeof ErrorBody>;

const ParamListing = z
  .object({
    name: z.string(),
    type: z.string(),
    required: z.boolean(),
    default: z.unknown().optional(),
    description: z.string().optional(),
    options: z.array(z.unknown()).optional(),
  })
  .meta({ id: 'Param' });

export const WorkflowListing = z
  .object({
    name: z.string(),
    file: z.string(),
    valid: z.boolean().describe('False when `tempoflow validate` reports an error (then only `name` and `file` are filled)'),
    desc: z.string().optional(),
    tags: z.array(z.string()),
    params: z.array(ParamListing),
    schedules: z.array(z.object({ cron: z.string(), timezone: z.string() })),
    manual: z.boolean(),
    webhook: z.object({ auth: z.enum(['hmac', 'token']), secret: z.string().describe('The secret’s name (never its value)') }).optional(),
    jobs: z.array(z.string()),
  })
  .meta({ id: 'WorkflowListing' });

export const WorkflowList = z.object({ workflows: z.array(WorkflowListing) }).meta({ id: 'WorkflowList' });

/** A validation issue (`tempoflow validate --json`). */
export const ConfigIssue = z
  .object({
    code: z.string(),
    severity: z.enum(['error', 'warning']),
    message: z.string(),
    path: z.string(),
    file: z.string(),
    line: z.number(),
    col: z.number(),
    hint: z.string().optional(),
    via: z.array(z.string()).optional(),
  })
  .meta({ id: 'ConfigIssue' });

/** A normalized workflow definition (a run's YAML snapshot): jobs with needs, stages, matrix strategies. */
export const Definition = z
  .object({
    name: z.string(),
    file: z.string(),
    jobs: z.array(
      z
        .object({
          id: z.string(),
          needs: z.array(z.string()),
          strategy: z.object({ matrix: z.unknown() }).loose().optional(),
          stages: z.array(z.object({ id: z.string(), name: z.string(), kind: z.string(), loc: z.string() }).loose()),
          loc: z.string(),
        })
        .loose(),
    ),
  })
  .loose()
  .meta({ id: 'Definition', description: 'The normalized definition (`WorkflowSpec` of the library): what the interpreter walks' });

export const WorkflowDetail = z
  .object({
    workflow: WorkflowListing,
    issues: z.array(ConfigIssue).describe('What `tempoflow validate` reports for it (warnings included)'),
    definition: Definition.optional().describe('Present when the workflow is valid'),
  })
  .meta({ id: 'WorkflowDetail' });

export const ValidateQuery = z.object({
  names: z.string().optional().describe('Comma-separated workflow names (default: every workflow)'),
});

export const ValidateResult = z.object({ ok: z.boolean(), workflows: z.array(z.string()), issues: z.array(ConfigIssue) }).meta({ id: 'ValidateResult' });

const Params = z.record(z.string(), z.unknown()).describe('Param values by name; strings are coerced to the declared types exactly as `tempoflow run -p` does');

export const StartRunRequest = z
  .strictObject({
    params: Params.optional(),
    jobs: z.array(z.string()).optional().describe('Run only these jobs'),
    timeout: z.number().positive().optional().describe('Run timeout, seconds'),
    maxJobParallel: z.int().positive().optional().describe('Jobs running at once'),
    runId: z.string().regex(RUN_ID).optional().describe('Run id; an existing run with this id is attached to, not started again'),
  })
  .meta({ id: 'StartRunRequest' });

export const RunStarted = z
  .object({
    runId: z.string(),
    workflow: z.string(),
    attached: z.boolean().describe('True when a run with the given `runId` existed'),
    uiUrl: z.string().optional().describe('The run in the Temporal Web UI'),
    links: z.object({ api: z.string(), page: z.string() }),
  })
  .meta({ id: 'RunStarted' });

export const RELEASE_TYPES = ['normal', 'force', 'rerun', 'event', 'dryrun'] as const;

export const ReleaseRequest = z
  .strictObject({
    at: z.iso.datetime({ offset: true }).optional().describe('The release time (default: now, to the minute); must match a cron entry unless `manual: true`'),
    type: z.enum(RELEASE_TYPES).optional().describe('Release type (default normal)'),
    params: Params.optional(),
    excluded: z.array(z.string()).optional().describe('Jobs not to run'),
    wait: z.boolean().optional().describe('Wait for the release to end and return its result (a DRYRUN plan, for example)'),
  })
  .meta({ id: 'ReleaseRequest' });

export const ReleaseStarted = z
  .object({
    releaseWorkflowId: z.string(),
    runId: z.string().describe('The run the release starts (for a release already done, that run exists and the release ends SKIP)'),
    releaseType: z.string(),
    logicalDate: z.string(),
    duplicate: z.boolean().describe('True when this delivery (or release id) was seen before: nothing was started'),
    uiUrl: z.string().optional(),
  })
  .meta({ id: 'ReleaseStarted' });

export const ErrorInfo = z.object({ name: z.string(), message: z.string(), job: z.string().optional(), stage: z.string().optional(), location: z.string().optional() }).meta({ id: 'ErrorInfo' });

const StageContext = z
  .object({
    status: StatusEnum,
    name: z.string(),
    start: z.string().optional(),
    end: z.string().optional(),
    attempt: z.number().optional(),
    outputs: z.record(z.string(), z.unknown()),
    reason: z.string().optional(),
    error: ErrorInfo.optional(),
    logs: z.object({ stdout: z.string(), stderr: z.string() }).optional(),
  })
  .loose()
  .meta({ id: 'StageContext' });

const JobContext = z
  .object({
    status: StatusEnum,
    start: z.string().optional(),
    end: z.string().optional(),
    attempt: z.number().optional(),
    strategies: z
      .array(
        z
          .object({
            key: z.string(),
            matrix: z.record(z.string(), z.unknown()),
            status: StatusEnum,
            workflowId: z.string().optional(),
            errors: z.array(ErrorInfo).optional(),
            uiUrl: z.string().optional(),
          })
          .loose(),
      )
      .optional()
      .describe('A matrix job’s combinations, each with its child workflow and its Web UI link'),
    reason: z.string().optional(),
    outputs: z.record(z.string(), z.unknown()),
    stages: z.record(z.string(), StageContext).describe('Stages in run order, by id (nested stages inside their parent’s outputs)'),
    errors: z.array(ErrorInfo),
  })
  .loose()
  .meta({ id: 'JobContext' });

export const RunContext = z
  .object({ params: z.record(z.string(), z.unknown()), jobs: z.record(z.string(), JobContext), status: StatusEnum, start: z.string(), end: z.string().optional(), errors: z.array(ErrorInfo) })
  .meta({ id: 'RunContext' });

export const WaitingApproval = z
  .object({ path: z.string().describe('What approve/reject take as `stage`'), message: z.string(), approvers: z.array(z.string()), since: z.string().optional() })
  .meta({ id: 'WaitingApproval' });

export const RunView = z
  .object({
    runId: z.string(),
    workflow: z.string().optional(),
    running: z.boolean(),
    executionStatus: z.string().describe('Temporal’s status: RUNNING, COMPLETED, FAILED, CANCELED, TERMINATED, TIMED_OUT'),
    status: StatusEnum.describe('tempoflow’s status of the run so far'),
    startTime: z.string(),
    closeTime: z.string().optional(),
    uiUrl: z.string().optional(),
    context: RunContext.optional().describe('Absent while no worker answers the status query (see `problem`)'),
    waitingApprovals: z.array(WaitingApproval),
    problem: z.string().optional().describe('Why the live context is missing (no worker serves the run’s task queue)'),
  })
  .meta({ id: 'RunView' });

export const RunDefinition = z.object({ definition: Definition }).meta({ id: 'RunDefinition' });

export const RunLinks = z
  .object({
    run: z.string().optional().describe('The run’s history page in the Temporal Web UI'),
    activities: z.record(z.string(), z.string()).describe('By activity summary (`job / stage name`): the event page of its latest attempt'),
  })
  .meta({ id: 'RunLinks' });

export const ListRunsQuery = z.object({
  workflow: z.string().regex(WORKFLOW_NAME).optional().describe('Only runs of this workflow'),
  status: z
    .enum(Object.keys(RUN_STATUS_FILTERS) as [string, ...string[]])
    .optional()
    .describe('Only runs with this status'),
  limit: z.coerce.number().int().min(1).max(1000).optional().describe('At most this many runs (default 20)'),
});

export const RunList = z
  .object({
    query: z.string().describe('The visibility query that found them'),
    runs: z.array(
      z.object({
        runId: z.string(),
        status: z.string(),
        start: z.string(),
        close: z.string().optional(),
        workflow: z.string().optional(),
        releaseType: z.string().optional(),
        releaseTime: z.string().optional(),
      }),
    ),
  })
  .meta({ id: 'RunList' });

export const LogsQuery = z.object({
  trace: z.enum(['true', 'false']).optional().describe('Include the tail of the run’s trace file when this machine has it (default false)'),
});

export const RunLogs = z
  .object({
    runId: z.string(),
    workflowName: z.string().optional(),
    running: z.boolean(),
    status: StatusEnum,
    stages: z.array(z.object({ job: z.string(), path: z.string(), status: StatusEnum, stdout: z.string(), stderr: z.string() })),
    traceFile: z.string(),
    trace: z.string().optional().describe('The last 256 KiB of the trace file'),
    traceTruncated: z.boolean().optional(),
  })
  .meta({ id: 'RunLogs' });

export const CancelRequest = z.strictObject({ reason: z.string().max(2000).optional() }).meta({ id: 'CancelRequest' });

export const DecisionRequest = z
  .strictObject({
    stage: z.string().min(1).max(1000).describe('`job.stage`, `job[matrix key].stage`, a nested path, or a stage id unique in the workflow'),
    reason: z.string().max(2000).optional(),
    by: z.string().max(200).optional(),
  })
  .meta({ id: 'DecisionRequest' });

export const Accepted = z.object({ runId: z.string(), accepted: z.string().describe('What was asked: cancel, approve or reject') }).meta({ id: 'Accepted' });

export const RerunRequest = z
  .strictObject({
    fromStage: z.string().optional().describe('`job.stage`: restart that failed job from that stage'),
    runId: z.string().regex(RUN_ID).optional().describe('Run id of the new run'),
    timeout: z.number().positive().optional(),
    maxJobParallel: z.int().positive().optional(),
  })
  .meta({ id: 'RerunRequest' });

export const RerunStarted = z
  .object({
    runId: z.string(),
    parentRunId: z.string(),
    rerun: z.array(z.string()).describe('Jobs that run again'),
    uiUrl: z.string().optional(),
    links: z.object({ api: z.string(), page: z.string() }),
  })
  .meta({ id: 'RerunStarted' });

export const ScheduleList = z
  .object({
    project: z.string(),
    schedules: z.array(
      z.object({
        id: z.string(),
        workflow: z.string().optional(),
        cron: z.string().optional(),
        timezone: z.string().optional(),
        exists: z.boolean(),
        desired: z.boolean(),
        paused: z.boolean().optional(),
        note: z.string().optional(),
        nextActionTimes: z.array(z.string()),
        recentActions: z.array(z.object({ scheduledAt: z.string(), workflowId: z.string().optional() })),
        outdated: z.boolean().optional(),
      }),
    ),
  })
  .meta({ id: 'ScheduleList' });

export const ScheduleAction = z.object({ action: z.enum(['trigger', 'pause', 'unpause']) });
export const ScheduleParams = z.object({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,254}$/)
    .describe('Workflow name (every schedule of it) or schedule id'),
  action: z.enum(['trigger', 'pause', 'unpause']),
});
export const ScheduleRequest = z.strictObject({ note: z.string().max(2000).optional() }).meta({ id: 'ScheduleRequest' });
export const ScheduleDone = z.object({ action: z.string(), schedules: z.array(z.string()) }).meta({ id: 'ScheduleDone' });

export const HookAccepted = z
  .object({
    runId: z.string(),
    releaseWorkflowId: z.string(),
    duplicate: z.boolean().describe('True when this delivery id was seen before: nothing was started'),
    links: z.object({ api: z.string(), page: z.string() }),
  })
  .meta({ id: 'HookAccepted' });
