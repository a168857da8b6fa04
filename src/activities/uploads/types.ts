import type { PartBatch } from './plan';

/** What `prepareUploadAssembly` hands the workflow: small, whatever the number of chunks. */
export interface AssemblyPlan {
  size: number;
  parts: number;
  /** Null for an empty file (one PutObject, no multipart upload). */
  multipartUploadId: string | null;
  batches: PartBatch[];
  /** Whether the client gave a whole-file SHA-256 to verify. */
  verify: boolean;
}

export interface PartsInput {
  uploadId: string;
  multipartUploadId: string;
  firstPart: number;
  lastPart: number;
}

/** Counters of one batch; the workflow sums them, so the figures are what actually ran. */
export interface PartsResult {
  copiedParts: number;
  coalescedParts: number;
  /** Parts found already uploaded (by an attempt that died) and not redone. */
  reusedParts: number;
  bytesCopied: number;
  bytesCoalesced: number;
}

/** Stored on the Upload row (`assembly`) and returned by the workflow. */
export interface AssemblyStats extends PartsResult {
  parts: number;
  /** Bytes streamed through the worker to verify the whole-file SHA-256. */
  bytesVerified: number;
  /** bytesCoalesced + bytesVerified: everything that did not stay inside object storage. */
  bytesThroughWorker: number;
}

export type UploadOutcome =
  | {
      uploadId: string;
      status: 'completed';
      bucket: string;
      key: string;
      size: number;
      sha256: string | null;
      assembly: AssemblyStats;
    }
  | { uploadId: string; status: 'expired' };
