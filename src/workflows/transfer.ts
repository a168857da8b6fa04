import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  type RetryPolicy,
  setHandler,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  Failure,
  NON_RETRYABLE_TYPES,
  nonRetryable,
  progressQuery,
  transferProgressSignal,
  type Progress,
  type TransferInput,
} from './contract';

// Network errors and SFTP disconnects: about an hour of retries with backoff, each resuming.
const TRANSFER_RETRY: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '5 minutes',
  maximumAttempts: 20,
  nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
};

const { transferToS3 } = proxyActivities<Activities>({
  // Long files are fine: a stalled attempt is caught by the heartbeat timeout,
  // and an attempt cut off by this timeout resumes from its checkpoint.
  startToCloseTimeout: '12 hours',
  heartbeatTimeout: '30 seconds',
  // Wait for the activity to abort its multipart upload before marking the row.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: TRANSFER_RETRY,
});

// Files of one PutObject (input.local): the same activity, run inside the
// workflow's worker. No heartbeat, so a hung attempt is cut off by the timeout.
const { transferToS3: transferLocally } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: TRANSFER_RETRY,
});

const { applyAfterTransfer } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: {
    initialInterval: '2 seconds',
    maximumInterval: '1 minute',
    maximumAttempts: 10,
    nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
  },
});

// A webhook that keeps failing is given up after five tries (~30 s) and logged;
// it never changes the outcome of a transfer that is already in storage.
const { notifyTransfer } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

const { markTransfer } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 20 },
});

export interface TransferFileResult {
  transferId: string;
  status: 'completed' | 'skipped';
  sha256: string;
  size: number;
}

/**
 * One file version, SFTP → S3 (docs/ingest.md), started by the scan as
 * `ferry-transfer-<serverId>-<hash of path, size, mtime>`. Owns the Transfer
 * row: running → completed | skipped | failed | cancelled. The source is
 * deleted or moved only after transferToS3 has stored and verified the object.
 *
 * `progress` query: bytes done and total. The transfer activity signals them
 * (throttled) as parts complete, so the query answers from workflow state; the
 * Transfer row's bytesDone is updated with every part as well.
 */
export async function transferFile({ transferId, local }: TransferInput): Promise<TransferFileResult> {
  const progress: Progress = { done: 0, total: null, phase: 'transferring' };
  setHandler(progressQuery, () => progress);
  setHandler(transferProgressSignal, ({ done, total }) => {
    progress.done = Math.max(progress.done, done);
    progress.total = total;
  });

  let outcome;
  try {
    outcome = await (local ? transferLocally : transferToS3)({ transferId });
  } catch (err) {
    return await endUnfinished(transferId, progress, err);
  }
  progress.done = outcome.size;
  progress.total = outcome.size;
  const stored = outcome;
  // The object is stored and verified. A cancel arriving from here on (even
  // one the activity finished before noticing) cannot undo that: the source
  // action, the status and the webhook run to the end, so the row and the
  // source always agree with what storage holds.
  return await CancellationScope.nonCancellable(async () => {
    if (stored.afterTransfer !== 'keep') {
      progress.phase = 'after-transfer';
      try {
        await afterTransfer(transferId);
      } catch (err) {
        return await endUnfinished(transferId, progress, err);
      }
    }
    progress.phase = stored.status;
    if (!stored.recorded) await markTransfer({ transferId, status: stored.status });
    if (stored.notify) await notify(transferId, 'transfer.completed');
    return { transferId, status: stored.status, sha256: stored.sha256, size: stored.size };
  });
}

/** Records a transfer that ended without success (cancelled or failed), then rethrows. */
async function endUnfinished(transferId: string, progress: Progress, err: unknown): Promise<never> {
  if (isCancellation(err)) {
    progress.phase = 'cancelled';
    await CancellationScope.nonCancellable(() =>
      recordUnfinished(transferId, 'cancelled', 'cancelled by request'),
    );
    throw err;
  }
  progress.phase = 'failed';
  const failure = asFailure(err);
  await recordUnfinished(transferId, 'failed', failure.message);
  await notify(transferId, 'transfer.failed');
  throw failure;
}

/**
 * markTransfer for a transfer that did not succeed. Should that fail too
 * (the database away for all its retries), the workflow still ends with the
 * transfer's own failure, not with the bookkeeping's, and the webhook is
 * still called; the row, left `running`, is settled by the next scan.
 */
async function recordUnfinished(transferId: string, status: 'failed' | 'cancelled', error: string) {
  // patched: transfers that were running when this was added replay the old way.
  if (!patched('record-unfinished-keeps-the-failure'))
    return await markTransfer({ transferId, status, error });
  try {
    await markTransfer({ transferId, status, error });
  } catch (markErr) {
    log.error('could not record how the transfer ended; the next scan settles its row', {
      transferId,
      status,
      error: asFailure(markErr).message,
    });
  }
}

async function afterTransfer(transferId: string): Promise<void> {
  try {
    await applyAfterTransfer({ transferId });
  } catch (err) {
    if (isCancellation(err)) throw err;
    const failure = asFailure(err);
    throw ApplicationFailure.create({
      message: `object stored and verified, but the after-transfer action failed: ${failure.message}`,
      type: failure.type ?? Failure.AfterTransferFailed,
      nonRetryable: true,
      cause: failure,
    });
  }
}

async function notify(transferId: string, event: 'transfer.completed' | 'transfer.failed'): Promise<void> {
  try {
    await notifyTransfer({ transferId, event });
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn('webhook failed; the transfer outcome stands', {
      transferId,
      event,
      error: asFailure(err).message,
    });
  }
}

/** The failure that explains `err` (an activity's own error rather than "activity task failed"). */
function asFailure(err: unknown): ApplicationFailure {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  return nonRetryable(Failure.TransferFailed, message);
}
