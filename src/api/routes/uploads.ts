import { randomBytes, randomUUID } from 'node:crypto';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import express, { Router, type Request, type RequestHandler } from 'express';
import type { Upload } from '../../generated/prisma/client';
import {
  ConflictError,
  FerryError,
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
} from '../../lib/errors';
import { normalizeObjectKey } from '../../lib/keys';
import { deleteStaged, stagingKey, stagingPrefix } from '../../lib/upload-staging';
import { progressQuery, uploadCompleteSignal, workflowIds, type Progress } from '../../workflows/contract';
import type { uploadLifecycle } from '../../workflows/upload';
import type { ApiDeps } from '../deps';
import { assertOutboundUrl } from '../outbound';
import { resourceId } from '../params';
import { ServerTiming } from '../server-timing';
import { stageChunk } from '../uploads/ingest';
import { compareWithRecorded, queueUpload, recordChunk, type RecordOutcome } from '../uploads/manifest';
import { effectiveStatus, presentUpload } from '../uploads/present';
import { chunkIndex, chunkSha256Header, completeUploadBody, createUploadBody } from '../uploads/schema';
import { parse } from '../validate';

/** Temporal did not answer; the request can be repeated as is. */
function temporalDown(err: unknown): never {
  throw new ServiceUnavailableError(`Temporal did not answer: ${(err as Error).message}`);
}

/** Whether the workflow runs; Temporal accepts a cancel for one that has closed, and nothing happens. */
async function isRunning(handle: WorkflowHandle): Promise<boolean> {
  try {
    return (await handle.describe()).status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    return temporalDown(err);
  }
}

/**
 * /v1/uploads (PRODUCT.md §1.2): chunks are streamed into the staging prefix
 * and recorded in the manifest; `complete` only judges the manifest and
 * signals the upload's workflow, so it answers at once whatever the size.
 */
