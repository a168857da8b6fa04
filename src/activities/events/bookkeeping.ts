import type { EventAction, Prisma } from '../../generated/prisma/client';
import { eventExportId } from '../../lib/event-identity';
import { routeMatches } from '../../lib/route-match';
import { workflowIds, Failure, nonRetryable, type EventResult } from '../../workflows/contract';
import type { ActivityDeps } from '../deps';

/** One matched route's action, as the `handleEvent` workflow runs it. */
export interface PlannedAction {
  routeId: string;
  routeName: string;
  action: EventAction['action'];
  /** The child workflow's ID (export, webhook); a scan runs under the server's own scan ID. */
  workflowId: string | null;
}

export interface ActionOutcome {
  eventId: string;
  routeId: string;
  status: 'completed' | 'failed';
  workflowId?: string | null;
  result?: Record<string, unknown>;
  error?: string;
}

const FINAL = new Set(['completed', 'failed', 'unmatched']);

/** Exports run under their own IDs (GET /v1/exports/:id finds them); webhooks under the event's. */
function childWorkflowId(action: EventAction['action'], eventWorkflowId: string, routeId: string) {
  if (action === 'scan') return null;
  if (action === 'export') return workflowIds.export(eventExportId(eventWorkflowId, routeId));
  return workflowIds.eventAction(eventWorkflowId, routeId);
}

/**
 * The event's bookkeeping in the database, run by `handleEvent` as local
 * activities. Matching happens once: the routes an event matched are written
 * with it in one transaction, and a retried or repeated begin reads them back
 * instead of matching again against routes that may have changed since.
 */
export function createEventBookkeeping({ db }: ActivityDeps) {
  async function resolveServer(serverId: string | null, payload: unknown): Promise<string | null> {
    if (serverId) return serverId;
    const name = (payload as { data?: { server?: unknown } } | null)?.data?.server;
    if (typeof name !== 'string' || !name) return null;
    return (await db.server.findUnique({ where: { name }, select: { id: true } }))?.id ?? null;
  }

  async function match(eventId: string): Promise<void> {
    const event = await db.event.findUnique({ where: { id: eventId } });
    if (!event) throw nonRetryable(Failure.EventNotFound, `event ${eventId} does not exist`);
    if (event.status !== 'received') return;
    const serverId = await resolveServer(event.serverId, event.payload);
    const candidates = await db.route.findMany({
      where: { enabled: true, OR: [{ bucket: null }, { bucket: event.bucket ?? undefined }] },
      orderBy: { name: 'asc' },
    });
    const matched = candidates.filter((r) => routeMatches(r, { ...event, serverId }));
    const now = new Date();
    await db.$transaction(async (tx) => {
      const claimed = await tx.event.updateMany({
        where: { id: eventId, status: 'received' },
        data: matched.length
          ? { status: 'running', serverId, startedAt: now }
          : { status: 'unmatched', serverId, startedAt: now, finishedAt: now },
      });
      if (claimed.count === 0) return;
      await tx.eventAction.createMany({
        data: matched.map((r) => ({
          eventId,
          routeId: r.id,
          routeName: r.name,
          action: r.action,
          workflowId: childWorkflowId(r.action, event.workflowId, r.id),
        })),
      });
    });
  }

  return {
    /** Matches the event against the enabled routes (once) and answers the actions to run. */
    async beginEvent(eventId: string): Promise<{ status: string; actions: PlannedAction[] }> {
      await match(eventId);
      const event = await db.event.findUniqueOrThrow({ where: { id: eventId }, include: { actions: true } });
      const open = event.actions.filter((a) => a.status === 'running');
      return {
        status: event.status,
        actions: open.map(({ routeId, routeName, action, workflowId }) => ({
          routeId,
          routeName,
          action,
          workflowId,
        })),
      };
    },

    async finishEventAction(o: ActionOutcome): Promise<void> {
      await db.eventAction.update({
        where: { eventId_routeId: { eventId: o.eventId, routeId: o.routeId } },
        data: {
          status: o.status,
          ...(o.workflowId ? { workflowId: o.workflowId } : {}),
          ...(o.result !== undefined ? { result: o.result as Prisma.InputJsonValue } : {}),
          error: o.error ?? null,
          finishedAt: new Date(),
        },
      });
    },

    /** Completed when every matched route's action completed; failed when any failed; unmatched stays. */
    async finishEvent(eventId: string): Promise<EventResult> {
      const event = await db.event.findUniqueOrThrow({ where: { id: eventId }, include: { actions: true } });
      const failed = event.actions.filter((a) => a.status === 'failed');
      const status = event.actions.length === 0 ? 'unmatched' : failed.length ? 'failed' : 'completed';
      if (!FINAL.has(event.status) || event.status !== status) {
        const error = failed.length
          ? `${failed.length} of ${event.actions.length} route action(s) failed`
          : null;
        await db.event.update({ where: { id: eventId }, data: { status, error, finishedAt: new Date() } });
      }
      return {
        eventId,
        status,
        actions: event.actions.map((a) => ({
          routeId: a.routeId,
          status: a.status === 'failed' ? 'failed' : 'completed',
          workflowId: a.workflowId,
        })),
      };
    },
  };
}
