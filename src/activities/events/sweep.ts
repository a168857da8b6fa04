import { Context } from '@temporalio/activity';
import { createEventDispatcher } from '../../lib/event-dispatch';
import type { ActivityDeps } from '../deps';

/** Events one sweep starts at most; the next sweep takes the rest. */
const SWEEP_BATCH = 1000;

/**
 * The outbox's safety net (docs/events.md, "Outbox"), run by the `sweepEvents`
 * workflow of the event sweep schedule: starts the `handleEvent` workflow of
 * every event stored at least EVENTS_SWEEP_SECONDS ago that is still
 * `received` and was never dispatched — an API died between storing it and
 * starting its workflow, or Temporal was away then. Starts are idempotent, so
 * racing an API that is still dispatching costs nothing but the call.
 */
export function createEventSweep({ db, temporal, log, config }: ActivityDeps) {
  return {
    async startWaitingEvents(): Promise<{ started: number }> {
      const storedBefore = new Date(Date.now() - config.EVENTS_SWEEP_SECONDS * 1000);
      const rows = await db.event.findMany({
        where: { status: 'received', dispatchedAt: null, receivedAt: { lte: storedBefore } },
        select: { id: true, workflowId: true },
        orderBy: { receivedAt: 'asc' },
        take: SWEEP_BATCH,
      });
      if (rows.length === 0) return { started: 0 };
      const dispatcher = createEventDispatcher({
        db,
        temporal,
        log,
        taskQueue: Context.current().info.taskQueue,
        concurrency: Math.max(1, config.EVENTS_DISPATCH_CONCURRENCY),
      });
      dispatcher.enqueue(rows);
      await dispatcher.drain();
      log.warn({ events: rows.length }, 'started the workflows of stored events no API had started');
      return { started: rows.length };
    },
  };
}
