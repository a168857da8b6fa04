import type { Transfer } from '../../generated/prisma/client';
import type { Progress } from '../../workflows/contract';
import { encodeCursor } from './cursor';
import type { TransferPage } from './service';

/** Progress as shown by the API: live from the workflow's query while it answers, else from the row. */
export interface ShownProgress extends Progress {
  live: boolean;
}

/** A transfer as the API shows it (BigInts become numbers in src/api/json.ts). */
export function presentTransfer(t: Transfer, live?: Progress) {
  const progress: ShownProgress = live
    ? { ...live, live: true }
    : { done: Number(t.bytesDone), total: Number(t.size), phase: t.status, live: false };
  return {
    id: t.id,
    serverId: t.serverId,
    remotePath: t.remotePath,
    size: t.size,
    mtime: new Date(Number(t.mtimeMs)).toISOString(),
    status: t.status,
    bucket: t.bucket,
    objectKey: t.objectKey,
    sha256: t.sha256,
    bytesDone: live ? live.done : t.bytesDone,
    error: t.error,
    attempts: t.attempts,
    workflowId: t.workflowId,
    startedAt: t.startedAt,
    finishedAt: t.finishedAt,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    progress,
  };
}

/** A page of GET /v1/transfers, with the cursor of the page after it. */
export function presentTransferPage(page: TransferPage) {
  return {
    transfers: page.transfers.map((t) => presentTransfer(t)),
    nextCursor: page.continueAfter ? encodeCursor(page.continueAfter) : null,
  };
}

/** The answer to a retry or a cancel: the workflow now does the work. */
export function presentTransferAction(t: Transfer, status: 'discovered' | 'cancelling') {
  return { id: t.id, workflowId: t.workflowId, status };
}
