import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { ferrySearchAttributes, type TransferBatchInput, type TransferInput } from '../workflows/contract';
import { batchWorkflowId } from './workflow-ids';

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
 * A small file: one part, held whole in memory while it travels. Such files
 * run as local activities on the per-file lane, and ride in batches on the
 * batch lane; larger ones always get their own heartbeated, resumable
 * transfer, whose cost per file is small next to the file itself.
 */
export function isSmallFile(size: bigint, partBytes: number): boolean {
  return size <= BigInt(Math.min(partBytes, LOCAL_TRANSFER_MAX_BYTES));
}

/** Where transfers run; labelBucket: the workflows may carry FerryBucket (payload codec off, searchBucket). */
export interface TransferStartOptions {
  taskQueue: string;
  partBytes: number;
  labelBucket: boolean;
}

/**
 * Starts the `transferFile` workflow of one Transfer row, the one way the scan
 * and the API's retry both use. The workflow ID is the row's (derived from the
 * file version), so however many scans, workers or retries race here, Temporal
 * runs one execution at a time; a completed transfer is never started again
 * (ALLOW_DUPLICATE_FAILED_ONLY), a failed, cancelled or terminated one may be.
 */
export async function startTransferWorkflow(
  client: Client,
  options: TransferStartOptions,
  row: { id: string; workflowId: string; size: bigint; serverId: string; bucket: string },
): Promise<TransferStartOutcome> {
  const input: TransferInput = {
    transferId: row.id,
    local: isSmallFile(row.size, options.partBytes),
  };
  try {
    await client.workflow.start('transferFile', {
      taskQueue: options.taskQueue,
      workflowId: row.workflowId,
      args: [input],
      typedSearchAttributes: ferrySearchAttributes({
        kind: 'transfer',
        serverId: row.serverId,
        bucket: options.labelBucket ? row.bucket : undefined,
      }),
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    });
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already-started';
    throw err;
  }
}

/**
 * Starts the `transferBatch` workflow that offers to carry these rows (the
 * batch lane). Its ID is derived from the server and the rows' workflow IDs,
 * so a scan that forms the same batch again starts nothing. A batch that
 * failed, was cancelled or terminated before it claimed its rows may run
 * again (its rows are then still waiting); a completed one never does.
 */
export async function startBatchWorkflow(
  client: Client,
  options: Omit<TransferStartOptions, 'partBytes'>,
  serverId: string,
  rows: readonly { id: string; workflowId: string; bucket: string }[],
): Promise<TransferStartOutcome> {
  const input: TransferBatchInput = { serverId, transferIds: rows.map((r) => r.id) };
  try {
    await client.workflow.start('transferBatch', {
      taskQueue: options.taskQueue,
      workflowId: batchWorkflowId(
        serverId,
        rows.map((r) => r.workflowId),
      ),
      args: [input],
      typedSearchAttributes: ferrySearchAttributes({
        kind: 'transfer-batch',
        serverId,
        bucket: options.labelBucket ? rows[0]?.bucket : undefined,
      }),
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    });
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already-started';
    throw err;
  }
}
