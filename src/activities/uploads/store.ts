import type { JobStatus, Prisma, UploadStatus } from '../../generated/prisma/client';
import type { Db } from '../../lib/db';
import type { ManifestChunk } from './plan';

const JOB_STATUS: Partial<Record<UploadStatus, JobStatus>> = {
  processing: 'running',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
};

/**
 * Moves the Upload row from one of `from` to `to`, and its Job row along, in
 * one transaction. Returns false when the row was not in `from`: this
 * conditional update arbitrates races (complete vs expiry, cancel vs finish).
 */
export async function transitionUpload(
  db: Db,
  uploadId: string,
  from: UploadStatus[],
  to: UploadStatus,
  data: Omit<Prisma.UploadUpdateManyMutationInput, 'status'> = {},
): Promise<boolean> {
  const jobStatus = JOB_STATUS[to];
  return await db.$transaction(async (tx) => {
    const changed = await tx.upload.updateMany({
      where: { id: uploadId, status: { in: from } },
      data: { ...data, status: to },
    });
    if (changed.count === 0) return false;
    if (jobStatus) {
      await tx.job.updateMany({
        where: { kind: 'upload', refId: uploadId },
        data: {
          status: jobStatus,
          error: typeof data.error === 'string' ? data.error : null,
          finishedAt: jobStatus === 'running' ? null : new Date(),
        },
      });
    }
    return true;
  });
}

export async function loadManifest(db: Db, uploadId: string): Promise<ManifestChunk[]> {
  const rows = await db.uploadChunk.findMany({
    where: { uploadId },
    orderBy: { index: 'asc' },
    select: { index: true, size: true, stagingKey: true },
  });
  return rows.map((r) => ({ index: r.index, size: Number(r.size), stagingKey: r.stagingKey }));
}
