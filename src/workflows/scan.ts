import {
  continueAsNew,
  executeChild,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import {
  NON_RETRYABLE_TYPES,
  progressQuery,
  FerryBucket,
  ferrySearchAttributes,
  workflowIds,
  type Progress,
  type ScanInput,
  type ScanTotals,
} from './contract';

export interface ScanResult extends ScanTotals {
  serverId: string;
  /** `skipped`: a scheduled run found a scan of this server already running and left it alone. */
  outcome: 'scanned' | 'skipped';
}

/** Rows whose transfer workflows one activity starts. */
const START_PAGE_SIZE = 200;
/**
 * Pages per run before continue-as-new. Each page costs about six history
 * events, so a run stays near a hundred events whatever the directory holds
 * (Temporal's limit is 51,200), and the cursor carries on in the next run.
 */
const PAGES_PER_RUN = 10;

const { listServerFiles } = proxyActivities<Activities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '2 minutes',
  retry: {
    initialInterval: '2 seconds',
    maximumInterval: '1 minute',
    maximumAttempts: 5,
    nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
  },
});

const { startTransfers } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    maximumInterval: '1 minute',
    maximumAttempts: 10,
    nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
  },
});

const { sweepAbandonedTransfers } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: {
    initialInterval: '2 seconds',
    maximumInterval: '1 minute',
    maximumAttempts: 5,
    nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
  },
});

const emptyTotals = (): ScanTotals => ({
  listed: 0,
  young: 0,
  rejected: 0,
  newVersions: 0,
  pending: 0,
  started: 0,
  alreadyStarted: 0,
  abandoned: 0,
});

/**
 * One scan of one server (docs/ingest.md): list and record new stable file
 * versions (one activity, which returns counts only), settle transfers whose
 * workflow ended without recording it (activities/scan/sweep.ts), then start their
 * transfer workflows a page at a time, continuing as new every few pages so
 * the history stays small for any directory size.
 *
 * One scan per server at a time: the scan runs as `ferry-scan-<serverId>`.
 * The schedule's runs get IDs with a timestamp appended by Temporal; such a
 * run starts the canonical scan as its child and waits for it, or, when one is
 * already running (started by the API or an earlier run), ends as `skipped`.
 */
export async function scanServer(input: ScanInput): Promise<ScanResult> {
  const { serverId } = input;
  if (workflowInfo().workflowId !== workflowIds.scan(serverId)) return await runCanonicalScan(serverId);

  const totals = input.totals ?? emptyTotals();
  let phase = input.cursor === undefined ? 'listing' : 'starting transfers';
  setHandler(progressQuery, (): Progress => ({
    done: totals.started + totals.alreadyStarted,
    total: phase === 'listing' ? null : totals.pending,
    phase,
  }));

  // A cursor means an earlier run already listed; this run only carries on starting transfers.
  if (input.cursor === undefined) {
    const listing = await listServerFiles({ serverId });
    totals.listed += listing.listed;
    totals.young += listing.young;
    totals.rejected += listing.rejected;
    totals.newVersions += listing.newVersions;
    totals.pending = listing.pending;
    // patched: scans that were running when this step was added replay without it.
    if (patched('sweep-abandoned-transfers')) {
      totals.abandoned = (await sweepAbandonedTransfers({ serverId })).abandoned;
    }
    phase = 'starting transfers';
  }

  let cursor = input.cursor ?? null;
  for (let page = 0; ; page++) {
    if (cursor !== null && (page >= PAGES_PER_RUN || workflowInfo().continueAsNewSuggested)) {
      return await continueAsNew<typeof scanServer>({ serverId, cursor, totals });
    }
    const result = await startTransfers({ serverId, cursor, limit: START_PAGE_SIZE });
    totals.started += result.started;
    totals.alreadyStarted += result.alreadyStarted;
    if (result.batches) totals.batches = (totals.batches ?? 0) + result.batches;
    cursor = result.nextCursor;
    if (cursor === null) break;
  }
  phase = 'done';
  return { serverId, outcome: 'scanned', ...totals };
}

async function runCanonicalScan(serverId: string): Promise<ScanResult> {
  try {
    return await executeChild(scanServer, {
      workflowId: workflowIds.scan(serverId),
      args: [{ serverId }],
      // The scheduled run's FerryBucket, if it has one (the payload codec decides where the schedule is written).
      typedSearchAttributes: ferrySearchAttributes({
        kind: 'scan',
        serverId,
        bucket: workflowInfo().typedSearchAttributes.get(FerryBucket),
      }),
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError)
      return { serverId, outcome: 'skipped', ...emptyTotals() };
    throw err;
  }
}
