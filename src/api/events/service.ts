import type { Event, EventAction, Prisma } from '../../generated/prisma/client';
import { NotFoundError, ServiceUnavailableError } from '../../lib/errors';
import { startEventWorkflow } from '../../lib/event-start';
import type { ApiDeps } from '../deps';
import { decodeCursor, encodeCursor } from '../transfers/cursor';
import type { IncomingEvent, listEventsQuery } from './schema';
import type { z } from 'zod';

export type EventWithActions = Event & { actions: EventAction[] };

/** Events whose handling has not begun: new ones, and any a crash left between storing and starting. */
const WAITING: Event['status'] = 'received';

/**
 * Stores the events (a redelivered one is found by its identity, not stored
 * again) and starts the `handleEvent` workflow of each that is still waiting.
 * Answers their IDs in the order of `incoming`. When Temporal does not
 * answer, the events stay stored as `received` and the sender's retry starts
 * them.
 */
export async function ingestEvents(
  { db, temporal, config }: ApiDeps,
  incoming: IncomingEvent[],
): Promise<string[]> {
  await db.event.createMany({ data: incoming, skipDuplicates: true });
  const identities = [...new Set(incoming.map((e) => e.identity))];
  const rows = await db.event.findMany({
    where: { identity: { in: identities } },
    select: { id: true, identity: true, workflowId: true, status: true },
  });
  const byIdentity = new Map(rows.map((r) => [r.identity, r]));
  try {
    await Promise.all(
      rows
        .filter((r) => r.status === WAITING)
        .map((r) => startEventWorkflow(temporal, config.TEMPORAL_TASK_QUEUE, r)),
    );
  } catch (err) {
    throw new ServiceUnavailableError(
      `events stored, but their workflows could not be started (send them again): ${(err as Error).message}`,
    );
  }
  return incoming.map((e) => {
    const row = byIdentity.get(e.identity);
    if (!row) throw new Error(`event ${e.identity} was stored but cannot be read back`);
    return row.id;
  });
}

export async function findEvent({ db }: ApiDeps, id: string): Promise<EventWithActions> {
  const event = await db.event.findUnique({
    where: { id },
    include: { actions: { orderBy: { startedAt: 'asc' } } },
  });
  if (!event) throw new NotFoundError('event', id);
  return event;
}

/** Newest first, keyset-paged on (receivedAt, id). */
export async function listEvents({ db }: ApiDeps, q: z.infer<typeof listEventsQuery>) {
  const where: Prisma.EventWhereInput = {
    ...(q.status ? { status: q.status } : {}),
    ...(q.type ? { type: q.type } : {}),
  };
  if (q.cursor) {
    const after = decodeCursor(q.cursor);
    where.OR = [
      { receivedAt: { lt: after.createdAt } },
      { receivedAt: after.createdAt, id: { lt: after.id } },
    ];
  }
  const rows = await db.event.findMany({
    where,
    include: { actions: { orderBy: { startedAt: 'asc' } } },
    orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }],
    take: q.limit + 1,
  });
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    page,
    nextCursor:
      rows.length > q.limit && last ? encodeCursor({ createdAt: last.receivedAt, id: last.id }) : null,
  };
}
