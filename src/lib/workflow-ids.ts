import { createHash } from 'node:crypto';
import { workflowIds } from '../workflows/contract';

/**
 * A file version is (server, path, size, mtime). Its transfer workflow ID is a
 * hash of that identity, so any number of scans and workers that see the same
 * version start the same workflow, which Temporal runs once.
 */
export function transferWorkflowId(
  serverId: string,
  remotePath: string,
  size: bigint,
  mtimeMs: bigint,
): string {
  const identity = JSON.stringify([serverId, remotePath, size.toString(), mtimeMs.toString()]);
  const digest = createHash('sha256').update(identity).digest('hex').slice(0, 32);
  return workflowIds.transferPrefix(serverId) + digest;
}

/**
 * A batch's ID is a hash of the server and the sorted transfer workflow IDs
 * it offers to carry: a repeated scan that forms the same batch starts the
 * same workflow, which Temporal runs once. (Overlapping batches may still
 * form from different listings; the claim in the database keeps each row to one.)
 */
export function batchWorkflowId(serverId: string, transferWorkflowIds: readonly string[]): string {
  const identity = JSON.stringify([serverId, [...transferWorkflowIds].sort()]);
  const digest = createHash('sha256').update(identity).digest('hex').slice(0, 32);
  return workflowIds.transferBatchPrefix(serverId) + digest;
}
