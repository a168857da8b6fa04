import type {
  BatchStatus,
  EventStatus,
  ExportStatus,
  TransferStatus,
  UploadStatus,
} from '../../generated/prisma/client';
import type { PrunedKind } from '../../workflows/contract';

/**
 * What retention deletes of each kind (docs/retention.md), as SQL over the
 * kind's table under the alias `p`: only rows in a final state and last
 * updated before the cutoff; rows of work that waits or runs never.
 */
export interface PrunePlan {
  /** The kind's table. */
  table: string;
  /** The table under the alias `p`, with whatever the condition joins. */
  from: string;
  /** A timestamp column of `p`, walked oldest first with the ID (an index on both). */
  order: string;
  /** Which rows may go. */
  when: string;
  /** Tables whose rows belong to a row of `table` (`key` names it); deleted first. */
  children: { table: string; key: string }[];
}

const sqlList = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

const JOB_FINAL = sqlList(['completed', 'failed', 'cancelled'] satisfies (ExportStatus & BatchStatus)[]);
const TRANSFER_FINAL = sqlList([
  'completed',
  'skipped',
  'failed',
  'cancelled',
  'rejected',
] satisfies TransferStatus[]);
const UPLOAD_FINAL = sqlList(['completed', 'failed', 'cancelled', 'expired'] satisfies UploadStatus[]);
const EVENT_FINAL = sqlList(['completed', 'failed', 'unmatched'] satisfies EventStatus[]);

/** The cutoff, the first parameter of every statement (an ISO 8601 string, UTC). */
const CUTOFF = '$1::timestamp';

/** A listing refreshes a row's seenAt at most this often (activities/scan/seen.ts). */
export const SEEN_REFRESH = "interval '1 day'";

export const PLANS: Record<PrunedKind, PrunePlan> = {
  /**
   * A transfer row is also what stops the next scan from ingesting its file
   * version again, so it goes only once the file is gone: not seen since the
   * cutoff, and missing from the server's last complete listing (which
   * refreshed seenAt of every file it found, at most a day late).
   */
  transfers: {
    table: 'Transfer',
    from: '"Transfer" p JOIN "Server" s ON s."id" = p."serverId"',
    order: 'seenAt',
    when: `p."status" IN (${TRANSFER_FINAL}) AND p."updatedAt" < ${CUTOFF} AND p."seenAt" < ${CUTOFF}
       AND s."listedAt" > p."seenAt" + ${SEEN_REFRESH}`,
    children: [{ table: 'TransferAttempt', key: 'transferId' }],
  },
  uploads: {
    table: 'Upload',
    from: '"Upload" p',
    order: 'updatedAt',
    when: `p."status" IN (${UPLOAD_FINAL}) AND p."updatedAt" < ${CUTOFF}`,
    children: [{ table: 'UploadChunk', key: 'uploadId' }],
  },
  events: {
    table: 'Event',
    from: '"Event" p',
    order: 'updatedAt',
    when: `p."status" IN (${EVENT_FINAL}) AND p."updatedAt" < ${CUTOFF}`,
    children: [{ table: 'EventAction', key: 'eventId' }],
  },
  /** A batch's export stays as long as its batch does (the batch's counts read it). */
  exports: {
    table: 'Export',
    from: '"Export" p',
    order: 'updatedAt',
    when: `p."status" IN (${JOB_FINAL}) AND p."updatedAt" < ${CUTOFF}
       AND NOT EXISTS (SELECT 1 FROM "BatchItem" i JOIN "Batch" b ON b."id" = i."batchId"
                        WHERE i."exportId" = p."id"
                          AND NOT (b."status" IN (${JOB_FINAL}) AND b."updatedAt" < ${CUTOFF}))`,
    children: [
      { table: 'ExportEntry', key: 'exportId' },
      { table: 'ExportSecret', key: 'exportId' },
    ],
  },
  /** A batch goes once its exports are gone (removed just before, by `exports`). */
  batches: {
    table: 'Batch',
    from: '"Batch" p',
    order: 'updatedAt',
    when: `p."status" IN (${JOB_FINAL}) AND p."updatedAt" < ${CUTOFF}
       AND NOT EXISTS (SELECT 1 FROM "BatchItem" i JOIN "Export" e ON e."id" = i."exportId"
                        WHERE i."batchId" = p."id")`,
    children: [{ table: 'BatchItem', key: 'batchId' }],
  },
};
