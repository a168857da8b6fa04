import type { Export } from '../../generated/prisma/client';
import type { ExportProgress } from '../../workflows/contract';

/** The API view of an export (the webhook and validator URLs are left out: they may carry tokens). */
export function presentExport(row: Export, live?: ExportProgress | null) {
  const running = row.status === 'running' || row.status === 'queued';
  const request = row.request as Record<string, unknown>;
  return {
    exportId: row.id,
    jobId: row.workflowId,
    status: row.status,
    phase: running ? (live?.phase ?? row.phase) : null,
    progress: running
      ? live
        ? {
            entriesDone: live.entriesDone,
            entriesTotal: live.entriesTotal,
            bytesDone: live.bytesDone,
            bytesTotal: live.bytesTotal,
          }
        : null
      : null,
    sources: request.sources,
    layout: request.layout,
    compression: request.compression,
    archiveName: row.archiveName,
    target: { serverId: row.serverId, directory: row.directory },
    overwrite: row.overwrite,
    validated: row.validatorUrl !== null,
    entries: row.entryCount,
    totalBytes: row.totalBytes,
    archiveSize: row.archiveSize,
    archiveSha256: row.archiveSha256,
    remotePath: row.remotePath,
    error: row.error,
    errorType: row.errorType,
    validatorReasons: row.validatorReasons,
    clientRequestId: row.clientRequestId,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}
