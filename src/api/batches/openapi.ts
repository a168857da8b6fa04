import { exportExample, idempotencyKey } from '../exports/openapi';
import type { Operation } from '../openapi/operation';
import { ids, idParam, timestamp } from '../openapi/examples';
import { batchExportsQuery, createBatchBody } from './schema';

const jobId = `ferry-export-batch-${ids.batch}`;
const batch = {
  batchId: ids.batch,
  jobId,
  status: 'running',
  concurrency: 4,
  total: 2,
  counts: { queued: 1, running: 1, completed: 0, failed: 0, cancelled: 0 },
  bytes: { source: 1_048_576, archives: 0 },
  firstFailures: [],
  error: null,
  progress: { done: 0, total: 2 },
  createdAt: timestamp,
  startedAt: timestamp,
  finishedAt: null,
  exports: [
    {
      index: 0,
      exportId: ids.export,
      jobId: `ferry-export-${ids.export}`,
      archiveName: exportExample.archiveName,
      status: 'running',
      phase: 'zipping',
      archiveSize: null,
      remotePath: null,
      error: null,
      startedAt: timestamp,
      finishedAt: null,
    },
  ],
  nextCursor: null,
};
const cancelAnswer = { batchId: ids.batch, jobId, status: 'running', cancelRequested: true };
const tag = 'exports';
const params = idParam('batch');

/** /v1/exports/batch and /v1/batches in /openapi.json (docs/exports.md, "Batches"). */
export const batchOperations: Operation[] = [
  {
    method: 'post',
    path: '/v1/exports/batch',
    tag,
    summary: 'Many exports as one batch',
    description: 'Each export as POST /v1/exports takes it; at most `concurrency` run at once.',
    headers: idempotencyKey,
    body: {
      schema: createBatchBody,
      examples: {
        two: {
          exports: [
            exportExample,
            {
              ...exportExample,
              archiveName: 'partner-a-2026-10.zip',
              sources: { bucket: 'ferry', prefix: 'partner-a/2026-10/' },
            },
          ],
          concurrency: 2,
        },
      },
    },
    responses: {
      202: {
        description: 'The batch runs as a job.',
        example: { batchId: ids.batch, jobId, total: 2 },
        headers: { Location: 'The batch.' },
      },
    },
    errors: {
      409: 'The same Idempotency-Key was used for another request.',
      422: 'A source object or a target server does not exist.',
    },
  },
  {
    method: 'get',
    path: '/v1/batches/:id',
    tag,
    summary: 'Counts by status, bytes, first failures and a page of its exports',
    params,
    query: { schema: batchExportsQuery, example: { limit: '20' } },
    responses: { 200: { description: 'The batch.', example: batch } },
  },
  {
    method: 'delete',
    path: '/v1/batches/:id',
    tag,
    summary: 'Cancel a batch and its running exports',
    params,
    responses: {
      202: { description: 'Cancelling.', example: cancelAnswer },
      200: {
        description: 'The batch had already ended.',
        example: { ...cancelAnswer, status: 'completed', cancelRequested: false },
      },
    },
  },
];
