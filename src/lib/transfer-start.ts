import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { TransferInput } from '../shared';

export type TransferStartOutcome = 'started' | 'already-started';

/**
 * Starts the `transferFile` workflow of one Transfer row, the one way the scan
 * and the API's retry both use. The workflow ID is the row's (derived from the
 * file version), so however many scans, workers or retries race here, Temporal
 * runs one execution at a time; a completed transfer is never started again
 * (ALLOW_DUPLICATE_FAILED_ONLY), a failed, cancelled or terminated one may be.
 */
export async function startTransferWorkflow(
  client: Client,
  taskQueue: string,
  row: { id: string; workflowId: string },
): Promise<TransferStartOutcome> {
  const input: TransferInput = { transferId: row.id };
  try {
    await client.workflow.start('transferFile', {
      taskQueue,
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
