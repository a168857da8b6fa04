import { DeleteObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import type { Upload } from '../../generated/prisma/client';
import { abortUpload, isS3NotFound } from '../../lib/s3';
import { deleteStaged, stagingPrefix } from '../../lib/upload-staging';
import { callWebhook } from '../../lib/webhook';
import type { ActivityDeps } from '../deps';
import { transitionUpload } from './store';

export interface AbandonInput {
  uploadId: string;
  status: 'failed' | 'cancelled';
  reason: string;
}

const ACTIVE = ['receiving', 'queued', 'processing'] as const;

export function createLifecycleActivities({ db, s3, config, log }: ActivityDeps) {
  const removeStaged = (uploadId: string): Promise<number> =>
    deleteStaged(s3, config.FERRY_BUCKET, stagingPrefix(config.FERRY_STAGING_PREFIX, uploadId));

  /** A final object completed by this upload's assembly (finish died, or failed after completing). */
  async function deleteOwnObject(upload: Upload): Promise<void> {
    try {
      const head = await s3.send(new HeadObjectCommand({ Bucket: upload.bucket, Key: upload.objectKey }));
      if (head.Metadata?.['ferry-upload-id'] !== upload.id) return;
    } catch (err) {
      if (isS3NotFound(err)) return;
      throw err;
    }
    await s3.send(new DeleteObjectCommand({ Bucket: upload.bucket, Key: upload.objectKey }));
  }

  return {
    /**
     * The TTL timer fired. Returns false when `complete` won the race (the row is
     * already queued): the workflow then assembles instead of expiring.
     */
    async expireUpload(uploadId: string): Promise<boolean> {
      const expired = await transitionUpload(db, uploadId, ['receiving'], 'expired', {
        error: 'the upload was not completed before it expired',
      });
      if (!expired) {
        const row = await db.upload.findUnique({ where: { id: uploadId }, select: { status: true } });
        if (row?.status === 'queued' || row?.status === 'processing') return false;
      }
      const removed = await removeStaged(uploadId);
      log.info({ uploadId, removed }, 'upload expired; staged chunks removed');
      return true;
    },

    /** Failure or cancellation: nothing of the upload stays behind but its row (unless it already completed). */
    async abandonUpload({ uploadId, status, reason }: AbandonInput): Promise<void> {
      const upload = await db.upload.findUnique({ where: { id: uploadId } });
      if (!upload || upload.status === 'completed') return;
      if (upload.multipartUploadId) {
        await abortUpload(s3, { Bucket: upload.bucket, Key: upload.objectKey }, upload.multipartUploadId);
      }
      await deleteOwnObject(upload);
      await transitionUpload(db, uploadId, [...ACTIVE], status, {
        error: status === 'failed' ? reason : null,
        multipartUploadId: null,
      });
      const removed = await removeStaged(uploadId);
      log.info({ uploadId, status, removed }, 'upload abandoned; staged chunks removed');
    },

    /** POSTs `upload.completed` or `upload.failed` to the upload's webhook, if it has one. */
    async notifyUpload(uploadId: string): Promise<boolean> {
      const u = await db.upload.findUniqueOrThrow({ where: { id: uploadId } });
      if (!u.webhookUrl || (u.status !== 'completed' && u.status !== 'failed')) return false;
      await callWebhook(
        u.webhookUrl,
        config.FERRY_WEBHOOK_SECRET || undefined,
        {
          event: `upload.${u.status}`,
          uploadId: u.id,
          status: u.status,
          bucket: u.bucket,
          key: u.objectKey,
          size: u.size === null ? null : Number(u.size),
          sha256: u.sha256,
          error: u.error,
        },
        { policy: config.outbound },
      );
      return true;
    },
  };
}
