import type { Event, EventAction, Prisma } from '../../generated/prisma/client';
import { NotFoundError } from '../../lib/errors';
import type { EventDispatcher } from '../../lib/event-dispatch';
import type { ApiDeps } from '../deps';
import { decodeCursor, encodeCursor } from '../transfers/cursor';
import type { IncomingEvent, listEventsQuery } from './schema';
import type { z } from 'zod';

export type EventWithActions = Event & { actions: EventAction[] };

/**
 * Stores the events in one multi-row INSERT (a redelivered event is found by
 * its identity, not stored again) and queues the workflow start of each that
 * is still waiting (`received`, never dispatched) on `dispatcher`, which runs
 * after the caller has answered: the table is the outbox (docs/events.md,
 * "Outbox"). Answers the events' IDs in the order of `incoming`.
 */
export async function ingestEvents(
  { db }: ApiDeps,
  dispatcher: EventDispatcher,
  incoming: IncomingEvent[],
): Promise<string[]> {
  const select = { id: true, identity: true, workflowId: true, status: true, dispatchedAt: true } as const;
  const rows = await db.event.createManyAndReturn({ data: incoming, skipDuplicates: true, select });
  const stored = new Set(rows.map((r) => r.identity));
  const redelivered = [...new Set(incoming.map((e) => e.identity))].filter((i) => !stored.has(i));
  if (redelivered.length > 0) {
    rows.push(...(await db.event.findMany({ where: { identity: { in: redelivered } }, select })));
  }
  dispatcher.enqueue(rows.filter((r) => r.status === 'received' && r.dispatchedAt === null));
  const byIdentity = new Map(rows.map((r) => [r.identity, r.id]));
  return incoming.map((e) => {
    const id = byIdentity.get(e.identity);
    if (!id) throw new Error(`event ${e.identity} was stored but cannot be read back`);
    return id;
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
