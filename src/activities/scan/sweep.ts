import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { Prisma } from '../../generated/prisma/client';
import type { ActivityDeps } from '../deps';
import { abortUpload } from '../transfer/s3-objects';

/**
 * Transfers left `running` by a workflow that no longer runs: terminated or
 * timed out from outside Ferry (`temporal workflow terminate`), failed, or
 * gone from Temporal. No such workflow recorded how it ended, nor aborted its
 * multipart upload, whose parts storage keeps (and bills) until aborted. The
 * scan marks each one `failed`, saying why (`POST /v1/transfers/:id/retry`
 * starts it again), and aborts its upload. Returns how many it found.
 */
export function createSweepActivity({ db, s3, temporal }: ActivityDeps) {
  return async function sweepAbandonedTransfers({ serverId }: { serverId: string }): Promise<number> {
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
