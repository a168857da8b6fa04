import type { MetricMeter } from '@temporalio/common';
import type { Prisma } from '../../generated/prisma/client';
import type { Db } from '../../lib/db';
import { transferWorkflowId } from '../../lib/workflow-ids';
import type { ListedFile } from './walk';

/**
 * Files a scan refuses (a name that cannot be an object key: control
 * characters, too long) are recorded, once per file version, as `rejected`
 * transfers carrying the reason: GET /v1/transfers shows them, the
 * `ferry_scan_rejected_files` metric counts them. The unique file-version
 * identity makes a later scan's insert of the same version a no-op.
 */
export function rejectedRow(
  server: { id: string; bucket: string },
  file: ListedFile,
  reason: string,
): Prisma.TransferCreateManyInput {
  const size = BigInt(file.size);
  const mtimeMs = BigInt(file.mtimeMs);
  return {
    serverId: server.id,
    remotePath: file.remotePath,
    size,
    mtimeMs,
    // Never started: no workflow runs for a rejected version. The ID keeps the column's uniqueness.
    workflowId: transferWorkflowId(server.id, file.remotePath, size, mtimeMs),
    bucket: server.bucket,
    objectKey: '',
    status: 'rejected',
    error: `not transferred: the file name cannot be an object key (${reason})`,
    finishedAt: new Date(),
  };
}

const identity = (remotePath: string, size: bigint, mtimeMs: bigint) => `${size}:${mtimeMs}:${remotePath}`;

/**
 * The server's rejected versions, so that one whose name has become usable
 * (the server's keyPrefix changed) is offered again instead of staying rejected.
 */
export async function loadRejected(db: Db, serverId: string): Promise<Map<string, string>> {
  const rows = await db.transfer.findMany({
    where: { serverId, status: 'rejected' },
    select: { id: true, remotePath: true, size: true, mtimeMs: true },
  });
  return new Map(rows.map((r) => [identity(r.remotePath, r.size, r.mtimeMs), r.id]));
}

/** The rejected row of this version, if there is one. */
export function rejectedIdOf(
  rejected: Map<string, string>,
  row: Prisma.TransferCreateManyInput,
): string | undefined {
  return rejected.get(identity(row.remotePath, BigInt(row.size), BigInt(row.mtimeMs)));
}

/** A rejected version whose name is now usable becomes `discovered`, with its key. */
export async function reviveRejected(
  db: Db,
  id: string,
  objectKey: string,
  bucket: string,
): Promise<boolean> {
  const { count } = await db.transfer.updateMany({
    where: { id, status: 'rejected' },
    data: { status: 'discovered', objectKey, bucket, error: null, finishedAt: null },
  });
  return count === 1;
}

export function rejectedFilesCounter(meter: MetricMeter) {
  return meter.createCounter(
    'ferry_scan_rejected_files',
    'files',
    'File versions a scan recorded as rejected (their name cannot be an object key)',
  );
}
