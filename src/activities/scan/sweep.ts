import { type Client, type WorkflowHandle, WorkflowNotFoundError } from '@temporalio/client';
import { Prisma } from '../../generated/prisma/client';
import { workflowIds } from '../../workflows/contract';
import type { ActivityDeps } from '../deps';
import { abortLostUploads, abortNamedUpload } from '../lost-uploads';
import { abortUpload } from '../../lib/s3';

export interface SweepInput {
  serverId: string;
}

interface RunningRow {
  id: string;
  workflowId: string;
  batchWorkflowId: string | null;
  uploadId: string | null;
  bucket: string;
  objectKey: string;
}

export interface SweepResult {
  /** Transfers left `running` by a workflow that no longer runs: now failed, their uploads aborted. */
  abandoned: number;
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
 *   upload aborted, with any upload at its key that nothing names (its last
 *   attempt may have died before recording one; activities/lost-uploads.ts).
 *   One visibility query lists the server's running transfer workflows; only
 *   rows it does not list are asked about one by one (`describe`), since
 *   visibility lags behind a workflow's start by a moment.
 * - A failed or cancelled transfer whose upload storage would not abort when
 *   it ended still names it: aborted now.
 */
export function createSweepActivity({ db, s3, temporal, log }: ActivityDeps) {
  async function settleAbandoned(serverId: string): Promise<number> {
    const running = await db.transfer.findMany({
      where: { serverId, status: 'running' },
      select: {
        id: true,
        workflowId: true,
        batchWorkflowId: true,
        uploadId: true,
        bucket: true,
        objectKey: true,
      },
    });
    if (running.length === 0) return 0;
    const listed = await listedAsRunning(temporal, serverId);
    // Many rows share one batch: each carrier is asked about once.
    const endings = new Map<string, Promise<string | undefined>>();
    let abandoned = 0;
    for (const row of running) {
      const carrier = row.batchWorkflowId ?? row.workflowId;
      if (listed.has(carrier)) continue;
      if (!endings.has(carrier)) endings.set(carrier, howItEnded(temporal, carrier));
      const ended = await endings.get(carrier);
      if (!ended) continue;
      // One row that cannot be cleaned up (its bucket gone private, storage down) is left
      // `running` for the next scan; it must not stop this scan from starting new files.
      const rowLog = log.child({ transferId: row.id, workflowId: row.workflowId });
      try {
        abandoned += await settle(row, ended, rowLog);
      } catch (err) {
        rowLog.warn({ err }, 'could not settle an abandoned transfer; the next scan tries again');
      }
    }
    return abandoned;
  }

  async function settle(row: RunningRow, ended: string, rowLog: ActivityDeps['log']): Promise<number> {
    // Abort first: should it fail, the row still names the upload and the next scan tries again.
    // (A workflow that closed normally wrote its final status before closing: its upload is
    // completed or gone already, and the conditional update below leaves its row alone.)
    // A batch sends its small files in single requests: it never opens a multipart upload.
    const ref = { Bucket: row.bucket, Key: row.objectKey };
    if (row.uploadId) await abortUpload(s3, ref, row.uploadId);
    if (!row.batchWorkflowId) await abortLostUploads({ db, s3, log: rowLog }, ref, new Date());
    const carrier = row.batchWorkflowId ? `batch workflow ${row.batchWorkflowId}` : 'transfer workflow';
    const { count } = await db.transfer.updateMany({
      where: { id: row.id, status: 'running' },
      data: {
        status: 'failed',
        error: `its ${carrier} ${ended} while the transfer ran; retry to start it again`,
        finishedAt: new Date(),
        uploadId: null,
        checkpoint: Prisma.DbNull,
      },
    });
    return count;
  }

  /** Failed or cancelled transfers whose upload could not be aborted when they ended (storage away). */
  async function abortLeftUploads(serverId: string): Promise<void> {
    const ended = await db.transfer.findMany({
      where: { serverId, status: { in: ['failed', 'cancelled'] }, uploadId: { not: null } },
      select: { id: true, workflowId: true, uploadId: true, bucket: true, objectKey: true },
    });
    for (const row of ended) {
      if (!row.uploadId) continue;
      const rowLog = log.child({ transferId: row.id, workflowId: row.workflowId });
      if (await abortNamedUpload({ db, s3, log: rowLog }, row, row.uploadId))
        rowLog.info({ uploadId: row.uploadId }, 'aborted the multipart upload an ended transfer left');
    }
  }

  return async function sweepAbandonedTransfers({ serverId }: SweepInput): Promise<SweepResult> {
    const abandoned = await settleAbandoned(serverId);
    await abortLeftUploads(serverId);
    return { abandoned };
  };
}

/** The message a failed workflow closed with, from its last history event. */
async function failureMessage(handle: WorkflowHandle): Promise<string> {
  const events = (await handle.fetchHistory()).events ?? [];
  return events.at(-1)?.workflowExecutionFailedEventAttributes?.failure?.message ?? 'no message';
}

/** IDs of the server's transfer and batch workflows that Temporal's visibility lists as running. */
async function listedAsRunning(temporal: Client, serverId: string): Promise<Set<string>> {
  // Server IDs are UUIDs; anything else must not reach the query's quotes.
  if (!/^[\w-]+$/.test(serverId)) throw new Error(`unexpected server id ${JSON.stringify(serverId)}`);
  const files = `WorkflowType = 'transferFile' AND WorkflowId STARTS_WITH '${workflowIds.transferPrefix(serverId)}'`;
  const batches = `WorkflowType = 'transferBatch' AND WorkflowId STARTS_WITH '${workflowIds.transferBatchPrefix(serverId)}'`;
  const query = `ExecutionStatus = 'Running' AND ((${files}) OR (${batches}))`;
  const ids = new Set<string>();
  for await (const wf of temporal.workflow.list({ query })) ids.add(wf.workflowId);
  return ids;
}

/** How the transfer's workflow ended, or undefined while it runs. */
async function howItEnded(temporal: Client, workflowId: string): Promise<string | undefined> {
  try {
    const handle = temporal.workflow.getHandle(workflowId);
    const { status } = await handle.describe();
    switch (status.name) {
      case 'RUNNING':
        return undefined;
      case 'TERMINATED':
        return 'was terminated';
      case 'TIMED_OUT':
        return 'timed out';
      case 'FAILED':
        // The workflow could not record its failure itself: the row gets it from the history.
        return `failed (${await failureMessage(handle)})`;
      default:
        return `ended (${status.name.toLowerCase()})`;
    }
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'no longer exists';
    throw err;
  }
}
