import {
  ActivityCancellationType,
  ActivityFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AssemblyPlan, AssemblyStats, PartsResult, UploadOutcome } from '../activities/uploads/types';
import {
  Failure,
  NON_RETRYABLE_TYPES,
  nonRetryable,
  progressQuery,
  uploadCompleteSignal,
  type Progress,
  type UploadInput,
} from './contract';

/**
 * Storage or the database away for a while (up to about an hour: 20 tries,
 * backing off to 5 minutes) must not fail an upload whose chunks the client
 * has already sent; failures no retry can fix are non-retryable and end it
 * at once.
 */
const retry: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '5 minutes',
  maximumAttempts: 20,
  nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
};

/**
 * Closing the row (expired, failed, cancelled) and removing the staged
 * chunks: retried until it succeeds, since nothing else would ever close
 * the row or remove the chunks. Short, so a worker dying in one costs at
 * most two minutes.
 */
const bookkeeping = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  // No maximumAttempts: unlimited.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/** The webhook: five tries, then logged; it never changes the upload's outcome. */
const webhook = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { ...retry, maximumAttempts: 5 },
});

/**
 * Steps on object storage that may take long (a 10,000-part completion, a
 * 5 GiB part copy): heartbeats detect a dead worker within seconds and carry
 * cancellation. The workflow waits for a cancelled step to stop before
 * cleaning up, so a multipart upload being opened or an object being
 * completed is never missed (prepare and finish ignore cancellation and run
 * to their end).
 */
const assembly = proxyActivities<Activities>({
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '5 seconds',
  retry,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/** Part batches run at once; each is a sequence of S3 calls. */
const PARALLEL_BATCHES = 4;

function reasonOf(err: unknown): string {
  const failure = err instanceof ActivityFailure && err.cause ? err.cause : err;
  return failure instanceof Error ? failure.message : String(failure);
}

function addParts(a: PartsResult, b: PartsResult): PartsResult {
  return {
    copiedParts: a.copiedParts + b.copiedParts,
    coalescedParts: a.coalescedParts + b.coalescedParts,
    reusedParts: a.reusedParts + b.reusedParts,
    bytesCopied: a.bytesCopied + b.bytesCopied,
    bytesCoalesced: a.bytesCoalesced + b.bytesCoalesced,
  };
}

/** Runs the plan's batches, a few at a time; stops starting new ones after a failure and reports the first. */
async function fillParts(uploadId: string, plan: AssemblyPlan, onBatch: (bytes: number) => void) {
  let sum: PartsResult = {
    copiedParts: 0,
    coalescedParts: 0,
    reusedParts: 0,
    bytesCopied: 0,
    bytesCoalesced: 0,
  };
  const multipartUploadId = plan.multipartUploadId;
  if (!multipartUploadId) return sum;
  let next = 0;
  let failure: Error | undefined;
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < plan.batches.length) {
      const batch = plan.batches[next++];
      if (!batch) return;
      try {
        const r = await assembly.assembleUploadParts({ uploadId, multipartUploadId, ...batch });
        sum = addParts(sum, r);
        onBatch(batch.bytes);
      } catch (err) {
        failure ??= err instanceof Error ? err : new Error(String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_BATCHES, plan.batches.length) }, lane));
  if (failure !== undefined) throw failure;
  return sum;
}

async function notify(uploadId: string): Promise<void> {
  try {
    await webhook.notifyUpload(uploadId);
  } catch (err) {
    // The upload's outcome stands whether or not its receiver answered.
    log.warn('upload webhook failed', { uploadId, error: reasonOf(err) });
  }
}

/**
 * One per upload, started when the upload is created (ID `workflowIds.upload`).
 * Waits for the `uploadComplete` signal or the TTL; then validates the
 * manifest, fills a multipart upload (UploadPartCopy for big chunks, coalesced
 * parts for small ones) while verifying the whole-file SHA-256, completes the
 * object, removes the staged chunks and calls the webhook. Cancelling the
 * workflow (DELETE /v1/uploads/:id) aborts and removes everything but the row.
 */
export async function uploadLifecycle({ uploadId, ttlSeconds }: UploadInput): Promise<UploadOutcome> {
  let completeRequested = false;
  let progress: Progress = { done: 0, total: null, phase: 'receiving' };
  setHandler(uploadCompleteSignal, () => {
    completeRequested = true;
  });
  setHandler(progressQuery, () => progress);

  try {
    const signalled = await condition(() => completeRequested, ttlSeconds * 1000);
    // The row decides a race between `complete` and the timer.
    if (!signalled && (await bookkeeping.expireUpload(uploadId))) {
      progress = { ...progress, phase: 'expired' };
      return { uploadId, status: 'expired' };
    }
    progress = { done: 0, total: null, phase: 'preparing' };
    const plan = await assembly.prepareUploadAssembly(uploadId);
    progress = { done: 0, total: plan.size, phase: plan.verify ? 'assembling and verifying' : 'assembling' };

    const [parts, verified] = await Promise.allSettled([
      fillParts(uploadId, plan, (bytes) => (progress = { ...progress, done: progress.done + bytes })),
      plan.verify ? assembly.verifyUploadChecksum(uploadId) : Promise.resolve({ bytesVerified: 0 }),
    ]);
    // A checksum mismatch explains a failure better than anything the parts may report.
    if (verified.status === 'rejected') throw verified.reason;
    if (parts.status === 'rejected') throw parts.reason;

    const { bytesVerified } = verified.value;
    const stats: AssemblyStats = {
      ...parts.value,
      parts: plan.parts,
      bytesVerified,
      bytesThroughWorker: parts.value.bytesCoalesced + bytesVerified,
    };
    progress = { done: plan.size, total: plan.size, phase: 'finishing' };
    const outcome = await assembly.finishUploadAssembly({
      uploadId,
      multipartUploadId: plan.multipartUploadId,
      size: plan.size,
      stats,
    });
    progress = { ...progress, phase: 'completed' };
    await CancellationScope.nonCancellable(() => notify(uploadId));
    return outcome;
  } catch (err) {
    const cancelled = isCancellation(err);
    const reason = cancelled ? 'cancelled' : reasonOf(err);
    progress = { ...progress, phase: cancelled ? 'cancelled' : 'failed' };
    await CancellationScope.nonCancellable(async () => {
      await bookkeeping.abandonUpload({ uploadId, status: cancelled ? 'cancelled' : 'failed', reason });
      if (!cancelled) await notify(uploadId);
    });
    if (cancelled) throw err;
    throw nonRetryable(Failure.UploadFailed, reason);
  }
}
