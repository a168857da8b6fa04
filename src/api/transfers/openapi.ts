import type { Operation } from '../openapi/operation';
import { ids, idParam, sha256Example, timestamp } from '../openapi/examples';
import { listQuery } from './schema';

const transfer = {
  id: ids.transfer,
  serverId: ids.server,
  remotePath: 'outgoing/2026-11-30.csv',
  size: 52_428_800,
  mtime: timestamp,
  status: 'completed',
  bucket: 'ferry',
  objectKey: 'partner-a/2026-11-30.csv',
  sha256: sha256Example,
  bytesDone: 52_428_800,
  error: null,
  attempts: 1,
  workflowId: `ferry-transfer-${ids.server}-5f1c0e`,
  batchWorkflowId: null,
  startedAt: timestamp,
  finishedAt: timestamp,
  createdAt: timestamp,
  updatedAt: timestamp,
  progress: { done: 52_428_800, total: 52_428_800, phase: 'completed', live: false },
};
const action = (status: string) => ({ id: ids.transfer, workflowId: transfer.workflowId, status });

const tag = 'transfers';
const params = idParam('transfer');

/** /v1/transfers in /openapi.json. */
export const transferOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/transfers',
    tag,
    summary: 'List file versions and their transfers, newest first',
    query: { schema: listQuery, example: { serverId: ids.server, status: 'failed', limit: '50' } },
    responses: {
      200: {
        description: 'A page; `nextCursor` fetches the next.',
        example: { transfers: [transfer], nextCursor: null },
      },
    },
  },
  {
    method: 'get',
    path: '/v1/transfers/:id',
    tag,
    summary: 'One transfer, with live progress while it runs',
    params,
    responses: { 200: { description: 'The transfer.', example: transfer } },
  },
  {
    method: 'post',
    path: '/v1/transfers/:id/retry',
    tag,
    summary: 'Run a failed or cancelled transfer again',
    params,
    responses: { 202: { description: 'Started again.', example: action('discovered') } },
    errors: { 409: 'The transfer is neither failed nor cancelled.' },
  },
  {
    method: 'delete',
    path: '/v1/transfers/:id',
    tag,
    summary: 'Cancel a transfer',
    description: 'The activity stops and the multipart upload is aborted.',
    params,
    responses: { 202: { description: 'Cancelling.', example: action('cancelling') } },
    errors: { 409: 'The transfer has already ended.' },
  },
];
