import type { Batch } from '../../generated/prisma/client';
import type { ApiDeps } from '../deps';
import type { JobStatus } from '../jobs/schema';
import { decodeIndexCursor, encodeIndexCursor, type BatchExportsQuery } from './schema';

/** Failures shown with a batch: the first ones to happen. */
const FIRST_FAILURES = 10;

export interface BatchTotals {
  counts: Record<JobStatus, number>;
  sourceBytes: bigint;
  archiveBytes: bigint;
}

export interface BatchFailure {
  index: number;
  exportId: string;
  error: string | null;
  errorType: string | null;
  validatorReasons: unknown;
}

export interface BatchExportRow {
  index: number;
  exportId: string;
  archiveName: string;
  /** An export the batch has not started is queued (or cancelled, once the batch is closed). */
  status: JobStatus;
  phase: string | null;
  archiveSize: bigint | null;
  remotePath: string | null;
  error: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** Each export's status: its own row's, or for one not started yet, what the batch's state implies. */
const statusSql = (batch: Batch) =>
  batch.status === 'queued' || batch.status === 'running' ? 'queued' : 'cancelled';

/** Counts by status and bytes, summed in the database over the batch's exports. */
export async function batchTotals({ db }: ApiDeps, batch: Batch): Promise<BatchTotals> {
  const rows = await db.$queryRaw<{ status: JobStatus; n: number; source: bigint; archive: bigint }[]>`
    SELECT coalesce(e."status"::text, ${statusSql(batch)}) AS status, count(*)::int AS n,
           coalesce(sum(e."totalBytes"), 0)::bigint AS source,
           coalesce(sum(e."archiveSize") FILTER (WHERE e."status" = 'completed'), 0)::bigint AS archive
      FROM "BatchItem" i LEFT JOIN "Export" e ON e."id" = i."exportId"
     WHERE i."batchId" = ${batch.id}::uuid
     GROUP BY 1`;
  const counts: Record<JobStatus, number> = { queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 };
  let sourceBytes = 0n;
  let archiveBytes = 0n;
  for (const r of rows) {
    counts[r.status] += r.n;
    sourceBytes += r.source;
    archiveBytes += r.archive;
  }
  return { counts, sourceBytes, archiveBytes };
}

export async function firstFailures({ db }: ApiDeps, batch: Batch): Promise<BatchFailure[]> {
  return await db.$queryRaw<BatchFailure[]>`
    SELECT i."index", e."id"::text AS "exportId", e."error", e."errorType", e."validatorReasons"
      FROM "BatchItem" i JOIN "Export" e ON e."id" = i."exportId"
     WHERE i."batchId" = ${batch.id}::uuid AND e."status" = 'failed'
     ORDER BY e."finishedAt" NULLS LAST, i."index"
     LIMIT ${FIRST_FAILURES}`;
}

/** A page of the batch's exports, in request order. */
export async function batchExports({ db }: ApiDeps, batch: Batch, q: BatchExportsQuery) {
  const after = q.cursor === undefined ? -1 : decodeIndexCursor(q.cursor);
  const rows = await db.$queryRaw<BatchExportRow[]>`
    SELECT i."index", i."exportId"::text AS "exportId", i."input"->>'archiveName' AS "archiveName",
           coalesce(e."status"::text, ${statusSql(batch)}) AS status, e."phase", e."archiveSize",
           e."remotePath", e."error", e."startedAt", e."finishedAt"
      FROM "BatchItem" i LEFT JOIN "Export" e ON e."id" = i."exportId"
     WHERE i."batchId" = ${batch.id}::uuid AND i."index" > ${after}
     ORDER BY i."index"
     LIMIT ${q.limit + 1}`;
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return { exports: page, nextCursor: rows.length > q.limit && last ? encodeIndexCursor(last.index) : null };
}
