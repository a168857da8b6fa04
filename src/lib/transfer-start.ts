import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { TransferInput } from '../workflows/contract';

export type TransferStartOutcome = 'started' | 'already-started';

/**
 * Largest file run as a local activity. Local activities send no heartbeats,
 * so they suit transfers that take a moment: one PutObject of at most this
 * much, held in memory meanwhile (src/worker.ts bounds how many run at once).
 * Larger files take the heartbeated, resumable activity, where the per-file
 * cost of an activity task is small next to the transfer itself.
 */
export const LOCAL_TRANSFER_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Starts the `transferFile` workflow of one Transfer row, the one way the scan
 * and the API's retry both use. The workflow ID is the row's (derived from the
 * file version), so however many scans, workers or retries race here, Temporal
 * runs one execution at a time; a completed transfer is never started again
 * (ALLOW_DUPLICATE_FAILED_ONLY), a failed, cancelled or terminated one may be.
 */
export async function startTransferWorkflow(
  client: Client,
  options: { taskQueue: string; partBytes: number },
  row: { id: string; workflowId: string; size: bigint },
): Promise<TransferStartOutcome> {
  const input: TransferInput = {
    transferId: row.id,
    local: row.size <= BigInt(Math.min(options.partBytes, LOCAL_TRANSFER_MAX_BYTES)),
  };
  try {
    await client.workflow.start('transferFile', {
      taskQueue: options.taskQueue,
      workflowId: row.workflowId,
      args: [input],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    });
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already-started';
    throw err;
  }
}
