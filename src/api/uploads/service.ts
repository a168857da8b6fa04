import { randomBytes, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Upload } from '../../generated/prisma/client';
import { ConflictError, NotFoundError } from '../../lib/errors';
import { normalizeObjectKey } from '../../lib/keys';
import { deleteObject, headObject } from '../../lib/s3';
import { assertKeyNotReserved } from '../../lib/storage-policy';
import { deleteStaged, stagingKey, stagingPrefix } from '../../lib/upload-staging';
import {
  ferrySearchAttributes,
  searchBucket,
  uploadCompleteSignal,
  workflowIds,
  type Progress,
} from '../../workflows/contract';
import type { uploadLifecycle } from '../../workflows/upload';
import type { ApiDeps } from '../deps';
import { assertOutboundUrl } from '../outbound';
import type { ServerTiming } from '../server-timing';
import { isWorkflowRunning, liveProgress, temporalUnavailable } from '../temporal';
import { stageChunk } from './stage-chunk';
import { assertFits, compareWithRecorded, queueUpload, recordChunk, type RecordOutcome } from './manifest';
import { effectiveStatus, type ChunkSummary } from './present';
import type { ChunkRequest, CreateUploadBody } from './schema';

/** How long GET /v1/uploads/:id waits for the workflow's progress query. */
const QUERY_DEADLINE_MS = 1_000;

export interface Chunk extends ChunkRequest {
  uploadId: string;
}

/** Where a DELETE left the upload: cancelled before, or a cancellation now under way. */
export interface CancelOutcome {
  upload: Upload;
  workflowId: string;
  cancelRequested: boolean;
}

/**
 * Chunked uploads (docs/uploads.md): chunks are streamed into the staging
 * prefix and recorded in the manifest; `complete` only judges the manifest
 * and signals the upload's workflow, so it answers at once whatever the size.
 */
