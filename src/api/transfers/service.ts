import { WorkflowNotFoundError } from '@temporalio/client';
import type { Prisma, Transfer } from '../../generated/prisma/client';
import { ConflictError, NotFoundError } from '../../lib/errors';
import { startTransferWorkflow } from '../../lib/transfer-start';
import { bucketSearchable, type Progress } from '../../workflows/contract';
import type { ApiDeps } from '../deps';
import { liveProgress, temporalUnavailable } from '../temporal';
import type { TransferCursor } from './cursor';
import type { ListQuery } from './schema';

const FINISHED: readonly Transfer['status'][] = ['completed', 'skipped', 'failed', 'cancelled', 'rejected'];
const RETRYABLE: Transfer['status'][] = ['failed', 'cancelled'];
/** How long GET /v1/transfers/:id waits for the workflow's progress query before answering from the row. */
const QUERY_DEADLINE_MS = 2_000;

export interface TransferPage {
  /** Newest first, at most `limit`. */
  transfers: Transfer[];
  /** The last row shown, when more rows follow it. */
  continueAfter: Transfer | undefined;
}

/**
 * The file versions found by scans and their transfers. The `transferFile`
 * workflow owns each row's progress; this service reads rows, asks the
 * running workflow for live progress, and retries or cancels it.
 */
export function createTransferService({ config, db, temporal, log }: Omit<ApiDeps, 's3'>) {
  async function get(id: string): Promise<Transfer> {
    const transfer = await db.transfer.findUnique({ where: { id } });
    if (!transfer) throw new NotFoundError('transfer', id);
    return transfer;
  }

  /** The row, and the workflow's own view while it runs (undefined when it does not answer in time). */
  async function describe(id: string): Promise<{ transfer: Transfer; live: Progress | undefined }> {
    const transfer = await get(id);
    // A batch-carried row is its own record: the batch's query counts files, not this one's bytes.
    const live =
      transfer.status === 'running' && !transfer.batchWorkflowId
        ? await liveProgress(temporal, log, transfer.workflowId, QUERY_DEADLINE_MS)
        : undefined;
    return { transfer, live };
  }

  async function list(q: ListQuery, after: TransferCursor | undefined): Promise<TransferPage> {
    const where: Prisma.TransferWhereInput = {
      ...(q.serverId ? { serverId: q.serverId.toLowerCase() } : {}),
      ...(q.status ? { status: q.status } : {}),
    };
    if (after) {
      where.OR = [
        { createdAt: { lt: after.createdAt } },
        { createdAt: after.createdAt, id: { lt: after.id } },
      ];
    }
    const rows = await db.transfer.findMany({
      where,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: q.limit + 1,
    });
    const transfers = rows.slice(0, q.limit);
    return { transfers, continueAfter: rows.length > q.limit ? transfers.at(-1) : undefined };
  }

  /**
   * Only failed or cancelled transfers; the same workflow ID runs again (ALLOW_DUPLICATE_FAILED_ONLY).
   * A row a batch carried runs as its own transferFile: the claim forgets the batch.
   */
  async function retry(id: string): Promise<Transfer> {
    const t = await get(id);
    if (!RETRYABLE.includes(t.status)) {
      throw new ConflictError(
        `transfer ${t.id} is ${t.status}; only failed or cancelled transfers can be retried`,
      );
    }
    const claimed = await db.transfer.updateMany({
      where: { id: t.id, status: { in: RETRYABLE } },
      data: { status: 'discovered', error: null, finishedAt: null, batchWorkflowId: null },
    });
    if (claimed.count === 0) throw new ConflictError(`transfer ${t.id} changed state meanwhile; look again`);
    let outcome;
    try {
      outcome = await startTransferWorkflow(
        temporal,
        {
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          partBytes: config.transferPartBytes,
          labelBucket: bucketSearchable(config),
        },
        t,
      );
    } catch (err) {
      await restore(t);
      throw temporalUnavailable('could not start the transfer workflow', err);
    }
    if (outcome === 'already-started') {
      await restore(t);
      throw new ConflictError(
        `workflow ${t.workflowId} is still open or has completed, so it cannot run again; look again shortly`,
      );
    }
    log.info({ transferId: t.id, workflowId: t.workflowId }, 'transfer retried');
    return t;
  }

  /** Cancels the workflow, which aborts its multipart upload and marks the row cancelled. */
  async function cancel(id: string): Promise<Transfer> {
    const t = await get(id);
    if (FINISHED.includes(t.status)) throw new ConflictError(`transfer ${t.id} is already ${t.status}`);
    if (t.batchWorkflowId) {
      throw new ConflictError(
        `transfer ${t.id} rides in batch workflow ${t.batchWorkflowId} and cannot be cancelled alone; ` +
          'cancel the batch (temporal workflow cancel) to stop all of its files',
        { batchWorkflowId: t.batchWorkflowId },
      );
    }
    try {
      await temporal.workflow.getHandle(t.workflowId).cancel();
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) {
        throw temporalUnavailable('could not cancel the transfer workflow', err);
      }
      // No open workflow to tell: it never started (or was terminated), so the row is settled here.
      await db.transfer.updateMany({
        where: { id: t.id, status: { in: ['discovered', 'running'] } },
        data: { status: 'cancelled', error: 'cancelled through the API', finishedAt: new Date() },
      });
    }
    log.info({ transferId: t.id, workflowId: t.workflowId }, 'transfer cancellation requested');
    return t;
  }

  /** Puts a row back as it was when a retry could not start its workflow. */
  async function restore(t: Transfer): Promise<void> {
    await db.transfer.updateMany({
      where: { id: t.id, status: 'discovered' },
      data: {
        status: t.status,
        error: t.error,
        finishedAt: t.finishedAt,
        batchWorkflowId: t.batchWorkflowId,
      },
    });
  }

  return { describe, list, retry, cancel };
}
