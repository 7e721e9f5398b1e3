/**
 * Where a stage's milliseconds go, read from the event timestamps of a run's
 * history (docs/benchmarks.md, "Where a stage's time goes"). For each
 * activity that completed, in order:
 *
 * - schedule-to-start: ActivityTaskScheduled → ActivityTaskStarted (matching
 *   the task to a poller, or 0 when the worker took it eagerly);
 * - start-to-close: ActivityTaskStarted → ActivityTaskCompleted (the stage's
 *   own work on the worker, plus the completion RPC);
 * - completion-to-workflow-task: ActivityTaskCompleted → WorkflowTaskStarted
 *   (the server scheduling the workflow task and the worker picking it up);
 * - workflow task: WorkflowTaskStarted → WorkflowTaskCompleted (the workflow
 *   code deciding the next command, and the completion RPC);
 * - to next schedule: WorkflowTaskCompleted → the next ActivityTaskScheduled.
 */
import proto from '@temporalio/proto';

type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;
const T = proto.temporal.api.enums.v1.EventType;

/** Mean milliseconds per stage of each segment, over the run's completed activities. */
export interface StageBreakdown {
  readonly activities: number;
  readonly scheduleToStart: number;
  readonly startToClose: number;
  readonly completionToWorkflowTask: number;
  readonly workflowTask: number;
  readonly toNextSchedule: number;
  /** Mean time from one ActivityTaskScheduled to the next. */
  readonly perStage: number;
}

const ms = (e: HistoryEvent | undefined): number => {
  const t = e?.eventTime;
  return t ? Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6 : NaN;
};

/** The breakdown of a run whose activities ran one after another. */
export function stageBreakdown(events: readonly HistoryEvent[]): StageBreakdown {
  const byId = new Map(events.map((e) => [Number(e.eventId), e]));
  const scheduled = events.filter((e) => e.eventType === T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
  const sums = { scheduleToStart: 0, startToClose: 0, completionToWorkflowTask: 0, workflowTask: 0, toNextSchedule: 0 };
  let n = 0;
  let gaps = 0;
  for (const done of events.filter((e) => e.eventType === T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)) {
    const attrs = done.activityTaskCompletedEventAttributes!;
    const sched = byId.get(Number(attrs.scheduledEventId));
    const started = byId.get(Number(attrs.startedEventId));
    const after = events.filter((e) => Number(e.eventId) > Number(done.eventId));
    const wtStarted = after.find((e) => e.eventType === T.EVENT_TYPE_WORKFLOW_TASK_STARTED);
    const wtDone = after.find((e) => e.eventType === T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    const next = after.find((e) => e.eventType === T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
    sums.scheduleToStart += ms(started) - ms(sched);
    sums.startToClose += ms(done) - ms(started);
    if (wtStarted && wtDone && next) {
      sums.completionToWorkflowTask += ms(wtStarted) - ms(done);
      sums.workflowTask += ms(wtDone) - ms(wtStarted);
      sums.toNextSchedule += ms(next) - ms(wtDone);
      gaps++;
    }
    n++;
  }
  const first = ms(scheduled[0]);
  const last = ms(scheduled[scheduled.length - 1]);
  return {
    activities: n,
    scheduleToStart: sums.scheduleToStart / n,
    startToClose: sums.startToClose / n,
    completionToWorkflowTask: sums.completionToWorkflowTask / Math.max(1, gaps),
    workflowTask: sums.workflowTask / Math.max(1, gaps),
    toNextSchedule: sums.toNextSchedule / Math.max(1, gaps),
    perStage: scheduled.length > 1 ? (last - first) / (scheduled.length - 1) : NaN,
  };
}

/** Where a run of few long activities spends its time, in milliseconds, from its history. */
export interface RunShape {
  readonly activities: number;
  /** WorkflowExecutionStarted → the first ActivityTaskScheduled: the workflow deciding what to run. */
  readonly beforeFirstActivity: number;
  /** Sum over activities of ActivityTaskScheduled → ActivityTaskCompleted. */
  readonly inActivities: number;
  /** The last ActivityTaskCompleted → the execution's close: recording results and ending. */
  readonly afterLastActivity: number;
  /** WorkflowExecutionStarted → the execution's close. */
  readonly total: number;
}

/** The shape of a run (e.g. one stage batch, or its one-activity baseline). */
export function runShape(events: readonly HistoryEvent[]): RunShape {
  const start = ms(events.find((e) => e.eventType === T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED));
  const end = ms(events[events.length - 1]);
  const byId = new Map(events.map((e) => [Number(e.eventId), e]));
  const scheduled = events.filter((e) => e.eventType === T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
  const completed = events.filter((e) => e.eventType === T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED);
  const inActivities = completed.reduce((sum, done) => sum + ms(done) - ms(byId.get(Number(done.activityTaskCompletedEventAttributes!.scheduledEventId))), 0);
  return {
    activities: completed.length,
    beforeFirstActivity: ms(scheduled[0]) - start,
    inActivities,
    afterLastActivity: end - ms(completed[completed.length - 1]),
    total: end - start,
  };
}
