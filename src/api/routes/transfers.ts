import { WorkflowNotFoundError } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import type { Prisma, Transfer } from '../../generated/prisma/client';
import { ConflictError, NotFoundError, ServiceUnavailableError } from '../../lib/errors';
import { startTransferWorkflow } from '../../lib/transfer-start';
import { progressQuery, type Progress } from '../../workflows/contract';
import type { ApiDeps } from '../deps';
import { resourceId, UUID } from '../params';
import { decodeCursor, encodeCursor } from '../transfers/cursor';
import { presentTransfer } from '../transfers/present';
import { parse } from '../validate';

const STATUSES = [
  'discovered',
  'running',
  'completed',
  'skipped',
  'failed',
  'cancelled',
  'rejected',
] as const;
const FINISHED: readonly Transfer['status'][] = ['completed', 'skipped', 'failed', 'cancelled', 'rejected'];
const RETRYABLE: Transfer['status'][] = ['failed', 'cancelled'];
/** How long GET /v1/transfers/:id waits for the workflow's progress query before answering from the row. */
const QUERY_DEADLINE_MS = 2_000;

const listQuery = z.object({
  serverId: z.string().regex(UUID, 'must be a server ID (UUID)').optional(),
  status: z.enum(STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(200).optional(),
});

/**
 * /v1/transfers: the file versions found by scans and their transfers. The
 * `transferFile` workflow owns each row's progress; these routes read rows,
 * ask the running workflow for live progress, and retry or cancel it.
 */
export function transferRoutes({ config, db, temporal, log }: ApiDeps): Router {
  const router = Router();

  async function findTransfer(rawId: unknown): Promise<Transfer> {
    const id = resourceId(rawId, 'transfer');
    const transfer = await db.transfer.findUnique({ where: { id } });
    if (!transfer) throw new NotFoundError('transfer', id);
    return transfer;
  }

  /** The workflow's own view while it runs; the row is the fallback when it does not answer in time. */
  async function liveProgress(t: Transfer): Promise<Progress | undefined> {
    if (t.status !== 'running') return undefined;
    try {
      return await temporal.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
        temporal.workflow.getHandle(t.workflowId).query(progressQuery),
      );
    } catch (err) {
      log.debug({ err, workflowId: t.workflowId }, 'progress query unanswered; showing the database row');
      return undefined;
    }
  }

  router.get('/transfers', async (req, res) => {
    const q = parse(listQuery, req.query, 'query');
    const where: Prisma.TransferWhereInput = {
      ...(q.serverId ? { serverId: q.serverId.toLowerCase() } : {}),
      ...(q.status ? { status: q.status } : {}),
    };
    if (q.cursor) {
      const after = decodeCursor(q.cursor);
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
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    res.json({
      transfers: page.map((t) => presentTransfer(t)),
      nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null,
    });
  });

  router.get('/transfers/:id', async (req, res) => {
    const transfer = await findTransfer(req.params.id);
    res.json(presentTransfer(transfer, await liveProgress(transfer)));
  });

  /** Only failed or cancelled transfers; the same workflow ID runs again (ALLOW_DUPLICATE_FAILED_ONLY). */
  router.post('/transfers/:id/retry', async (req, res) => {
    const t = await findTransfer(req.params.id);
    if (!RETRYABLE.includes(t.status)) {
      throw new ConflictError(
        `transfer ${t.id} is ${t.status}; only failed or cancelled transfers can be retried`,
      );
    }
    const claimed = await db.transfer.updateMany({
      where: { id: t.id, status: { in: RETRYABLE } },
      data: { status: 'discovered', error: null, finishedAt: null },
    });
    if (claimed.count === 0) throw new ConflictError(`transfer ${t.id} changed state meanwhile; look again`);
    let outcome;
    try {
      outcome = await startTransferWorkflow(
        temporal,
        { taskQueue: config.TEMPORAL_TASK_QUEUE, partBytes: config.transferPartBytes },
        t,
      );
    } catch (err) {
      await restore(t);
      throw new ServiceUnavailableError(`could not start the transfer workflow: ${(err as Error).message}`);
    }
    if (outcome === 'already-started') {
      await restore(t);
      throw new ConflictError(
        `workflow ${t.workflowId} is still open or has completed, so it cannot run again; look again shortly`,
      );
    }
    log.info({ transferId: t.id, workflowId: t.workflowId }, 'transfer retried');
    res.status(202).json({ id: t.id, workflowId: t.workflowId, status: 'discovered' });
  });

  /** Cancels the workflow, which aborts its multipart upload and marks the row cancelled. */
  router.delete('/transfers/:id', async (req, res) => {
    const t = await findTransfer(req.params.id);
    if (FINISHED.includes(t.status)) throw new ConflictError(`transfer ${t.id} is already ${t.status}`);
    try {
      await temporal.workflow.getHandle(t.workflowId).cancel();
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) {
        throw new ServiceUnavailableError(
          `could not cancel the transfer workflow: ${(err as Error).message}`,
        );
      }
      // No open workflow to tell: it never started (or was terminated), so the row is settled here.
      await db.transfer.updateMany({
        where: { id: t.id, status: { in: ['discovered', 'running'] } },
        data: { status: 'cancelled', error: 'cancelled through the API', finishedAt: new Date() },
      });
    }
    log.info({ transferId: t.id, workflowId: t.workflowId }, 'transfer cancellation requested');
    res.status(202).json({ id: t.id, workflowId: t.workflowId, status: 'cancelling' });
  });

  /** Puts a row back as it was when a retry could not start its workflow. */
  async function restore(t: Transfer): Promise<void> {
    await db.transfer.updateMany({
      where: { id: t.id, status: 'discovered' },
      data: { status: t.status, error: t.error, finishedAt: t.finishedAt },
    });
  }

  return router;
}
