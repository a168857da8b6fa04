import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { Prisma } from '../../generated/prisma/client';
import type { ActivityDeps } from '../deps';
import { abortUpload, openUploadsAt, type OpenUpload } from '../transfer/s3-objects';

export interface SweepInput {
  serverId: string;
  /** Age after which a multipart upload no transfer names is abandoned (the scan passes an hour). */
  unnamedUploadAgeSeconds: number;
}

export interface SweepResult {
  /** Transfers left `running` by a workflow that no longer runs: now failed, their uploads aborted. */
  abandoned: number;
  /** Multipart uploads at this server's object keys that no transfer names, aborted. */
  unnamedUploads: number;
}

/**
 * Cleans up after transfers that could not clean up themselves; run by every
 * scan of the server.
 *
 * - A transfer left `running` by a workflow that no longer runs (terminated or
 *   timed out from outside Ferry, failed, or gone from Temporal) recorded
 *   neither its end nor aborted its multipart upload, whose parts storage
 *   keeps, and bills, until aborted. Each is marked `failed`, saying how its
 *   workflow ended (`POST /v1/transfers/:id/retry` starts it again), and its
 *   upload aborted. One `describe` per running transfer.
 * - A worker killed between creating a multipart upload and recording its ID
 *   leaves an upload no row names; the retried attempt opens another. At the
 *   object keys of this server's retried transfers, open uploads that no
 *   transfer or chunked upload names and that are older than
 *   `unnamedUploadAgeSeconds` are aborted (the age spares an upload whose ID
 *   is being recorded right now).
 */
export function createSweepActivity({ db, s3, temporal }: ActivityDeps) {
  async function settleAbandoned(serverId: string): Promise<number> {
    const running = await db.transfer.findMany({
      where: { serverId, status: 'running' },
      select: { id: true, workflowId: true, uploadId: true, bucket: true, objectKey: true },
    });
    let abandoned = 0;
    for (const row of running) {
      const ended = await howItEnded(temporal, row.workflowId);
      if (!ended) continue;
      // Abort first: should it fail, the row still names the upload and the next scan tries again.
      // (A workflow that closed normally wrote its final status before closing: its upload is
      // completed or gone already, and the conditional update below leaves its row alone.)
      if (row.uploadId) await abortUpload(s3, { Bucket: row.bucket, Key: row.objectKey }, row.uploadId);
      const { count } = await db.transfer.updateMany({
        where: { id: row.id, status: 'running' },
        data: {
          status: 'failed',
          error: `its transfer workflow ${ended} while the transfer ran; retry to start it again`,
          finishedAt: new Date(),
          uploadId: null,
          checkpoint: Prisma.DbNull,
        },
      });
      abandoned += count;
    }
    return abandoned;
  }

  async function abortUnnamed(serverId: string, ageSeconds: number): Promise<number> {
    // Only a retried attempt can have lost an upload: the keys of this server's transfers
    // retried and running or ended within a day.
    const retried = await db.transfer.findMany({
      where: {
        serverId,
        attempts: { gte: 2 },
        OR: [{ finishedAt: null }, { finishedAt: { gte: new Date(Date.now() - 86_400_000) } }],
      },
      select: { bucket: true, objectKey: true },
      distinct: ['bucket', 'objectKey'],
    });
    const cutoff = Date.now() - ageSeconds * 1000;
    const old: (OpenUpload & { bucket: string })[] = [];
    for (const { bucket, objectKey } of retried) {
      for (const u of await openUploadsAt(s3, { Bucket: bucket, Key: objectKey })) {
        if (u.initiated.getTime() <= cutoff) old.push({ ...u, bucket });
      }
    }
    if (old.length === 0) return 0;
    const ids = old.map((u) => u.uploadId);
    // Named by any transfer (two servers may share keys) or by a chunked upload's assembly.
    const [transfers, uploads] = await Promise.all([
      db.transfer.findMany({ where: { uploadId: { in: ids } }, select: { uploadId: true } }),
      db.upload.findMany({ where: { multipartUploadId: { in: ids } }, select: { multipartUploadId: true } }),
    ]);
    const named = new Set([...transfers.map((r) => r.uploadId), ...uploads.map((u) => u.multipartUploadId)]);
    let aborted = 0;
    for (const u of old) {
      if (named.has(u.uploadId)) continue;
      await abortUpload(s3, { Bucket: u.bucket, Key: u.key }, u.uploadId);
      aborted++;
    }
    return aborted;
  }

  return async function sweepAbandonedTransfers({
    serverId,
    unnamedUploadAgeSeconds,
  }: SweepInput): Promise<SweepResult> {
    return {
      abandoned: await settleAbandoned(serverId),
      unnamedUploads: await abortUnnamed(serverId, unnamedUploadAgeSeconds),
    };
  };
}

/** How the transfer's workflow ended, or undefined while it runs. */
async function howItEnded(temporal: Client, workflowId: string): Promise<string | undefined> {
  try {
    const { status } = await temporal.workflow.getHandle(workflowId).describe();
    switch (status.name) {
      case 'RUNNING':
        return undefined;
      case 'TERMINATED':
        return 'was terminated';
      case 'TIMED_OUT':
        return 'timed out';
      default:
        return `ended (${status.name.toLowerCase()})`;
    }
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'no longer exists';
    throw err;
  }
}
