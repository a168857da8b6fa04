/**
 * Ferry's workflow contract: workflow types, deterministic IDs, inputs,
 * queries, signals and the failure catalogue. Worker, API, CLI and tests
 * import it; workflow code does too, so it stays deterministic (no Node APIs).
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

export { Failure, isFailureType, nonRetryable, NON_RETRYABLE_TYPES, type FailureType } from './failures';

/** Registered workflow type names (the functions exported by src/workflows/index.ts). */
export const WorkflowType = {
  healthCheck: 'healthCheck',
  scanServer: 'scanServer',
  transferFile: 'transferFile',
  transferBatch: 'transferBatch',
  uploadLifecycle: 'uploadLifecycle',
  handleEvent: 'handleEvent',
  forwardEvent: 'forwardEvent',
  exportArchive: 'exportArchive',
  exportStagingCleanup: 'exportStagingCleanup',
  exportBatch: 'exportBatch',
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

// ---------------------------------------------------------------- events

/** Input of the `handleEvent` workflow: the Event row holds everything else. */
export interface EventInput {
  eventId: string;
}

/** Input of the `forwardEvent` child workflow (a route's webhook action). */
export interface ForwardEventInput {
  eventId: string;
  routeId: string;
}

/** What `handleEvent` did: the event's final status and one outcome per matched route. */
export interface EventResult {
  eventId: string;
  status: 'completed' | 'failed' | 'unmatched';
  actions: { routeId: string; status: 'completed' | 'failed'; workflowId: string | null }[];
}

// ---------------------------------------------------------------- exports

/** Where the objects of an export come from: a list of keys, or a prefix filtered by globs. */
export type ExportSources =
  | { bucket: string; keys: string[] }
  | { bucket: string; prefix: string; include?: string[]; exclude?: string[] };

/**
 * How an object's key becomes its path inside the archive:
 * - `keep`: the key as is;
 * - `strip`: the key without `prefix` (keys not under it keep their whole key);
 * - `flatten`: the key's last segment only;
 * - `template`: `template` with `{key}`, `{dir}`, `{name}`, `{base}`, `{ext}` replaced.
 */
export type ExportLayout =
  | { mode: 'keep' }
  | { mode: 'strip'; prefix: string }
  | { mode: 'flatten' }
  | { mode: 'template'; template: string };

export type ExportCompression = 'store' | 'deflate';

/**
 * Input of the `exportArchive` workflow: the accepted request without secrets
 * (the validator's secret is stored encrypted, by export ID). The workflow
 * upserts the export's row from it, so the row exists whenever the workflow
 * does, even if the API died right after starting it.
 */
export interface ExportInput {
  exportId: string;
  clientRequestId?: string;
  /** SHA-256 of the canonical request (a reused idempotency key must carry the same body). */
  requestHash: string;
  sources: ExportSources;
  layout: ExportLayout;
  archiveName: string;
  compression: ExportCompression;
  validator?: { url: string; timeoutSeconds: number; signed: boolean };
  target: { serverId: string; directory: string };
  overwrite: boolean;
  webhookUrl?: string;
}

export type ExportPhase =
  | 'queued'
  | 'resolving'
  | 'building'
  | 'validating'
  | 'delivering'
  | 'cleaning'
  | 'completed'
  | 'failed'
  | 'cancelled';

/** What the `exportProgress` query answers while an export runs. */
export interface ExportProgress {
  phase: ExportPhase;
  entriesDone: number;
  entriesTotal: number | null;
  /** Bytes of the phase: source bytes zipped while building, archive bytes sent while validating or delivering. */
  bytesDone: number;
  bytesTotal: number | null;
}

/** Detailed progress of an export (the generic `progress` query answers too, in bytes of the phase). */
export const exportProgressQuery = defineQuery<ExportProgress>('exportProgress');

/** Sent by the running export activities (throttled) so the progress query answers without I/O. */
export const exportProgressSignal = defineSignal<[Partial<ExportProgress>]>('exportProgress');

/** What an export's workflow returns. */
export interface ExportOutcome {
  exportId: string;
  status: 'completed';
  remotePath: string;
  archiveSize: number;
  archiveSha256: string;
  entries: number;
}

/** Input of the `exportStagingCleanup` workflow: remove a failed export's staged zip after a while. */
export interface ExportStagingCleanupInput {
  exportId: string;
  bucket: string;
  stagingKey: string;
  afterSeconds: number;
}

// ---------------------------------------------------------------- batches

/** Exports of a batch that ended each way, summed over the batch workflow's runs. */
export interface BatchCounts {
  started: number;
  completed: number;
  failed: number;
  cancelled: number;
}

/**
 * Input of the `exportBatch` workflow. The exports themselves are BatchItem
 * rows, read a page at a time; `nextIndex` and `counts` carry the batch across
 * continue-as-new.
 */
export interface BatchInput {
  batchId: string;
  /** Exports one run starts before it continues as new (BATCH_EXPORTS_PER_RUN). */
  exportsPerRun: number;
  /** Index of the first item this run starts (absent: the first run). */
  nextIndex?: number;
  concurrency?: number;
  total?: number;
  counts?: BatchCounts;
}

/** What a batch's workflow returns (a batch with failed exports fails, with these counts in its message). */
export interface BatchOutcome extends BatchCounts {
  batchId: string;
  total: number;
}
