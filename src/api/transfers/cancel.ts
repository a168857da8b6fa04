import { WorkflowNotFoundError } from '@temporalio/client';
import type { Transfer } from '../../generated/prisma/client';
import { ConflictError, ServiceUnavailableError } from '../../lib/errors';
import type { ApiDeps } from '../deps';

const FINISHED: readonly Transfer['status'][] = ['completed', 'skipped', 'failed', 'cancelled'];

/**
 * Cancels a transfer (DELETE /v1/transfers/:id and DELETE /v1/jobs/:id): the
 * workflow aborts its multipart upload and marks the row cancelled. A row
 * with no open workflow is settled here.
 */
export async function cancelTransfer({ db, temporal, log }: ApiDeps, t: Transfer) {
  if (FINISHED.includes(t.status)) throw new ConflictError(`transfer ${t.id} is already ${t.status}`);
  try {
    await temporal.workflow.getHandle(t.workflowId).cancel();
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) {
      throw new ServiceUnavailableError(`could not cancel the transfer workflow: ${(err as Error).message}`);
    }
    // No open workflow to tell: it never started (or was terminated), so the row is settled here.
    await db.transfer.updateMany({
      where: { id: t.id, status: { in: ['discovered', 'running'] } },
      data: { status: 'cancelled', error: 'cancelled through the API', finishedAt: new Date() },
    });
  }
  log.info({ transferId: t.id, workflowId: t.workflowId }, 'transfer cancellation requested');
  return { id: t.id, workflowId: t.workflowId, status: 'cancelling' as const };
}
