import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Event, Route } from '../../generated/prisma/client';
import { decryptSecret } from '../../lib/secrets';
import { sealedIn } from '../../lib/sealed-fields';
import { callWebhook } from '../../lib/webhook';
import {
  Failure,
  ferrySearchAttributes,
  nonRetryable,
  workflowIds,
  type ScanInput,
} from '../../workflows/contract';
import type { ScanResult } from '../../workflows/scan';
import type { ActivityDeps } from '../deps';

/** What a forwarded event looks like to its receiver (signed like every Ferry webhook). */
function forwardedPayload(event: Event, route: Route) {
  return {
    event: 'ferry.event',
    id: event.id,
    type: event.type,
    source: event.source,
    subject: event.subject,
    bucket: event.bucket,
    key: event.objectKey,
    size: event.size === null ? null : Number(event.size),
    eTag: event.eTag,
    serverId: event.serverId,
    route: { id: route.id, name: route.name },
    receivedAt: event.receivedAt.toISOString(),
    payload: event.payload,
  };
}

/**
 * The I/O of route actions (docs/events.md). A route or server that is gone
 * or cannot serve fails the action at once (non-retryable); storage, network
 * and Temporal trouble is retried.
 */
export function createEventActions({ db, temporal, config }: ActivityDeps) {
  async function load(eventId: string, routeId: string): Promise<{ event: Event; route: Route }> {
    const [event, route] = await Promise.all([
      db.event.findUnique({ where: { id: eventId } }),
      db.route.findUnique({ where: { id: routeId } }),
    ]);
    if (!event) throw nonRetryable(Failure.EventNotFound, `event ${eventId} does not exist`);
    if (!route) throw nonRetryable(Failure.RouteActionInvalid, `route ${routeId} was deleted`);
    return { event, route };
  }

  /** Waits for a workflow's result while heartbeating, so a dead worker is noticed and cancellation arrives. */
  async function awaitScan(workflowId: string, runId?: string): Promise<ScanResult> {
    const ctx = Context.current();
    const timer = setInterval(() => ctx.heartbeat(), 5_000);
    try {
      return await Promise.race([
        temporal.workflow.getHandle<(i: ScanInput) => Promise<ScanResult>>(workflowId, runId).result(),
        ctx.cancelled,
      ]);
    } finally {
      clearInterval(timer);
    }
  }

  return {
    /** A route's webhook action: the event, HMAC-signed, to the route's URL. */
    async forwardEventWebhook({ eventId, routeId }: { eventId: string; routeId: string }) {
      const { event, route } = await load(eventId, routeId);
      const { url } = route.settings as { url?: string };
      if (route.action !== 'webhook' || !url) {
        throw nonRetryable(Failure.RouteActionInvalid, `route ${route.name} is no longer a webhook route`);
      }
      const secret = route.webhookSecretEnc
        ? decryptSecret(
            config.secretKey,
            route.webhookSecretEnc,
            sealedIn('Route', route.id, 'webhookSecretEnc'),
          )
        : config.FERRY_WEBHOOK_SECRET || undefined;
      await callWebhook(url, secret, forwardedPayload(event, route), { policy: config.outbound });
      return { delivered: true, url };
    },

    /**
     * A route's scan action: a scan of the server that starts after the event
     * arrived. A scan already running may have listed the directory before the
     * file landed, so it is waited for and a new one started (joined instead
     * if another request started one meanwhile). Answers the scan's totals.
     */
    async scanForEvent({ eventId, routeId }: { eventId: string; routeId: string }) {
      const { event, route } = await load(eventId, routeId);
      const serverId = (route.settings as { serverId?: string | null }).serverId ?? event.serverId;
      if (!serverId) {
        throw nonRetryable(
          Failure.RouteActionInvalid,
          `route ${route.name} scans the event's server, but the event names none`,
        );
      }
      const server = await db.server.findUnique({ where: { id: serverId }, select: { enabled: true } });
      if (!server) throw nonRetryable(Failure.ServerNotFound, `server ${serverId} does not exist`);
      if (!server.enabled) throw nonRetryable(Failure.RouteActionInvalid, `server ${serverId} is disabled`);
      const workflowId = workflowIds.scan(serverId);
      try {
        const running = await temporal.workflow.getHandle(workflowId).describe();
        if (running.status.name === 'RUNNING') await awaitScan(workflowId);
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
      const input: ScanInput = { serverId };
      const handle = await temporal.workflow.start('scanServer', {
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        workflowId,
        args: [input],
        typedSearchAttributes: ferrySearchAttributes({ kind: 'scan', serverId }),
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      });
      await db.eventAction.update({
        where: { eventId_routeId: { eventId, routeId } },
        data: { workflowId },
      });
      const result = await awaitScan(workflowId, handle.firstExecutionRunId);
      return { workflowId, runId: handle.firstExecutionRunId, ...result };
    },
  };
}
