import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptions,
} from '@temporalio/client';
import type { Config } from '../config';
import {
  ferrySearchAttributes,
  WorkflowType,
  workflowIds,
  type FerryKindName,
  type PruneInput,
} from '../workflows/contract';
import type { Logger } from './logger';

/** Between tries to set a schedule while Temporal does not answer. */
const RETRY_MS = 5_000;

/**
 * One of Ferry's own periodic jobs, one per task queue: a Temporal Schedule
 * whose ID is also its runs' workflow ID (Temporal appends the time). Its
 * definition comes from the configuration alone; null: the job is off and
 * the schedule is removed.
 */
export interface HousekeepingSchedule {
  scheduleId: string;
  /** What the logs call it. */
  what: string;
  definition: Omit<ScheduleOptions, 'scheduleId'> | null;
}

function every(
  seconds: number,
  taskQueue: string,
  workflowType: string,
  workflowId: string,
  kind: FerryKindName,
  args: unknown[],
): Omit<ScheduleOptions, 'scheduleId'> {
  return {
    spec: { intervals: [{ every: seconds * 1000 }] },
    action: {
      type: 'startWorkflow',
      workflowType,
      workflowId,
      args,
      taskQueue,
      typedSearchAttributes: ferrySearchAttributes({ kind }),
    },
    // One run at a time; a run missed while Temporal was down is not worth catching up.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
  };
}

/**
 * The event sweep (docs/events.md, "Outbox"): starts the workflows of stored
 * events no API started. It lives in Temporal, so it keeps sweeping whether or
 * not any API is running; every API sets it when it starts.
 */
export function eventSweepSchedule(config: Config): HousekeepingSchedule {
  const taskQueue = config.TEMPORAL_TASK_QUEUE;
  const scheduleId = workflowIds.eventSweep(taskQueue);
  return {
    scheduleId,
    what: 'event sweep',
    definition: every(
      config.EVENTS_SWEEP_SECONDS,
      taskQueue,
      WorkflowType.sweepEvents,
      scheduleId,
      'event-sweep',
      [],
    ),
  };
}

/** Retention (docs/retention.md): removes the rows of finished work; every worker sets it when it starts. */
export function retentionSchedule(config: Config): HousekeepingSchedule {
  const taskQueue = config.TEMPORAL_TASK_QUEUE;
  const scheduleId = workflowIds.retention(taskQueue);
  const input: PruneInput = { retentionDays: config.RETENTION_DAYS, batchRows: config.RETENTION_BATCH_ROWS };
  return {
    scheduleId,
    what: 'retention',
    definition:
      config.RETENTION_DAYS > 0
        ? every(
            config.RETENTION_INTERVAL_SECONDS,
            taskQueue,
            WorkflowType.pruneRecords,
            scheduleId,
            'retention',
            [input],
          )
        : null,
  };
}

/** Creates the schedule, rewrites it from the configuration, or removes it when its job is off. */
export async function setSchedule(client: Client, { scheduleId, definition }: HousekeepingSchedule) {
  if (!definition) {
    try {
      await client.schedule.getHandle(scheduleId).delete();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    return;
  }
  try {
    await client.schedule.create({ scheduleId, ...definition });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(scheduleId).update((s) => ({ ...s, ...definition }));
  }
}

/**
 * setSchedule at a process's start, in the background: while Temporal does
 * not answer, it tries again every few seconds (the process runs meanwhile).
 */
export function ensureSchedule(client: Client, schedule: HousekeepingSchedule, log: Logger): void {
  const { scheduleId, what } = schedule;
  const loop = (): void => {
    setSchedule(client, schedule).then(
      () => log.debug({ scheduleId }, `${what} schedule set`),
      (err: unknown) => {
        log.warn({ err, scheduleId }, `could not set the ${what} schedule; trying again`);
        setTimeout(loop, RETRY_MS).unref();
      },
    );
  };
  loop();
}
