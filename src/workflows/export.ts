import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  ParentClosePolicy,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  Failure,
  NON_RETRYABLE_TYPES,
  exportProgressQuery,
  exportProgressSignal,
  nonRetryable,
  progressQuery,
  ferrySearchAttributes,
  workflowIds,
  type ExportInput,
  type ExportOutcome,
  type ExportPhase,
  type ExportProgress,
  type ExportStagingCleanupInput,
} from './contract';

/**
 * Storage, the validator or the SFTP server away for a while (5xx, refused
 * connections, a restarted sshd) is retried for about an hour; failures no
 * retry can fix (the catalogue) end the export at once.
 */
const retry: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '2 minutes',
  maximumAttempts: 40,
  nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
};

/**
 * The streaming steps (build, validate, deliver): heartbeats detect a dead
 * worker within seconds and carry cancellation; the workflow waits for a
 * cancelled step to stop before it cleans up what that step left.
 */
const streaming = proxyActivities<Activities>({
  startToCloseTimeout: '12 hours',
  heartbeatTimeout: '10 seconds',
  retry,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/** Short database and storage steps. */
const steps = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry,
});

/** Closing the row and removing what was staged: retried until it succeeds (nothing else would). */
const bookkeeping = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/** The webhook: five tries, then logged; it never changes the export's outcome. */
const webhook = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { ...retry, maximumAttempts: 5 },
});

function failureOf(err: unknown): { message: string; type: string | null } {
  const failure = err instanceof ActivityFailure && err.cause ? err.cause : err;
  const type = failure instanceof ApplicationFailure ? (failure.type ?? null) : null;
  return { message: failure instanceof Error ? failure.message : String(failure), type };
}

async function notify(exportId: string): Promise<void> {
  try {
    await webhook.notifyExport(exportId);
  } catch (err) {
    // The export's outcome stands whether or not its receiver answered.
    log.warn('export webhook failed', { exportId, error: failureOf(err).message });
  }
}

/**
 * One per export (ID `workflowIds.export(exportId)`): records the export's
 * row, resolves its sources once, builds the zip into a staged object,
 * has the validator judge it, delivers it to SFTP under a temporary name
 * renamed at the end, removes the staged zip and calls the webhook. See
 * docs/exports.md for crash, retry and cancellation behaviour.
 */
export async function exportArchive(input: ExportInput): Promise<ExportOutcome> {
  const { exportId } = input;
  let progress: ExportProgress = {
    phase: 'queued',
    entriesDone: 0,
    entriesTotal: null,
    bytesDone: 0,
    bytesTotal: null,
  };
  const enter = (phase: ExportPhase, bytesTotal: number | null = progress.bytesTotal) =>
    (progress = { ...progress, phase, bytesDone: 0, bytesTotal });
  setHandler(exportProgressQuery, () => progress);
  setHandler(progressQuery, () => ({
    done: progress.bytesDone,
    total: progress.bytesTotal,
    phase: progress.phase,
  }));
  setHandler(exportProgressSignal, (update) => {
    // Only the running phase's figures: a late signal from a finished step must not rewind them.
    if (update.phase === undefined || update.phase === progress.phase) progress = { ...progress, ...update };
  });

  try {
    await steps.beginExport(input);
    enter('resolving');
    const resolved = await steps.resolveExportSources(exportId);
    progress = { ...progress, entriesTotal: resolved.entries };
    enter('building', resolved.totalBytes);
    const archive = await streaming.buildExportArchive(exportId);
    if (input.validator) {
      enter('validating', archive.archiveSize);
      await streaming.validateExportArchive(exportId);
    }
    enter('delivering', archive.archiveSize);
    const delivered = await streaming.deliverExportArchive(exportId);
    // The archive is on the target under its final name: a cancel from here on cannot undo
    // that, so the clean-up, the status and the webhook run to the end and agree with it.
    await CancellationScope.nonCancellable(async () => {
      enter('cleaning', null);
      await bookkeeping.removeStagedArchive(exportId);
      await bookkeeping.finishExport({ exportId, status: 'completed' });
      progress = { ...progress, phase: 'completed' };
      await notify(exportId);
    });
    return {
      exportId,
      status: 'completed',
      remotePath: delivered.remotePath,
      archiveSize: archive.archiveSize,
      archiveSha256: archive.archiveSha256,
      entries: resolved.entries,
    };
  } catch (err) {
    // A step may end with its own error once cancelled; the workflow's cancellation decides.
    const cancelled = isCancellation(err) || CancellationScope.current().consideredCancelled;
    const { message, type } = cancelled ? { message: 'cancelled', type: null } : failureOf(err);
    progress = { ...progress, phase: cancelled ? 'cancelled' : 'failed' };
    await CancellationScope.nonCancellable(async () => {
      const later = await bookkeeping.closeFailedExport({
        exportId,
        status: cancelled ? 'cancelled' : 'failed',
        error: message,
        errorType: type,
      });
      if (later) await scheduleStagingCleanup(later);
      await removeTemporary(exportId);
      if (!cancelled) await notify(exportId);
    });
    if (cancelled) throw isCancellation(err) ? err : new CancelledFailure('export cancelled');
    throw nonRetryable(Failure.ExportFailed, message);
  }
}

/** A temporary file on the target is removed when the server answers within the retry policy; else logged. */
async function removeTemporary(exportId: string): Promise<void> {
  try {
    await steps.removeExportTemporary(exportId);
  } catch (err) {
    log.warn('temporary remote file not removed', { exportId, error: failureOf(err).message });
  }
}

/** Leaves the staged zip of a failed export to a workflow of its own that outlives this one. */
async function scheduleStagingCleanup(input: ExportStagingCleanupInput): Promise<void> {
  await startChild(exportStagingCleanup, {
    workflowId: workflowIds.exportStagingCleanup(input.exportId),
    args: [input],
    typedSearchAttributes: ferrySearchAttributes({ kind: 'export-cleanup', exportId: input.exportId }),
    parentClosePolicy: ParentClosePolicy.ABANDON,
  });
}

/** Removes a failed export's staged zip once the configured keep time is over. */
export async function exportStagingCleanup(input: ExportStagingCleanupInput): Promise<void> {
  await sleep(input.afterSeconds * 1000);
  await bookkeeping.deleteStagedArchive({ bucket: input.bucket, key: input.stagingKey });
}
