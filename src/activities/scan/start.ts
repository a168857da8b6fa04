import { Context } from '@temporalio/activity';
import { startTransferWorkflow } from '../../lib/transfer-start';
import type { ActivityDeps } from '../deps';

export interface StartPage {
  serverId: string;
  /** ID of the last row of the previous page; rows are paged in ID order. */
  cursor: string | null;
  limit: number;
}

export interface StartPageResult {
  /** Transfer workflows this page started. */
  started: number;
  /** Rows whose workflow was already running or done (another scan or worker got there first). */
  alreadyStarted: number;
  /** Where the next page begins; null when this was the last. */
  nextCursor: string | null;
}

/** Workflow starts in flight at once: enough to hide round trips, few enough not to flood the frontend. */
export const START_CONCURRENCY = 16;

/**
 * Starts the `transferFile` workflow of one page of `discovered` rows. Rows
 * stay `discovered` until their workflow runs, so a later scan offers them
 * again; the deterministic workflow ID turns those repeats into no-ops.
 */
export function createStartActivity({ config, db, temporal }: ActivityDeps) {
  return async function startTransfers({ serverId, cursor, limit }: StartPage): Promise<StartPageResult> {
    const ctx = Context.current();
    const rows = await db.transfer.findMany({
      where: { serverId, status: 'discovered', ...(cursor ? { id: { gt: cursor } } : {}) },
      orderBy: { id: 'asc' },
      take: limit,
      select: { id: true, workflowId: true, size: true },
    });
    const startOptions = { taskQueue: config.TEMPORAL_TASK_QUEUE, partBytes: config.transferPartBytes };
    const result: StartPageResult = { started: 0, alreadyStarted: 0, nextCursor: null };
    for (let i = 0; i < rows.length; i += START_CONCURRENCY) {
      ctx.cancellationSignal.throwIfAborted();
      const batch = rows.slice(i, i + START_CONCURRENCY);
      const outcomes = await Promise.all(
        batch.map((row) => startTransferWorkflow(temporal, startOptions, row)),
      );
      for (const outcome of outcomes) {
        if (outcome === 'started') result.started++;
        else result.alreadyStarted++;
      }
      ctx.heartbeat(i);
    }
    if (rows.length === limit) result.nextCursor = rows[rows.length - 1]?.id ?? null;
    return result;
  };
}
