import type { Upload } from '../../generated/prisma/client';
import type { Progress } from '../../workflows/contract';

export interface ChunkSummary {
  index: number;
  size: bigint;
}

/** Status as clients should see it: an upload past its expiry is expired even before the timer's cleanup ran. */
export function effectiveStatus(upload: Upload, now = new Date()): Upload['status'] {
  return upload.status === 'receiving' && upload.expiresAt <= now ? 'expired' : upload.status;
}

/**
 * 0–1: the workflow's own figure while it assembles (null when no worker
 * answered the query in time: unknown, not zero), else what the status implies.
 */
function progressOf(status: Upload['status'], live: Progress | null | undefined): number | null {
  if (status === 'completed') return 1;
  if (status !== 'processing') return 0;
  if (!live) return null;
  return live.total ? Math.min(1, live.done / live.total) : 0;
}

/** The API view of an upload (the webhook URL is left out: it may carry a token). */
export function presentUpload(upload: Upload, chunks: ChunkSummary[], live?: Progress | null) {
  const status = effectiveStatus(upload);
  return {
    uploadId: upload.id,
    jobId: upload.workflowId,
    status,
    progress: progressOf(status, live),
    phase: status === 'processing' ? (live?.phase ?? null) : null,
    filename: upload.filename,
    bucket: upload.bucket,
    key: upload.objectKey,
    overwrite: upload.overwrite,
    size: upload.size,
    contentType: upload.contentType,
    sha256: upload.sha256,
    receivedChunks: chunks.map((c) => c.index),
    receivedBytes: chunks.reduce((n, c) => n + c.size, 0n),
    error: upload.error,
    assembly: upload.assembly,
    expiresAt: upload.expiresAt,
    createdAt: upload.createdAt,
    completedAt: upload.completedAt,
  };
}

/** The answer to `complete` and DELETE: the upload's job and where it stands. */
export function presentUploadJob(workflowId: string, uploadId: string, status: Upload['status']) {
  return { jobId: workflowId, uploadId, status };
}
