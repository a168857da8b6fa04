import type { Operation } from '../openapi/operation';
import { ids, timestamp } from '../openapi/examples';
import { jobIdSchema, listJobsQuery } from './schema';

const jobId = `ferry-export-${ids.export}`;
const job = {
  jobId,
  kind: 'export',
  status: 'running',
  workflowId: jobId,
  resourceId: ids.export,
  resource: `/v1/exports/${ids.export}`,
  batchId: null,
  error: null,
  createdAt: timestamp,
  updatedAt: timestamp,
  startedAt: timestamp,
  finishedAt: null,
};
const tag = 'jobs';
const params = {
  id: {
    schema: jobIdSchema,
    description: "The job's ID: its workflow ID (`ferry-<kind>-…`), the `jobId` every resource answers with.",
    example: jobId,
  },
};

/** /v1/jobs in /openapi.json (docs/exports.md, "The jobs API"). */
export const jobOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/jobs',
    tag,
    summary: 'Every kind of job, newest first',
    description: '`status=active` lists queued and running ones.',
    query: { schema: listJobsQuery, example: { kind: 'export', status: 'active', limit: '20' } },
    responses: {
      200: {
        description: 'A page; `nextCursor` fetches the next.',
        example: { jobs: [job], nextCursor: null },
      },
    },
  },
  {
    method: 'get',
    path: '/v1/jobs/:id',
    tag,
    summary: "One job, its workflow's status and live progress",
    params,
    responses: {
      200: {
        description: 'The job.',
        example: {
          ...job,
          workflow: { status: 'RUNNING', runId: 'a1b2c3d4-0000-4000-8000-000000000002' },
          progress: { done: 3, total: 30 },
        },
      },
    },
  },
  {
    method: 'delete',
    path: '/v1/jobs/:id',
    tag,
    summary: 'Cancel a job of any kind',
    params,
    responses: {
      202: { description: 'Cancelling.', example: { ...job, cancelRequested: true } },
      200: {
        description: 'The job had already ended.',
        example: { ...job, status: 'completed', cancelRequested: false },
      },
    },
    errors: { 409: 'This job cannot be cancelled in its state.' },
  },
];
