import { type ApplicationFailure, Context } from '@temporalio/activity';
import type { Upload } from '../../generated/prisma/client';
import { abortUpload, createMultipartUpload, isUploadOpen } from '../../lib/s3';
import { listStaged, stagingPrefix } from '../../lib/upload-staging';
import { Failure, nonRetryable, workflowIds } from '../../workflows/contract';
import type { ActivityDeps } from '../deps';
import { abortLostUploads } from '../lost-uploads';
import { finalMetadata } from './final-object';
import { batchParts, planParts, type ManifestChunk } from './plan';
import { whileHeartbeating } from './heartbeat';
import { loadManifest, transitionUpload } from './store';
import type { AssemblyPlan } from './types';

const invalidManifest = (message: string): ApplicationFailure =>
  nonRetryable(Failure.InvalidManifest, message);

/** No gaps, the declared size, and every chunk staged with its recorded size. */
function validateManifest(upload: Upload, chunks: ManifestChunk[], staged: Map<string, number>): number {
  const gaps = chunks.map((c, i) => (c.index === i ? -1 : i)).filter((i) => i >= 0);
  if (gaps.length) throw invalidManifest(`manifest has a gap at chunk ${gaps[0]}`);
  const size = chunks.reduce((n, c) => n + c.size, 0);
  if (upload.size !== null && BigInt(size) !== upload.size) {
    throw invalidManifest(`chunks add up to ${size} bytes, the upload declared ${upload.size}`);
  }
  for (const c of chunks) {
    const found = staged.get(c.stagingKey);
    if (found !== c.size) {
      throw invalidManifest(
        `staged chunk ${c.index} is ${found === undefined ? 'missing' : `${found} bytes`}, expected ${c.size}`,
      );
    }
  }
  return size;
}

export function createPrepareActivities({ db, s3, config, log }: ActivityDeps) {
  /**
   * The multipart upload recorded on the row if it is still open, else a new
   * one, recorded first-writer-wins. The winner is checked too: a stray
   * earlier attempt may record an upload that this attempt has just aborted
   * as lost (it opened it, then stalled past its heartbeat before recording).
   */
  async function ensureMultipart(upload: Upload): Promise<string> {
    const ref = { Bucket: upload.bucket, Key: upload.objectKey };
    let recorded = upload.multipartUploadId;
    if (recorded && (await isUploadOpen(s3, ref, recorded))) return recorded;
    // An earlier attempt may have died between opening an upload and recording it (lost-uploads.ts).
    const { attempt, currentAttemptScheduledTimestampMs } = Context.current().info;
    if (attempt > 1) {
      await abortLostUploads({ db, s3, log }, ref, new Date(currentAttemptScheduledTimestampMs));
    }
    for (let round = 0; round < 3; round++) {
      const id = await createMultipartUpload(s3, ref, {
        ContentType: upload.contentType,
        Metadata: finalMetadata(upload),
      });
      const saved = await db.upload.updateMany({
        where: { id: upload.id, multipartUploadId: recorded },
        data: { multipartUploadId: id },
      });
      if (saved.count === 1) return id;
      await abortUpload(s3, ref, id);
      recorded = (await db.upload.findUniqueOrThrow({ where: { id: upload.id } })).multipartUploadId;
      if (recorded && (await isUploadOpen(s3, ref, recorded))) return recorded;
    }
    throw new Error('the multipart upload recorded for this upload keeps changing; trying again');
  }

  /** queued → processing; validates the manifest and opens the multipart upload. */
  async function prepare(uploadId: string): Promise<AssemblyPlan> {
    // The workflow runs this only once `complete` signalled it. 'receiving'
    // means the database lost that request's commit (made without waiting for
    // the disk, api/uploads/manifest.ts): the signal stands, and the manifest
    // is validated below whatever the row said.
    const moved = await transitionUpload(db, uploadId, ['queued', 'receiving'], 'processing');
    if (moved) {
      const workflowId = workflowIds.upload(uploadId);
      await db.job.upsert({
        where: { workflowId },
        create: {
          kind: 'upload',
          workflowId,
          refId: uploadId,
          status: 'running',
        },
        update: {},
      });
    }
    const upload = await db.upload.findUnique({ where: { id: uploadId } });
    if (!upload) throw nonRetryable(Failure.UploadMissing, `upload ${uploadId} does not exist`);
    if (upload.status !== 'processing') {
      throw nonRetryable(Failure.UploadNotQueued, `upload ${uploadId} is ${upload.status}`);
    }
    const chunks = await loadManifest(db, uploadId);
    const staged = await listStaged(
      s3,
      config.FERRY_BUCKET,
      stagingPrefix(config.FERRY_STAGING_PREFIX, uploadId),
    );
    const size = validateManifest(upload, chunks, staged);
    const parts = planParts(chunks);
    return {
      size,
      parts: parts.length,
      multipartUploadId: size === 0 ? null : await ensureMultipart(upload),
      batches: batchParts(parts),
      verify: upload.sha256 !== null,
    };
  }

  return {
    async prepareUploadAssembly(uploadId: string): Promise<AssemblyPlan> {
      // Heartbeats only prove liveness: the step is short and always runs to its end.
      return await whileHeartbeating(() => prepare(uploadId));
    },
  };
}
