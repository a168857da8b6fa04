import { createHash } from 'node:crypto';

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
  return transferWorkflowIdPrefix(serverId) + digest;
}

/** What the IDs of one server's transfer workflows start with. */
export function transferWorkflowIdPrefix(serverId: string): string {
  return `ferry-transfer-${serverId}-`;
}
