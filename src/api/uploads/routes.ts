import express, { Router, type Request, type RequestHandler } from 'express';
import type { ApiDeps } from '../deps';
import { resourceId } from '../params';
import { ServerTiming } from '../server-timing';
import { parse } from '../validate';
import { presentUpload, presentUploadJob } from './present';
import { completeUploadBody, createUploadBody, parseChunkRequest } from './schema';
import { createUploadService } from './service';

/** /v1/uploads: parse → service → present (docs/uploads.md). */
export function uploadRoutes(deps: ApiDeps): Router {
  const { uploadMaxChunkBytes } = deps.config;
  const uploads = createUploadService(deps);
  const router = Router();
  const json = express.json({ limit: '64kb' });
  const uploadId = (req: Request): string => resourceId(req.params.id, 'upload');
  // Before the body is read: the Server-Timing `total` of `complete` counts that too.
  const arrival: RequestHandler = (_req, res, next) => {
    res.locals.arrivedAt = performance.now();
    next();
  };

  router.post('/uploads', json, async (req, res) => {
    const upload = await uploads.create(parse(createUploadBody, req.body ?? {}));
    res
      .status(201)
      .location(`/v1/uploads/${upload.id}`)
      .json({ ...presentUpload(upload, []), maxChunkBytes: uploadMaxChunkBytes });
  });

  /** Everything decided before the body is read; the upload must exist before its headers are judged. */
  async function admitChunk(req: Request) {
    const upload = await uploads.get(uploadId(req));
    const request = parseChunkRequest(
      {
        index: req.params.index,
        sha256Header: req.header('x-chunk-sha256'),
        contentLength: req.header('content-length'),
      },
      uploadMaxChunkBytes,
    );
    return await uploads.admitChunk(upload, request);
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
    const outcome = await uploads.storeChunk(chunk, req);
    res.status(outcome === 'recorded' ? 201 : 200).json({ ...chunk, duplicate: outcome === 'duplicate' });
  });

  router.get('/uploads/:id', async (req, res) => {
    const { upload, chunks, live } = await uploads.describe(uploadId(req));
    res.json(presentUpload(upload, chunks, live));
  });

  router.post('/uploads/:id/complete', arrival, json, async (req, res) => {
    const id = uploadId(req);
    const { chunkCount } = parse(completeUploadBody, req.body ?? {});
    const timing = new ServerTiming(res.locals.arrivedAt as number);
    const { workflowId, status } = await uploads.complete(id, chunkCount, timing);
    res.setHeader('Server-Timing', timing.toString());
    res.status(202).json(presentUploadJob(workflowId, id, status));
  });

  router.delete('/uploads/:id', async (req, res) => {
    const { upload, workflowId, cancelRequested } = await uploads.cancel(uploadId(req));
    const answer = presentUploadJob(workflowId, upload.id, upload.status);
    if (cancelRequested) res.status(202).json({ ...answer, cancelRequested: true });
    else res.status(200).json(answer);
  });

  return router;
}
