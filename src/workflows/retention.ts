import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  NON_RETRYABLE_TYPES,
  PRUNED_KINDS,
  type PrunedCounts,
  type PruneInput,
  type PruneResult,
} from './contract';

const DAY_MS = 86_400_000;

/**
 * One kind's clean-up: as long as its rows take, in statements of at most
 * `batchRows` rows, heartbeating after each (a retry carries on from the
 * heartbeat's counts). Retried a few times; the next scheduled run tries again.
 */
const { pruneKind } = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: {
    initialInterval: '5 seconds',
    maximumInterval: '2 minutes',
    maximumAttempts: 5,
    nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
  },
});

/**
 * Run by the retention schedule (`workflowIds.retention`, docs/retention.md):
 * deletes the rows of finished work last updated before the cutoff, one kind
 * after the other (a batch's exports before the batch, children before their
 * parents), and returns how many rows of each table it deleted.
 */
export async function pruneRecords({ retentionDays, batchRows }: PruneInput): Promise<PruneResult> {
  // Workflow time: the same on replay.
  const cutoff = new Date(Date.now() - retentionDays * DAY_MS).toISOString();
  const deleted: PrunedCounts = {};
  for (const kind of PRUNED_KINDS) Object.assign(deleted, await pruneKind({ kind, cutoff, batchRows }));
  return { cutoff, deleted };
}
