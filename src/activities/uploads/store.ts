import type { Prisma, UploadStatus } from '../../generated/prisma/client';
import type { Db } from '../../lib/db';
import type { ManifestChunk } from './plan';

/**
 * Moves the Upload row from one of `from` to `to` (its job, the view "Job",
 * follows). Returns false when the row was not in `from`: this conditional
 * update arbitrates races (complete vs expiry, cancel vs finish).
 */
export async function transitionUpload(
  db: Db,
  uploadId: string,
  from: UploadStatus[],
  to: UploadStatus,
  data: Omit<Prisma.UploadUpdateManyMutationInput, 'status'> = {},
): Promise<boolean> {
  const changed = await db.upload.updateMany({
    where: { id: uploadId, status: { in: from } },
    data: { ...data, status: to },
  });
  return changed.count > 0;
}

export async function loadManifest(db: Db, uploadId: string): Promise<ManifestChunk[]> {
  const rows = await db.uploadChunk.findMany({
    where: { uploadId },
    orderBy: { index: 'asc' },
    select: { index: true, size: true, stagingKey: true },
  });
  return rows.map((r) => ({ index: r.index, size: Number(r.size), stagingKey: r.stagingKey }));
}
