import type { Operation } from '../openapi/operation';
import { chunkIndexParam, ids, idParam, sha256Example, timestamp } from '../openapi/examples';
import { chunkSha256Header, completeUploadBody, createUploadBody } from './schema';

const upload = {
  uploadId: ids.upload,
  jobId: `ferry-upload-${ids.upload}`,
  status: 'receiving',
  progress: 0,
  phase: null,
  filename: 'report.csv',
  bucket: 'ferry',
  key: `uploads/${ids.upload}/report.csv`,
  size: 1_048_576,
  contentType: 'text/csv',
  sha256: null,
  receivedChunks: [0],
  receivedBytes: 1_048_576,
  error: null,
  assembly: null,
  expiresAt: '2026-12-01T09:15:00.000Z',
  createdAt: timestamp,
  completedAt: null,
};
const job = (status: string) => ({ jobId: upload.jobId, uploadId: ids.upload, status });

const tag = 'uploads';
const params = idParam('upload');

/** /v1/uploads in /openapi.json (docs/uploads.md). */
export const uploadOperations: Operation[] = [
  {
    method: 'post',
    path: '/v1/uploads',
    tag,
    summary: 'Create a chunked upload',
    body: {
      schema: createUploadBody,
      examples: { csv: { filename: 'report.csv', size: 1_048_576, contentType: 'text/csv' } },
    },
    responses: {
      201: {
        description: 'The upload, and the largest chunk it takes.',
        example: { ...upload, receivedChunks: [], receivedBytes: 0, maxChunkBytes: 67_108_864 },
      },
    },
  },
  {
    method: 'put',
    path: '/v1/uploads/:id/chunks/:index',
    tag,
    summary: 'Send one chunk',
    description: 'The raw bytes of the chunk, with its SHA-256 in `X-Chunk-SHA256` and a `Content-Length`.',
    params: { ...params, index: chunkIndexParam },
    headers: {
      'X-Chunk-SHA256': {
        schema: chunkSha256Header,
        required: true,
        description: 'SHA-256 of the body, hex.',
        example: sha256Example,
      },
    },
    responses: {
      201: {
        description: 'Stored.',
        example: { index: 0, size: 4, sha256: sha256Example, duplicate: false },
      },
      200: {
        description: 'This chunk was already stored with the same content.',
        example: { index: 0, size: 4, sha256: sha256Example, duplicate: true },
      },
    },
    errors: {
      409: 'The upload takes no more chunks, or this index holds other content.',
      411: 'No Content-Length.',
      413: 'The chunk is larger than the upload takes.',
      507: 'Object storage is full: nothing was recorded; send the chunk again later (`Retry-After`).',
    },
  },
  {
    method: 'post',
    path: '/v1/uploads/:id/complete',
    tag,
    summary: 'Assemble the chunks into the object',
    description: 'Answers at once, whatever the size; repeating it is harmless.',
    params,
    body: { schema: completeUploadBody, examples: { oneChunk: { chunkCount: 1 } } },
    responses: { 202: { description: 'Assembly runs as a job.', example: job('processing') } },
    errors: { 409: 'A chunk is missing, or the upload was cancelled or expired.' },
  },
  {
    method: 'get',
    path: '/v1/uploads/:id',
    tag,
    summary: 'Status, progress and received chunks',
    params,
    responses: { 200: { description: 'The upload.', example: upload } },
  },
  {
    method: 'delete',
    path: '/v1/uploads/:id',
    tag,
    summary: 'Cancel an upload',
    description: 'Staged chunks and the multipart upload are removed.',
    params,
    responses: {
      200: { description: 'The upload had already ended.', example: job('completed') },
      202: { description: 'Cancelling.', example: { ...job('cancelled'), cancelRequested: true } },
    },
  },
];
