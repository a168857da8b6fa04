import {
  ActivityFailure,
  ChildWorkflowFailure,
  executeChild,
  proxyActivities,
  proxyLocalActivities,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PlannedAction } from '../activities/events';
import { exportArchive } from './export';
import {
  ferrySearchAttributes,
  NON_RETRYABLE_TYPES,
  type EventInput,
  type EventResult,
  type ForwardEventInput,
} from './contract';

const retry: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
};

/**
 * The event's own rows: short database steps, run as local activities (no
 * activity task through the server: an event costs a few history events).
 * Retried until the database answers, since nothing else would close the row.
 */
const book = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  localRetryThreshold: '10 seconds',
  retry,
});

/** A forwarded webhook: ten tries over a few minutes, a refusal (4xx) at once. */
const webhook = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { ...retry, maximumAttempts: 10 },
});

/** A scan runs as long as its directory takes; the activity only waits for it, heartbeating. */
const scans = proxyActivities<Activities>({
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '1 minute',
  retry: { ...retry, maximumAttempts: 5 },
});

function reasonOf(err: unknown): string {
  let failure: unknown = err;
  while ((failure instanceof ActivityFailure || failure instanceof ChildWorkflowFailure) && failure.cause) {
    failure = failure.cause;
  }
  return failure instanceof Error ? failure.message : String(failure);
}

async function runAction(eventId: string, a: PlannedAction): Promise<void> {
  const { routeId } = a;
  try {
    let result: Record<string, unknown>;
    let workflowId = a.workflowId;
    if (a.action === 'webhook' && workflowId) {
      const input: ForwardEventInput = { eventId, routeId };
      result = await executeChild(forwardEvent, {
        workflowId,
        args: [input],
        typedSearchAttributes: ferrySearchAttributes({ kind: 'event-forward' }),
      });
    } else if (a.action === 'scan') {
      const scan = await scans.scanForEvent({ eventId, routeId });
      workflowId = scan.workflowId;
      result = scan;
    } else if (a.action === 'export' && workflowId) {
      const input = await book.prepareEventExport({ eventId, routeId });
      const typedSearchAttributes = ferrySearchAttributes({
        kind: 'export',
        exportId: input.exportId,
        serverId: input.target.serverId,
      });
      result = {
        ...(await executeChild(exportArchive, { workflowId, args: [input], typedSearchAttributes })),
      };
    } else {
      throw new Error(`route action ${a.action} has no job to run`);
    }
    await book.finishEventAction({ eventId, routeId, status: 'completed', workflowId, result });
  } catch (err) {
    await book.finishEventAction({ eventId, routeId, status: 'failed', error: reasonOf(err) });
  }
}

/**
 * One per event (ID from the event's identity, `workflowIds.event`): matches
 * the event against the routes once, runs every matched route's action at
 * the same time (a child workflow for webhooks and exports, the server's own
 * scan for scans), records each outcome as it ends — one failing does not
 * stop the others — and closes the event: completed, failed (some action
 * failed) or unmatched.
 */
export async function handleEvent({ eventId }: EventInput): Promise<EventResult> {
  const plan = await book.beginEvent(eventId);
  await Promise.all(plan.actions.map((a) => runAction(eventId, a)));
  return await book.finishEvent(eventId);
}

/** A route's webhook action as a job of its own: the event, signed, to the route's URL. */
export async function forwardEvent(input: ForwardEventInput): Promise<{ delivered: boolean; url: string }> {
  return await webhook.forwardEventWebhook(input);
}

/** The sweep's starts: a few minutes for a thousand, retried a few times (the next sweep tries again anyway). */
const sweep = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { ...retry, maximumAttempts: 3 },
});

/**
 * Run by the event sweep schedule (`workflowIds.eventSweep`, docs/events.md,
 * "Outbox"): starts the workflows of stored events no API started.
 */
export async function sweepEvents(): Promise<{ started: number }> {
  return await sweep.startWaitingEvents();
}