export function uploadRoutes({ config, db, s3, temporal, log }: ApiDeps): Router {
  const router = Router();
  const json = express.json({ limit: '64kb' });
  // Before the body is read: the Server-Timing `total` of `complete` counts that too.
  const arrival: RequestHandler = (_req, res, next) => {
    res.locals.arrivedAt = performance.now();
    next();
  };

  async function findUpload(rawId: unknown): Promise<Upload> {
    const id = resourceId(rawId, 'upload');
    const upload = await db.upload.findUnique({ where: { id } });
    if (!upload) throw new NotFoundError('upload', id);
    return upload;
  }

  const chunksOf = (uploadId: string) =>
    db.uploadChunk.findMany({
      where: { uploadId },
      select: { index: true, size: true },
      orderBy: { index: 'asc' },
    });

  router.post('/uploads', json, async (req, res) => {
    const body = parse(createUploadBody, req.body ?? {});
    assertOutboundUrl('webhookUrl', body.webhookUrl, config.outbound);
    const id = randomUUID();
    const key = normalizeObjectKey(body.key ?? `uploads/${id}/${body.filename}`, 'key');
    const ttlSeconds = body.ttlSeconds ?? config.UPLOAD_TTL_SECONDS;
    const workflowId = workflowIds.upload(id);
    // The row comes first so the workflow always finds it; if Temporal refuses, the row goes.
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
        workflowId,
        expiresAt: new Date(Date.now() + ttlSeconds * 1000),
      },
    });
    try {
      await temporal.workflow.start<typeof uploadLifecycle>('uploadLifecycle', {
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        workflowId,
        args: [{ uploadId: id, ttlSeconds }],
      });
    } catch (err) {
      await db.upload.delete({ where: { id } });
      temporalDown(err);
    }
    log.info({ uploadId: id, workflowId, key }, 'upload created');
    res
      .status(201)
      .location(`/v1/uploads/${id}`)
      .json({ ...presentUpload(upload, []), maxChunkBytes: config.uploadMaxChunkBytes });
  });

  /** Everything decided before the body is read; the answer when the chunk is a repeat. */
  async function admitChunk(req: Request) {
    const upload = await findUpload(req.params.id);
    const index = parse(chunkIndex, req.params.index, 'chunk index');
    const sha256 = parse(chunkSha256Header, req.header('x-chunk-sha256'), 'X-Chunk-SHA256 header');
    const lengthHeader = req.header('content-length');
    if (lengthHeader === undefined)
      throw new FerryError('length_required', 411, 'chunks need a Content-Length');
    const size = Number(lengthHeader);
    if (size > config.uploadMaxChunkBytes) {
      throw new PayloadTooLargeError(
        `chunk of ${size} bytes exceeds the limit of ${config.uploadMaxChunkBytes}`,
      );
    }
    const chunk = { uploadId: upload.id, index, size, sha256 };
    // A repeated chunk is answered without storing it again, whatever the upload's state.
    const recorded = await db.uploadChunk.findUnique({
      where: { uploadId_index: { uploadId: upload.id, index } },
    });
    if (recorded)
      return {
        chunk: { ...chunk, size: Number(recorded.size) },
        repeat: compareWithRecorded(chunk, recorded),
      };
    const status = effectiveStatus(upload);
    if (status !== 'receiving')
      throw new ConflictError(`upload ${upload.id} is ${status}; it no longer accepts chunks`);
    return { chunk, repeat: null };
  }

  router.put('/uploads/:id/chunks/:index', async (req, res) => {
    const { chunk, repeat } = await admitChunk(req).catch((err: unknown) => {
      // The body will not be read: close the connection rather than drain up to a whole chunk.
      res.setHeader('connection', 'close');
      throw err;
    });
    if (repeat) {
      res.status(200).json({ ...chunk, duplicate: true });
      return;
    }
    const key = stagingKey(
      config.FERRY_STAGING_PREFIX,
      chunk.uploadId,
      chunk.index,
      randomBytes(6).toString('hex'),
    );
    await stageChunk(req, { s3, bucket: config.FERRY_BUCKET, key, length: chunk.size, sha256: chunk.sha256 });
    let outcome: RecordOutcome | undefined;
    try {
      outcome = await recordChunk(db, { ...chunk, stagingKey: key });
    } finally {
      // Only the object the manifest points to stays staged. A failed delete must not replace
      // the answer (a 409, say): the object is under the upload's prefix, removed with it.
      if (outcome !== 'recorded') {
        await s3
          .send(new DeleteObjectCommand({ Bucket: config.FERRY_BUCKET, Key: key }))
          .catch((err: unknown) => log.warn({ err, key }, 'could not delete an unrecorded staged chunk'));
      }
    }
    res.status(outcome === 'recorded' ? 201 : 200).json({ ...chunk, duplicate: outcome === 'duplicate' });
  });

  router.get('/uploads/:id', async (req, res) => {
    const upload = await findUpload(req.params.id);
    let live: Progress | null = null;
    if (upload.status === 'processing' && upload.workflowId) {
      const handle = temporal.workflow.getHandle(upload.workflowId);
      // Progress is a nicety: a busy or absent worker must not hold the request.
      live = await temporal
        .withDeadline(Date.now() + 1000, () => handle.query(progressQuery))
        .catch((err: unknown) => {
          log.debug({ uploadId: upload.id, err }, 'progress query unanswered');
          return null;
        });
    }
    res.json(presentUpload(upload, await chunksOf(upload.id), live));
  });

  router.post('/uploads/:id/complete', arrival, json, async (req, res) => {
    const id = resourceId(req.params.id, 'upload');
    const { chunkCount } = parse(completeUploadBody, req.body ?? {});
    const workflowId = workflowIds.upload(id);
    const timing = new ServerTiming(res.locals.arrivedAt as number);
    const status = await timing.measure('db', () => queueUpload(db, id, workflowId, chunkCount));
    // Signalled on every complete while queued: a repeat heals a signal lost to a crash.
    if (status === 'queued') {
      await timing.measure('temporal', () =>
        temporal.workflow.getHandle(workflowId).signal(uploadCompleteSignal).catch(temporalDown),
      );
    }
    res.setHeader('Server-Timing', timing.toString());
    res.status(202).json({ jobId: workflowId, uploadId: id, status });
  });

  router.delete('/uploads/:id', async (req, res) => {
    const upload = await findUpload(req.params.id);
    const workflowId = upload.workflowId ?? workflowIds.upload(upload.id);
    const answer = { jobId: workflowId, uploadId: upload.id };
    if (upload.status === 'cancelled') {
      res.status(200).json({ ...answer, status: upload.status });
      return;
    }
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
    // The workflow aborts what runs, removes what is staged, then marks the row cancelled.
    res.status(202).json({ ...answer, status: upload.status, cancelRequested: true });
  });

  return router;
}
