import type { Operation } from '../openapi/operation';
import { ids, idParam, sha256Example, timestamp } from '../openapi/examples';
import { createExportBody, idempotencyKeyHeader } from './schema';

/** A POST /v1/exports body; batches reuse it. */
export const exportExample = {
  sources: { bucket: 'ferry', prefix: 'partner-a/2026-11/', include: ['*.csv'] },
  archiveName: 'partner-a-2026-11.zip',
  compression: 'deflate',
  target: { serverId: ids.server, directory: 'incoming' },
};

const exportView = {
  exportId: ids.export,
  jobId: `ferry-export-${ids.export}`,
  status: 'completed',
  phase: null,
  progress: null,
  sources: exportExample.sources,
  layout: { mode: 'keep' },
  compression: 'deflate',
  archiveName: exportExample.archiveName,
  target: exportExample.target,
  overwrite: false,
  validated: false,
  entries: 30,
  totalBytes: 1_572_864_000,
  archiveSize: 402_653_184,
  archiveSha256: sha256Example,
  remotePath: 'incoming/partner-a-2026-11.zip',
  error: null,
  errorType: null,
  validatorReasons: null,
  clientRequestId: null,
  createdAt: timestamp,
  startedAt: timestamp,
  finishedAt: timestamp,
};

export const idempotencyKey = {
  'Idempotency-Key': {
    schema: idempotencyKeyHeader,
    description: 'A repeated request with the same key answers with the same job.',
    example: 'nightly-2026-11-30',
  },
};

const cancelAnswer = {
  exportId: ids.export,
  jobId: exportView.jobId,
  status: 'running',
  cancelRequested: true,
};
const tag = 'exports';
const params = idParam('export');

/** /v1/exports in /openapi.json (docs/exports.md). */
export const exportOperations: Operation[] = [
  {
    method: 'post',
    path: '/v1/exports',
    tag,
    summary: 'Zip objects, validate the archive, deliver it to an SFTP server',
    headers: idempotencyKey,
    body: {
      schema: createExportBody,
      examples: {
        prefix: exportExample,
        keys: {
          sources: { bucket: 'ferry', keys: ['partner-a/a.csv', 'partner-a/b.csv'] },
          layout: 'flatten',
          archiveName: 'two.zip',
          target: { serverId: ids.server, directory: 'incoming' },
        },
      },
    },
    responses: {
      202: {
        description: 'The export runs as a job.',
        example: { jobId: exportView.jobId, exportId: ids.export, status: 'queued' },
        headers: { Location: 'The export.' },
      },
    },
    errors: {
      409: 'The same Idempotency-Key was used for another request.',
      422: 'A source object or the target server does not exist.',
    },
  },
  {
    method: 'get',
    path: '/v1/exports/:id',
    tag,
    summary: 'Status, phase, live progress, archive and remote path',
    params,
    responses: { 200: { description: 'The export.', example: exportView } },
  },
  {
    method: 'delete',
    path: '/v1/exports/:id',
    tag,
    summary: 'Cancel an export',
    params,
    responses: {
      202: { description: 'Cancelling.', example: cancelAnswer },
      200: {
        description: 'The export had already ended.',
        example: { ...cancelAnswer, status: 'completed', cancelRequested: false },
      },
    },
  },
];
