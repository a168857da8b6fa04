import { ApplicationFailure } from '@temporalio/common';
import type { Upload } from '../../generated/prisma/client';
import { abortUpload, deleteObject } from '../../lib/s3';
import { deleteStaged, stagingPrefix } from '../../lib/upload-staging';
import { callWebhook } from '../../lib/webhook';
import type { ActivityDeps } from '../deps';
import { Failure } from '../../workflows/contract';
import { isAssembledBy } from './final-object';
import { transitionUpload } from './store';

export interface AbandonInput {
  uploadId: string;
  status: 'failed' | 'cancelled';
  reason: string;
}

const ACTIVE = ['receiving', 'queued', 'processing'] as const;

/**
 * Closing the row and removing the staged chunks are retried until they
 * succeed (the workflow's bookkeeping policy), since nothing else would ever
 * do them: a storage refusal, which ends other steps at once, is retried here
 * like any other error, until the bucket lets Ferry in again.
 */
async function retryingRefusals<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof ApplicationFailure && err.type === Failure.StorageRejected) {
      throw new Error(err.message, { cause: err });
    }
    throw err;
  }
}

export function createLifecycleActivities({ db, s3, config, log }: ActivityDeps) {
  const removeStaged = (uploadId: string): Promise<number> =>
    deleteStaged(s3, config.FERRY_BUCKET, stagingPrefix(config.FERRY_STAGING_PREFIX, uploadId));

  /** A final object completed by this upload's assembly (finish died, or failed after completing). */
  async function deleteOwnObject(upload: Upload): Promise<void> {
    if (await isAssembledBy(s3, upload)) {
      await deleteObject(s3, { Bucket: upload.bucket, Key: upload.objectKey });
    }
  }

  async function expire(uploadId: string): Promise<boolean> {
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
  }

  async function abandon({ uploadId, status, reason }: AbandonInput): Promise<void> {
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
  }

  return {
    /**
     * The TTL timer fired. Returns false when `complete` won the race (the row is
     * already queued): the workflow then assembles instead of expiring.
     */
    async expireUpload(uploadId: string): Promise<boolean> {
      return await retryingRefusals(() => expire(uploadId));
    },

    /** Failure or cancellation: nothing of the upload stays behind but its row (unless it already completed). */
    async abandonUpload(input: AbandonInput): Promise<void> {
      await retryingRefusals(() => abandon(input));
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
