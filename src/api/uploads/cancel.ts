import type { Upload } from '../../generated/prisma/client';
import { ConflictError } from '../../lib/errors';
import { deleteStaged, stagingPrefix } from '../../lib/upload-staging';
import { workflowIds } from '../../workflows/contract';
import type { ApiDeps } from '../deps';
import { isRunning, temporalDown } from '../temporal';

export interface UploadCancelAnswer {
  jobId: string;
  uploadId: string;
  status: Upload['status'];
  /** Absent when the upload was already cancelled (nothing was asked). */
  cancelRequested?: true;
}

/**
 * Cancels an upload (DELETE /v1/uploads/:id and DELETE /v1/jobs/:id): its
 * workflow aborts what runs, removes what is staged, then marks the row
 * cancelled. An upload whose workflow is gone is closed here.
 */
export async function cancelUpload(
  { config, db, s3, temporal, log }: ApiDeps,
  upload: Upload,
): Promise<UploadCancelAnswer> {
  const workflowId = upload.workflowId ?? workflowIds.upload(upload.id);
  const answer = { jobId: workflowId, uploadId: upload.id };
  if (upload.status === 'cancelled') return { ...answer, status: upload.status };
  if (upload.status === 'completed' || upload.status === 'failed' || upload.status === 'expired') {
    throw new ConflictError(`upload ${upload.id} is ${upload.status}; there is nothing to cancel`);
  }
  const handle = temporal.workflow.getHandle(workflowId);
  if (await isRunning(handle)) {
    await handle.cancel().catch(temporalDown);
  } else {
    // Its workflow is gone (terminated, or never started): nothing runs or gets cleaned for this
    // upload any more. Close the row and remove its staged chunks here (a repeated DELETE retries).
    await db.upload.updateMany({
      where: { id: upload.id, status: { in: ['receiving', 'queued', 'processing'] } },
      data: { status: 'cancelled' },
    });
    await deleteStaged(s3, config.FERRY_BUCKET, stagingPrefix(config.FERRY_STAGING_PREFIX, upload.id));
  }
  log.info({ uploadId: upload.id, workflowId }, 'upload cancellation requested');
  return { ...answer, status: upload.status, cancelRequested: true };
}
