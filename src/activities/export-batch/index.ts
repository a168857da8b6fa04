import { closeBatch } from '../../lib/batch-store';
import type { ExportInput } from '../../workflows/contract';
import type { ActivityDeps } from '../deps';

/**
 * A page of a batch's exports stays well under Temporal's payload limits
 * whatever one export's input holds (a long list of keys, say): it ends at
 * this many bytes of inputs, or at `limit` exports.
 */
const PAGE_BYTES = 256 * 1024;

export interface BatchItemPage {
  items: { index: number; input: ExportInput }[];
}

/** The batch activities (src/workflows/batch.ts runs them); database only. */
export function createExportBatchActivities({ db }: ActivityDeps) {
  return {
    /**
     * queued → running. The API writes the batch in the transaction that
     * starts this workflow, so a missing row may not be committed yet: that
     * is retried (and the workflow gives up once the retries run out).
     */
    async beginBatch(batchId: string): Promise<{ concurrency: number; total: number }> {
      const row = await db.batch.findUnique({ where: { id: batchId } });
      if (!row) throw new Error(`batch ${batchId} is not recorded (yet)`);
      await db.batch.updateMany({
        where: { id: batchId, status: 'queued' },
        data: { status: 'running', startedAt: new Date() },
      });
      return { concurrency: row.concurrency, total: row.total };
    },

    /** The batch's exports from `fromIndex` on, in request order. */
    async batchExports(q: { batchId: string; fromIndex: number; limit: number }): Promise<BatchItemPage> {
      const rows = await db.batchItem.findMany({
        where: { batchId: q.batchId, index: { gte: q.fromIndex } },
        orderBy: { index: 'asc' },
        take: q.limit,
      });
      const items: BatchItemPage['items'] = [];
      let bytes = 0;
      for (const row of rows) {
        bytes += JSON.stringify(row.input).length;
        if (items.length > 0 && bytes > PAGE_BYTES) break;
        items.push({ index: row.index, input: row.input as unknown as ExportInput });
      }
      return { items };
    },

    /** Closes the batch (src/lib/batch-store.ts). */
    async finishBatch(q: {
      batchId: string;
      status: 'completed' | 'failed' | 'cancelled';
      error: string | null;
    }): Promise<void> {
      await closeBatch(db, q.batchId, q.status, q.error);
    },
  };
}
