import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
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

/** Every object under `prefix`, with its size (paged: uploads may have 10,000 chunks). */
export async function listStaged(
  s3: S3Client,
  bucket: string,
  prefix: string,
  abortSignal?: AbortSignal,
): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      { abortSignal },
    );
    for (const o of page.Contents ?? []) if (o.Key) found.set(o.Key, o.Size ?? 0);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return found;
}

/** Removes everything staged under `prefix` (recorded chunks and leftovers of failed PUTs). */
export async function deleteStaged(s3: S3Client, bucket: string, prefix: string): Promise<number> {
  const keys = [...(await listStaged(s3, bucket, prefix)).keys()];
  for (let i = 0; i < keys.length; i += 1000) {
    const Objects = keys.slice(i, i + 1000).map((Key) => ({ Key }));
    const res = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects, Quiet: true } }));
    const failed = res.Errors ?? [];
    if (failed.length)
      throw new Error(`could not delete ${failed.length} staged chunks: ${failed[0]?.Message}`);
  }
  return keys.length;
}
