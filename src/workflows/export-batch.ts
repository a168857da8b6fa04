import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowCancellationType,
  condition,
  ContinueAsNew,
  continueAsNew,
  isCancellation,
  log,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  Failure,
  NON_RETRYABLE_TYPES,
  nonRetryable,
  progressQuery,
  ferrySearchAttributes,
  workflowIds,
  type BatchCounts,
  type BatchInput,
  type BatchOutcome,
  type ExportInput,
} from './contract';
import { exportArchive } from './export';

/** Exports read per page (a page also ends at a byte budget, activities/batches). */
const PAGE_SIZE = 100;

/**
 * About two minutes of retries: long enough for the API's transaction that
 * wrote the batch (and started this workflow) to commit, or to be seen never
 * to have (the API died before its commit, and nobody was told of a batch).
 */
const steps = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 10,
    nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
  },
});

/** Closing the batch row: retried until it succeeds (nothing else would close it). */
const bookkeeping = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

function messageOf(err: unknown): string {
  const failure = err instanceof ActivityFailure && err.cause ? err.cause : err;
  return failure instanceof Error ? failure.message : String(failure);
}

/**
 * One per batch (ID `workflowIds.exportBatch(batchId)`): runs the batch's exports
 * as `exportArchive` child workflows (each under its own export workflow ID),
 * at most `concurrency` at once, in request order: a sliding window that
 * starts the next export as soon as one ends. The exports are read from the
 * database a page at a time, and every `exportsPerRun` exports (or sooner if
 * Temporal suggests it) the run waits for its running children and continues
 * as new, so a batch of any size keeps a small history. Cancelling the batch
 * cancels its running exports, waits for them to clean up, and starts no more.
 */
export async function exportBatch(input: BatchInput): Promise<BatchOutcome> {
  const { batchId } = input;
  const counts: BatchCounts = input.counts ?? { started: 0, completed: 0, failed: 0, cancelled: 0 };
  let phase = 'starting';
  let total = input.total ?? null;
  let running = 0;
  setHandler(progressQuery, () => ({
    done: counts.completed + counts.failed + counts.cancelled,
    total,
    phase,
  }));

  /** Starts one export; its end frees its place in the window and is counted. */
  async function startExport(exportInput: ExportInput): Promise<void> {
    running++;
    counts.started++;
    try {
      const child = await startChild(exportArchive, {
        workflowId: workflowIds.export(exportInput.exportId),
        args: [exportInput],
        typedSearchAttributes: ferrySearchAttributes({
          kind: 'export',
          exportId: exportInput.exportId,
          serverId: exportInput.target.serverId,
          bucket: input.labelBuckets ? exportInput.sources.bucket : undefined,
        }),
        // A batch terminated by an operator still has its exports cancelled (and cleaned up).
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
      });
      void child
        .result()
        .then(
          () => void counts.completed++,
          (err: unknown) => void (isCancellation(err) ? counts.cancelled++ : counts.failed++),
        )
        .finally(() => running--);
    } catch (err) {
      running--;
      if (isCancellation(err)) throw err;
      counts.failed++;
      log.warn('export of a batch did not start', {
        batchId,
        exportId: exportInput.exportId,
        error: messageOf(err),
      });
    }
  }

  try {
    let concurrency = input.concurrency;
    if (concurrency === undefined || total === null) {
      ({ concurrency, total } = await begin(batchId));
    }
    const window = concurrency;
    let next = input.nextIndex ?? 0;
    let startedThisRun = 0;
    let more = true;
    const runFull = () => startedThisRun >= input.exportsPerRun || workflowInfo().continueAsNewSuggested;
    pages: while (!runFull()) {
      const { items } = await steps.batchExports({ batchId, fromIndex: next, limit: PAGE_SIZE });
      if (items.length === 0) {
        more = false;
        break;
      }
      for (const item of items) {
        await condition(() => running < window);
        if (runFull()) break pages;
        await startExport(item.input);
        next = item.index + 1;
        startedThisRun++;
      }
    }
    phase = more ? 'waiting for this run’s exports' : 'waiting for the last exports';
    // The running exports are this run's children: they end before it continues as new.
    await condition(() => running === 0);
    if (more) {
      return await continueAsNew<typeof exportBatch>({
        ...input,
        nextIndex: next,
        concurrency,
        total,
        counts,
      });
    }
    phase = 'finishing';
    const failed = counts.failed;
    const error = failed > 0 ? `${failed} of ${total} exports failed` : null;
    await bookkeeping.finishBatch({ batchId, status: failed > 0 ? 'failed' : 'completed', error });
    if (error) throw nonRetryable(Failure.BatchExportsFailed, error);
    return { batchId, total, ...counts };
  } catch (err) {
    // Continuing as new is thrown too; so is the batch's own verdict on its exports.
    if (err instanceof ContinueAsNew) throw err;
    if (err instanceof ApplicationFailure && err.type === Failure.BatchExportsFailed) throw err;
    const cancelled = isCancellation(err);
    phase = cancelled ? 'cancelling' : 'failing';
    await CancellationScope.nonCancellable(async () => {
      // Cancelled children clean up first (WAIT_CANCELLATION_COMPLETED); then the row closes.
      await condition(() => running === 0);
      await bookkeeping.finishBatch({
        batchId,
        status: cancelled ? 'cancelled' : 'failed',
        error: cancelled ? 'cancelled' : messageOf(err),
      });
    });
    throw err;
  }
}

async function begin(batchId: string): Promise<{ concurrency: number; total: number }> {
  try {
    return await steps.beginBatch(batchId);
  } catch (err) {
    if (isCancellation(err)) throw err;
    throw nonRetryable(Failure.BatchMissing, `batch ${batchId} was not recorded: ${messageOf(err)}`);
  }
}
