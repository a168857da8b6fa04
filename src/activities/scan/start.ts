import { Context } from '@temporalio/activity';
import {
  isSmallFile,
  startBatchWorkflow,
  startTransferWorkflow,
  type TransferStartOptions,
} from '../../lib/transfer-start';
import { bucketSearchable } from '../../workflows/contract';
import type { ActivityDeps } from '../deps';

export interface StartPage {
  serverId: string;
  /** ID of the last row of the previous page; rows are paged in ID order. */
  cursor: string | null;
  limit: number;
}

export interface StartPageResult {
  /** Transfer workflows this page started, plus the files offered to the batches it started. */
  started: number;
  /** Rows whose workflow was already running or done (another scan or worker got there first). */
  alreadyStarted: number;
  /** `transferBatch` workflows this page started (batch-lane servers only). */
  batches?: number;
  /** Where the next page begins; null when this was the last. */
  nextCursor: string | null;
}

/** Workflow starts in flight at once: enough to hide round trips, few enough not to flood the frontend. */
export const START_CONCURRENCY = 16;

interface PendingRow {
  id: string;
  workflowId: string;
  size: bigint;
  serverId: string;
  bucket: string;
}

/**
 * Starts the workflows of one page of `discovered` rows. Rows stay
 * `discovered` until their workflow runs, so a later scan offers them again;
 * deterministic workflow IDs turn those repeats into no-ops.
 *
 * On a server with `smallFiles: "batch"` the page's small files are offered
 * to `transferBatch` workflows of up to TRANSFER_BATCH_FILES rows (the page
 * grows to hold a whole batch); its larger files get their own
 * `transferFile` as on any other server.
 */
export function createStartActivity({ config, db, temporal }: ActivityDeps) {
  const startOptions: TransferStartOptions = {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    partBytes: config.transferPartBytes,
    labelBucket: bucketSearchable(config),
  };

  async function startEach(rows: PendingRow[], result: StartPageResult): Promise<void> {
    const ctx = Context.current();
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
  }

  async function startBatches(serverId: string, rows: PendingRow[], result: StartPageResult) {
    for (let i = 0; i < rows.length; i += config.TRANSFER_BATCH_FILES) {
      const batch = rows.slice(i, i + config.TRANSFER_BATCH_FILES);
      const outcome = await startBatchWorkflow(temporal, startOptions, serverId, batch);
      if (outcome === 'started') {
        result.started += batch.length;
        result.batches = (result.batches ?? 0) + 1;
      } else result.alreadyStarted += batch.length;
      Context.current().heartbeat(i);
    }
  }

  return async function startTransfers({ serverId, cursor, limit }: StartPage): Promise<StartPageResult> {
    // A server deleted meanwhile has no rows left either: the page comes back empty.
    const server = await db.server.findUnique({ where: { id: serverId }, select: { smallFiles: true } });
    const batchLane = server?.smallFiles === 'batch';
    const take = batchLane ? Math.max(limit, config.TRANSFER_BATCH_FILES) : limit;
    const rows = await db.transfer.findMany({
      where: { serverId, status: 'discovered', ...(cursor ? { id: { gt: cursor } } : {}) },
      orderBy: { id: 'asc' },
      take,
      select: { id: true, workflowId: true, size: true, serverId: true, bucket: true },
    });
    const result: StartPageResult = { started: 0, alreadyStarted: 0, nextCursor: null };
    if (batchLane) {
      const small = rows.filter((r) => isSmallFile(r.size, config.transferPartBytes));
      await startBatches(serverId, small, result);
      await startEach(
        rows.filter((r) => !isSmallFile(r.size, config.transferPartBytes)),
        result,
      );
    } else {
      await startEach(rows, result);
    }
    if (rows.length === take) result.nextCursor = rows[rows.length - 1]?.id ?? null;
    return result;
  };
}
