/** The exports part of the workflow contract (src/workflows/contract): inputs, progress and outcomes of exports and their batches. */
import { defineQuery, defineSignal } from '@temporalio/workflow';

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
  /** Its exports may carry FerryBucket (the payload codec is off where the batch was accepted). */
  labelBuckets?: boolean;
}

/** What a batch's workflow returns (a batch with failed exports fails, with these counts in its message). */
export interface BatchOutcome extends BatchCounts {
  batchId: string;
  total: number;
}
