import type { Batch } from '../../generated/prisma/client';
import { workflowIds, type Progress } from '../../workflows/contract';
import type { BatchExportRow, BatchFailure, BatchTotals } from './summary';

function presentExportOfBatch(e: BatchExportRow) {
  return {
    index: e.index,
    exportId: e.exportId,
    jobId: workflowIds.export(e.exportId),
    archiveName: e.archiveName,
    status: e.status,
    phase: e.phase,
    archiveSize: e.archiveSize,
    remotePath: e.remotePath,
    error: e.error,
    startedAt: e.startedAt,
    finishedAt: e.finishedAt,
  };
}

export interface BatchView {
  batch: Batch;
  totals: BatchTotals;
  failures: BatchFailure[];
  page: { exports: BatchExportRow[]; nextCursor: string | null };
  live: Progress | null;
}

/** GET /v1/batches/:id: the batch summed up (counts by status, bytes, first failures) and a page of its exports. */
export function presentBatch({ batch, totals, failures, page, live }: BatchView) {
  return {
    batchId: batch.id,
    jobId: batch.workflowId,
    status: batch.status,
    concurrency: batch.concurrency,
    total: batch.total,
    counts: totals.counts,
    bytes: { source: totals.sourceBytes, archives: totals.archiveBytes },
    firstFailures: failures,
    error: batch.error,
    progress: live,
    createdAt: batch.createdAt,
    startedAt: batch.startedAt,
    finishedAt: batch.finishedAt,
    exports: page.exports.map(presentExportOfBatch),
    nextCursor: page.nextCursor,
  };
}
