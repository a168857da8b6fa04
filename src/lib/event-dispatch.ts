import type { Client } from '@temporalio/client';
import type { Db } from './db';
import { startEventWorkflow } from './event-start';
import type { Logger } from './logger';

/** A stored event whose `handleEvent` workflow is to be started. */
export interface DispatchRow {
  id: string;
  workflowId: string;
}

export interface EventDispatcher {
  /** Queues the rows' workflow starts; returns at once. */
  enqueue(rows: readonly DispatchRow[]): void;
  /** Resolves once every queued start has been tried and its row marked. */
  drain(): Promise<void>;
}

/**
 * Rows queued beyond this are left to the sweep: they are stored, so
 * dropping them from memory loses nothing while Temporal is away.
 */
const MAX_QUEUED = 20_000;

/**
 * Starts the `handleEvent` workflows of stored events, `concurrency` at a
 * time, and marks each started row `dispatchedAt` (in coalesced updates: at
 * most one in flight, covering every start finished meanwhile). A start that
 * fails is logged and left to the sweep (docs/events.md, "Outbox"): the row
 * stays `received` with no `dispatchedAt`. Starts are idempotent (the ID comes
 * from the event's identity), so the API and the sweep may both start one.
 */
export function createEventDispatcher(deps: {
  db: Db;
  temporal: Client;
  taskQueue: string;
  log: Logger;
  concurrency: number;
}): EventDispatcher {
  const { db, temporal, taskQueue, log, concurrency } = deps;
  const queue: DispatchRow[] = [];
  let running = 0;
  let started: string[] = [];
  let marking: Promise<void> | null = null;
  let idle: (() => void)[] = [];

  function settleIfIdle(): void {
    if (running > 0 || queue.length > 0 || marking || started.length > 0) return;
    const waiting = idle;
    idle = [];
    for (const resolve of waiting) resolve();
  }

  function mark(): void {
    if (marking || started.length === 0) {
      settleIfIdle();
      return;
    }
    const ids = started;
    started = [];
    marking = db.event
      .updateMany({ where: { id: { in: ids }, dispatchedAt: null }, data: { dispatchedAt: new Date() } })
      .then(
        () => undefined,
        (err: unknown) => log.warn({ err, events: ids.length }, 'could not mark events dispatched'),
      )
      .finally(() => {
        marking = null;
        mark();
      });
  }

  async function start(row: DispatchRow): Promise<void> {
    try {
      await startEventWorkflow(temporal, taskQueue, row);
      started.push(row.id);
    } catch (err) {
      log.warn({ err, eventId: row.id }, 'could not start the event workflow; the sweep will');
    }
  }

  function pump(): void {
    while (running < concurrency && queue.length > 0) {
      const row = queue.shift() as DispatchRow;
      running++;
      void start(row).finally(() => {
        running--;
        mark();
        pump();
      });
    }
    settleIfIdle();
  }

  return {
    enqueue(rows) {
      if (concurrency === 0) return;
      const room = Math.max(0, MAX_QUEUED - queue.length);
      if (rows.length > room)
        log.warn({ dropped: rows.length - room }, 'event dispatch queue full; the sweep will start them');
      queue.push(...rows.slice(0, room));
      pump();
    },
    drain() {
      return new Promise<void>((resolve) => {
        idle.push(resolve);
        settleIfIdle();
      });
    },
  };
}