export function createUploadService({ config, db, s3, temporal, log }: ApiDeps) {
  async function get(id: string): Promise<Upload> {
    const upload = await db.upload.findUnique({ where: { id } });
    if (!upload) throw new NotFoundError('upload', id);
    return upload;
  }

  /** The row comes first so the workflow always finds it; if Temporal refuses, the row goes. */
  async function create(body: CreateUploadBody): Promise<Upload> {
    assertOutboundUrl('webhookUrl', body.webhookUrl, config.outbound);
    const id = randomUUID();
    const key = normalizeObjectKey(body.key ?? `uploads/${id}/${body.filename}`, 'key');
    assertKeyNotReserved(config, 'key', key);
    // Refused early when it is plain; assembly's conditional write refuses whatever appears later.
    if (!body.overwrite && (await headObject(s3, { Bucket: config.FERRY_BUCKET, Key: key }))) {
      throw new ConflictError(`an object already exists at key ${key}; send "overwrite": true to replace it`);
    }
    const ttlSeconds = body.ttlSeconds ?? config.UPLOAD_TTL_SECONDS;
    const workflowId = workflowIds.upload(id);
    const upload = await db.upload.create({
      data: {
        id,
        filename: body.filename,
        size: body.size === undefined ? null : BigInt(body.size),
        contentType: body.contentType ?? 'application/octet-stream',
        sha256: body.sha256 ?? null,
        bucket: config.FERRY_BUCKET,
        objectKey: key,
        webhookUrl: body.webhookUrl ?? null,
        overwrite: body.overwrite,
        workflowId,
        expiresAt: new Date(Date.now() + ttlSeconds * 1000),
      },
    });
    try {
      await temporal.workflow.start<typeof uploadLifecycle>('uploadLifecycle', {
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        workflowId,
        args: [{ uploadId: id, ttlSeconds }],
        typedSearchAttributes: ferrySearchAttributes({
          kind: 'upload',
          uploadId: id,
          bucket: searchBucket(config, config.FERRY_BUCKET),
        }),
      });
    } catch (err) {
      await db.upload.delete({ where: { id } });
      throw temporalUnavailable('Temporal did not answer', err);
    }
    log.info({ uploadId: id, workflowId, key }, 'upload created');
    return upload;
  }

  /** The row, its received chunks, and the workflow's progress while it assembles. */
  async function describe(id: string) {
    const upload = await get(id);
    const live: Progress | undefined =
      upload.status === 'processing' && upload.workflowId
        ? await liveProgress(temporal, log, upload.workflowId, QUERY_DEADLINE_MS)
        : undefined;
    const chunks: ChunkSummary[] = await db.uploadChunk.findMany({
      where: { uploadId: upload.id },
      select: { index: true, size: true },
      orderBy: { index: 'asc' },
    });
    return { upload, chunks, live };
  }

  /**
   * Everything decided before a chunk's body is read. `repeat` is set when the
   * index was already received: a repeat is answered without storing it
   * again, whatever the upload's state.
   */
  async function admitChunk(upload: Upload, request: ChunkRequest) {
    const chunk: Chunk = { uploadId: upload.id, ...request };
    const recorded = await db.uploadChunk.findUnique({
      where: { uploadId_index: { uploadId: upload.id, index: chunk.index } },
    });
    if (recorded)
      return {
        chunk: { ...chunk, size: Number(recorded.size) },
        repeat: compareWithRecorded(chunk, recorded),
      };
    const status = effectiveStatus(upload);
    if (status !== 'receiving')
      throw new ConflictError(`upload ${upload.id} is ${status}; it no longer accepts chunks`);
    if (upload.size !== null) {
      // Before the body is read; recordChunk checks again under a lock.
      const received = await db.uploadChunk.aggregate({
        where: { uploadId: upload.id },
        _sum: { size: true },
      });
      assertFits(received._sum.size ?? 0n, chunk.size, upload.size);
    }
    return { chunk, repeat: null };
  }

  /** Stages the body under a key of its own, then records it in the manifest. */
  async function storeChunk(chunk: Chunk, body: Readable): Promise<RecordOutcome> {
    const nonce = randomBytes(6).toString('hex');
    const key = stagingKey(config.FERRY_STAGING_PREFIX, chunk.uploadId, chunk.index, nonce);
    await stageChunk(body, {
      s3,
      bucket: config.FERRY_BUCKET,
      key,
      length: chunk.size,
      sha256: chunk.sha256,
    });
    let outcome: RecordOutcome | undefined;
    try {
      outcome = await recordChunk(db, { ...chunk, stagingKey: key });
    } finally {
      // Only the object the manifest points to stays staged. A failed delete must not replace
      // the answer (a 409, say): the object is under the upload's prefix, removed with it.
      if (outcome !== 'recorded') {
        await deleteObject(s3, { Bucket: config.FERRY_BUCKET, Key: key }).catch((err: unknown) =>
          log.warn({ err, key }, 'could not delete an unrecorded staged chunk'),
        );
      }
    }
    return outcome;
  }

  /** Queues the upload and signals its workflow; returns the status afterwards. */
  async function complete(id: string, chunkCount: number | undefined, timing: ServerTiming) {
    const workflowId = workflowIds.upload(id);
    const status = await timing.measure('db', () => queueUpload(db, id, chunkCount));
    // Signalled on every complete while queued: a repeat heals a signal lost to a crash.
    if (status === 'queued') {
      await timing.measure('temporal', () =>
        temporal.workflow
          .getHandle(workflowId)
          .signal(uploadCompleteSignal)
          .catch((err: unknown) => {
            throw temporalUnavailable('Temporal did not answer', err);
          }),
      );
    }
    return { workflowId, status };
  }

  async function cancel(id: string): Promise<CancelOutcome> {
    const upload = await get(id);
    const workflowId = upload.workflowId ?? workflowIds.upload(upload.id);
    if (upload.status === 'cancelled') return { upload, workflowId, cancelRequested: false };
    if (upload.status === 'completed' || upload.status === 'failed' || upload.status === 'expired') {
      throw new ConflictError(`upload ${upload.id} is ${upload.status}; there is nothing to cancel`);
    }
    const handle = temporal.workflow.getHandle(workflowId);
    if (await isWorkflowRunning(handle)) {
      // The workflow aborts what runs, removes what is staged, then marks the row cancelled.
      await handle.cancel().catch((err: unknown) => {
        throw temporalUnavailable('Temporal did not answer', err);
      });
    } else {
      await closeOrphan(upload.id);
    }
    log.info({ uploadId: upload.id, workflowId }, 'upload cancellation requested');
    return { upload, workflowId, cancelRequested: true };
  }

  /**
   * Its workflow is gone (terminated, or never started): nothing runs or gets
   * cleaned for this upload any more. Closes the row and removes its staged
   * chunks here (a repeated DELETE retries).
   */
  async function closeOrphan(uploadId: string): Promise<void> {
    await db.upload.updateMany({
      where: { id: uploadId, status: { in: ['receiving', 'queued', 'processing'] } },
      data: { status: 'cancelled' },
    });
    await deleteStaged(s3, config.FERRY_BUCKET, stagingPrefix(config.FERRY_STAGING_PREFIX, uploadId));
  }

  return { get, create, describe, admitChunk, storeChunk, complete, cancel };
}
