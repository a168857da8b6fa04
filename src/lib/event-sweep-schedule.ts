import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptions,
} from '@temporalio/client';
import { workflowIds } from '../workflows/contract';
import type { Logger } from './logger';

/** Between tries to set the schedule while Temporal does not answer. */
const RETRY_MS = 5_000;

function definition(taskQueue: string, everySeconds: number): Omit<ScheduleOptions, 'scheduleId'> {
  return {
    spec: { intervals: [{ every: everySeconds * 1000 }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'sweepEvents',
      workflowId: workflowIds.eventSweep(taskQueue),
      args: [],
      taskQueue,
    },
    // One sweep at a time; a sweep missed while Temporal was down is not worth catching up.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
  };
}

/**
 * Creates the event sweep schedule of `taskQueue`, or rewrites it from the
 * configuration (docs/events.md, "Outbox"). It lives in Temporal, so it keeps
 * sweeping whether or not any API is running. Every API calls this when it
 * starts; while Temporal does not answer it tries again in the background.
 */
export function ensureEventSweepSchedule(
  client: Client,
  taskQueue: string,
  everySeconds: number,
  log: Logger,
): void {
  const scheduleId = workflowIds.eventSweep(taskQueue);
  const attempt = async (): Promise<void> => {
    try {
      await client.schedule.create({ scheduleId, ...definition(taskQueue, everySeconds) });
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      await client.schedule
        .getHandle(scheduleId)
        .update((s) => ({ ...s, ...definition(taskQueue, everySeconds) }));
    }
  };
  const loop = (): void => {
    attempt().then(
      () => log.debug({ scheduleId }, 'event sweep schedule set'),
      (err: unknown) => {
        log.warn({ err, scheduleId }, 'could not set the event sweep schedule; trying again');
        setTimeout(loop, RETRY_MS).unref();
      },
    );
  };
  loop();
}
