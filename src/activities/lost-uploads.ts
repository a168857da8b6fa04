import type { ActivityDeps } from './deps';
import { abortUpload, type ObjectRef, openUploadsAt } from '../lib/s3';

/**
 * Aborts (and logs) the multipart uploads at `ref` that no transfer and no
 * chunked upload names and that were opened before `openedBefore`.
 *
 * A worker killed between creating a multipart upload and recording its ID
 * leaves such an upload: nothing will complete or abort it. It holds no parts
 * (they are sent only once the ID is recorded), but stays open, and listed,
 * until aborted. Only the next attempt of the activity that opened it can
 * tell it exists (a transfer's, or a chunked upload's `prepare`), so that
 * attempt calls this once, with the time it was scheduled: the lost upload is
 * older, while an upload of another job at the same key (another version of
 * the file, a server sharing the bucket) is recorded milliseconds after it is
 * opened. Should one still be caught between the two, that job finds its
 * upload gone and starts it over.
 *
 * Best effort: a lost upload is empty, so failing to find or abort it (no
 * permission to list uploads, storage briefly away) is logged and must not
 * fail the transfer or the scan that called this.
 */
export async function abortLostUploads(
  { db, s3, log }: Pick<ActivityDeps, 'db' | 's3' | 'log'>,
  ref: ObjectRef,
  openedBefore: Date,
): Promise<void> {
  try {
    await abortUnnamed({ db, s3, log }, ref, openedBefore);
  } catch (err) {
    log.warn({ err, ...ref }, 'could not look for multipart uploads an earlier attempt lost; left open');
  }
}

async function abortUnnamed(
  { db, s3, log }: Pick<ActivityDeps, 'db' | 's3' | 'log'>,
  ref: ObjectRef,
  openedBefore: Date,
): Promise<void> {
  const old = (await openUploadsAt(s3, ref)).filter((u) => u.initiated < openedBefore);
  if (old.length === 0) return;
  const ids = old.map((u) => u.uploadId);
  const [transfers, uploads] = await Promise.all([
    db.transfer.findMany({ where: { uploadId: { in: ids } }, select: { uploadId: true } }),
    db.upload.findMany({ where: { multipartUploadId: { in: ids } }, select: { multipartUploadId: true } }),
  ]);
  const named = new Set([...transfers.map((r) => r.uploadId), ...uploads.map((u) => u.multipartUploadId)]);
  const lost = ids.filter((id) => !named.has(id));
  for (const uploadId of lost) await abortUpload(s3, ref, uploadId);
  if (lost.length > 0)
    log.warn({ ...ref, aborted: lost }, 'aborted multipart uploads an earlier attempt lost');
}

/**
 * Aborts the multipart upload a failed or cancelled transfer still names, then
 * clears the name. When storage will not abort it (away, or refusing), logs
 * and leaves the name on the row: the next scan's sweep tries again. Returns
 * whether it was aborted.
 */
export async function abortNamedUpload(
  { db, s3, log }: Pick<ActivityDeps, 'db' | 's3' | 'log'>,
  row: { id: string; bucket: string; objectKey: string },
  uploadId: string,
): Promise<boolean> {
  try {
    await abortUpload(s3, { Bucket: row.bucket, Key: row.objectKey }, uploadId);
  } catch (err) {
    log.warn(
      { err, uploadId },
      'could not abort the multipart upload of an ended transfer; the next scan tries again',
    );
    return false;
  }
  // Only while the row still names it (a retry may have moved on to an upload of its own).
  await db.transfer.updateMany({ where: { id: row.id, uploadId }, data: { uploadId: null } });
  return true;
}
