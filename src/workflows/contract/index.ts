/**
 * Ferry's workflow contract: workflow types, deterministic IDs, inputs,
 * queries, signals and the failure catalogue. Worker, API, CLI and tests
 * import it; workflow code does too, so it stays deterministic (no Node APIs).
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

export {
  Failure,
  isFailureType,
  nonRetryable,
  NON_RETRYABLE_TYPES,
  retryable,
  RetryableFailure,
  type FailureType,
  type RetryableFailureType,
} from '../failures';
export * from './events';
export * from './exports';
export * from './retention';
export * from './search-attributes';

/** Registered workflow type names (the functions exported by src/workflows/index.ts). */
export const WorkflowType = {
  healthCheck: 'healthCheck',
  scanServer: 'scanServer',
  transferFile: 'transferFile',
  transferBatch: 'transferBatch',
  uploadLifecycle: 'uploadLifecycle',
  handleEvent: 'handleEvent',
  forwardEvent: 'forwardEvent',
  sweepEvents: 'sweepEvents',
  exportArchive: 'exportArchive',
  exportStagingCleanup: 'exportStagingCleanup',
  exportBatch: 'exportBatch',
  pruneRecords: 'pruneRecords',
} as const;

export const workflowIds = {
  /** One scan per server at a time. */
  scan: (serverId: string): string => `ferry-scan-${serverId}`,
  /** Schedule that starts the scans of a server. */
  scanSchedule: (serverId: string): string => `ferry-scan-schedule-${serverId}`,
  /** One assembly per upload, ever. */
  upload: (uploadId: string): string => `ferry-upload-${uploadId}`,
  /**
   * What the IDs of one server's transfer workflows start with; the rest is a
   * hash of the file version (src/lib/workflow-ids.ts, which needs Node's crypto).
   */
  transferPrefix: (serverId: string): string => `ferry-transfer-${serverId}-`,
  /**
   * One `handleEvent` per event identity, ever; `identityHash` is a hash of
   * the event's identity (src/lib/event-identity.ts, which needs Node's crypto).
   */
  event: (identityHash: string): string => `ferry-event-${identityHash}`,
  /** The child job one matched route's action runs for an event (export, webhook). */
  eventAction: (eventWorkflowId: string, routeId: string): string => `${eventWorkflowId}-route-${routeId}`,
  /** Schedule that starts the workflows of stored events no API started (one per task queue). */
  eventSweep: (taskQueue: string): string => `ferry-event-sweep-${taskQueue}`,
  /** Schedule (and its runs) that removes the rows of finished work older than RETENTION_DAYS (one per task queue). */
  retention: (taskQueue: string): string => `ferry-retention-${taskQueue}`,
  /** One export workflow per export, ever; the export ID comes from the request (or its idempotency key). */
  export: (exportId: string): string => `ferry-export-${exportId}`,
  /** Removes a failed export's staged zip once its keep time is over. */
  exportStagingCleanup: (exportId: string): string => `ferry-export-cleanup-${exportId}`,
  /** One batch workflow per batch of exports, ever. */
  exportBatch: (batchId: string): string => `ferry-export-batch-${batchId}`,
  /** What the IDs of one server's batch workflows start with; the rest is a hash of the versions it holds. */
  transferBatchPrefix: (serverId: string): string => `ferry-batch-${serverId}-`,
};

// ---------------------------------------------------------------- progress

export interface Progress {
  /** Bytes (or units) done so far. */
  done: number;
  /** Total, when known. */
  total: number | null;
  /** Free-form phase name, e.g. "reading", "verifying". */
  phase: string;
}

/** Every long-running Ferry workflow answers this query. */
export const progressQuery = defineQuery<Progress>('progress');

// ---------------------------------------------------------------- transfers

/** Input of the `transferFile` workflow: the Transfer row holds everything else (no secrets in history). */
export interface TransferInput {
  transferId: string;
  /**
   * The file is small enough for one PutObject (see lib/transfer-start.ts):
   * the workflow runs its transfer as a local activity, in the worker that
   * runs the workflow, with no activity task passing through the server. That
   * halves what Temporal records per file, which dominates for small files.
   */
  local?: boolean;
}

/**
 * Sent by the running transfer activity (after parts, throttled) so the
 * transfer workflow's `progress` query can answer bytes done without I/O.
 */
export const transferProgressSignal = defineSignal<[{ done: number; total: number }]>('transferProgress');

/**
 * Input of the `transferBatch` workflow (the batch lane for small files): the
 * rows it offers to carry. Its first activity claims those still waiting
 * (discovered, unclaimed) in one conditional update; rows another batch or
 * their own transferFile got first are left to them.
 */
export interface TransferBatchInput {
  serverId: string;
  transferIds: string[];
}

/** What a batch did, per file version it carried. */
export interface TransferBatchTotals {
  /** Rows this batch claimed (the others of its input were carried by someone else). */
  claimed: number;
  completed: number;
  skipped: number;
  failed: number;
}

// ---------------------------------------------------------------- scans

/** Input of the `scanServer` workflow; `cursor` pages the start of transfers across continue-as-new. */
export interface ScanInput {
  serverId: string;
  cursor?: string;
  /** What earlier runs of this scan counted, carried across continue-as-new. */
  totals?: ScanTotals;
}

/** What one scan did, summed over its runs; its progress is (started + alreadyStarted) of pending. */
export interface ScanTotals {
  /** Regular files listed. */
  listed: number;
  /** Files the globs selected but younger than minAgeSeconds (left for a later scan). */
  young: number;
  /** Files whose names cannot be object keys (logged by the worker). */
  rejected: number;
  /** File versions recorded for the first time. */
  newVersions: number;
  /** Rows waiting for their transfer workflow once listed (this scan's and earlier ones). */
  pending: number;
  /** Transfer workflows this scan started, plus the files offered to the batches it started. */
  started: number;
  /** `transferBatch` workflows this scan started (servers with `smallFiles: "batch"`). */
  batches?: number;
  /** Transfer workflows already running or done (another scan or a retry got there first). */
  alreadyStarted: number;
  /** Transfers left `running` by a workflow that no longer runs, now failed and their uploads aborted. */
  abandoned: number;
}

// ---------------------------------------------------------------- uploads

/** Input of the `uploadLifecycle` workflow, started when the upload is created. */
export interface UploadInput {
  uploadId: string;
  /** The upload expires (staged chunks removed) unless completed within this many seconds. */
  ttlSeconds: number;
}

/** Sent by `POST /v1/uploads/:id/complete` once the manifest is whole: assemble now. */
export const uploadCompleteSignal = defineSignal('uploadComplete');
