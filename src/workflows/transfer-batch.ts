import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  NON_RETRYABLE_TYPES,
  progressQuery,
  type Progress,
  type TransferBatchInput,
  type TransferBatchTotals,
} from './contract';

const { transferBatchFiles } = proxyActivities<Activities>({
  // A batch is many small files; an attempt cut off by this resumes with the files not yet done.
  startToCloseTimeout: '2 hours',
  // A worker killed mid-batch: its files are picked up by the next attempt after this long.
  heartbeatTimeout: '20 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  // Network errors and SFTP disconnects, as for a single transfer: each attempt resumes.
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    maximumAttempts: 20,
    nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
  },
});

const { settleBatch } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 20 },
});

/**
 * The batch lane (docs/ingest-batch-lane.md): up to TRANSFER_BATCH_FILES small
 * file versions of one server, started by the scan as
 * `ferry-batch-<serverId>-<hash of their transfer workflow IDs>`. One
 * activity claims and carries them all, so the history holds a handful of
 * events whatever the batch's size; each file's row records its own status,
 * SHA-256 and error, and a file that fails fails its row, not the batch.
 *
 * Should the activity give up (its retries spent, or the batch cancelled),
 * the rows it had not finished are marked failed or cancelled; each can be
 * retried on its own (`POST /v1/transfers/:id/retry` runs its transferFile).
 */
export async function transferBatch(input: TransferBatchInput): Promise<TransferBatchTotals> {
  const progress: Progress = { done: 0, total: input.transferIds.length, phase: 'transferring' };
  setHandler(progressQuery, () => progress);
  try {
    const totals = await transferBatchFiles(input);
    progress.done = totals.claimed;
    progress.total = totals.claimed;
    progress.phase = 'done';
    return totals;
  } catch (err) {
    const cancelled = isCancellation(err);
    progress.phase = cancelled ? 'cancelled' : 'failed';
    await CancellationScope.nonCancellable(() =>
      settleBatch({
        status: cancelled ? 'cancelled' : 'failed',
        error: cancelled ? 'cancelled by request' : `the batch gave up: ${messageOf(err)}`,
      }),
    );
    throw err;
  }
}

/** The activity's own message rather than "activity task failed". */
function messageOf(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure || cause instanceof Error) return cause.message;
  return String(cause);
}
