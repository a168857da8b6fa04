import type { BatchStatus } from '../generated/prisma/client';
import type { Db } from './db';

/**
 * Closes a batch row (unless it is closed already) and removes the validator
 * secrets of exports it never started: their workflows, which would have
 * removed them, will not run. The batch workflow calls it when it ends, the
 * API when it cancels a batch whose workflow is gone.
 */
export async function closeBatch(
  db: Db,
  batchId: string,
  status: Extract<BatchStatus, 'completed' | 'failed' | 'cancelled'>,
  error: string | null,
): Promise<void> {
  await db.batch.updateMany({
    where: { id: batchId, status: { in: ['queued', 'running'] } },
    data: { status, error, finishedAt: new Date() },
  });
  await db.$executeRaw`
    DELETE FROM "ExportSecret" s USING "BatchItem" i
     WHERE i."batchId" = ${batchId}::uuid AND s."exportId" = i."exportId"
       AND NOT EXISTS (SELECT 1 FROM "Export" e WHERE e."id" = i."exportId")`;
}
