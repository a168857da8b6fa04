/**
 * How staged chunks become the parts of one S3 multipart upload. Pure, so
 * every activity that needs the plan recomputes the same one from the frozen
 * manifest instead of carrying it through workflow history.
 *
 * S3 (and MinIO, at CompleteMultipartUpload) require every part but the last
 * to be at least 5 MiB. A part made of one piece of one chunk is copied
 * server-side with UploadPartCopy (no bytes through the worker); only runs of
 * smaller chunks are coalesced, streamed through the worker into one part.
 */
import { MiB } from '../../lib/units';

/** S3's minimum size of a non-final part. */
export const MIN_PART_BYTES = 5 * MiB;
/** A run of small chunks is flushed into a part once it reaches this size. */
export const COALESCE_TARGET_BYTES = 16 * MiB;
/** S3's maximum number of parts. */
export const MAX_PARTS = 10_000;

export interface ManifestChunk {
  index: number;
  size: number;
  stagingKey: string;
}

/** Bytes [start, end) of one staged chunk. */
export interface Segment {
  stagingKey: string;
  start: number;
  end: number;
  /** Whether the segment is the chunk's whole content (no Range needed). */
  whole: boolean;
}

export interface PlannedPart {
  partNumber: number;
  size: number;
  segments: Segment[];
}

export interface PartBatch {
  firstPart: number;
  lastPart: number;
  bytes: number;
}

/** One segment ⇒ server-side copy; several ⇒ streamed through the worker. */
export function isCopyPart(part: PlannedPart): boolean {
  return part.segments.length === 1;
}

function segment(chunk: ManifestChunk, start = 0, end = chunk.size): Segment {
  return { stagingKey: chunk.stagingKey, start, end, whole: start === 0 && end === chunk.size };
}

/** Parts for chunks sorted by index; empty chunks contribute nothing. */
export function planParts(chunks: readonly ManifestChunk[]): PlannedPart[] {
  const parts: PlannedPart[] = [];
  let run: Segment[] = [];
  let runBytes = 0;
  const push = (segments: Segment[], size: number): void => {
    parts.push({ partNumber: parts.length + 1, size, segments });
  };
  const flush = (): void => {
    if (run.length) push(run, runBytes);
    run = [];
    runBytes = 0;
  };
  for (const chunk of chunks) {
    if (chunk.size === 0) continue;
    if (chunk.size < MIN_PART_BYTES) {
      run.push(segment(chunk));
      runBytes += chunk.size;
      if (runBytes >= COALESCE_TARGET_BYTES) flush();
      continue;
    }
    if (runBytes >= MIN_PART_BYTES) flush();
    if (!run.length) {
      push([segment(chunk)], chunk.size);
      continue;
    }
    // A run too small to be a part precedes a big chunk: top the run up to the
    // minimum with the chunk's head and copy the rest, unless the rest would
    // itself be too small (then the whole chunk joins the run, < 10 MiB).
    const need = MIN_PART_BYTES - runBytes;
    if (chunk.size - need >= MIN_PART_BYTES) {
      run.push(segment(chunk, 0, need));
      runBytes += need;
      flush();
      push([segment(chunk, need)], chunk.size - need);
    } else {
      run.push(segment(chunk));
      runBytes += chunk.size;
      flush();
    }
  }
  flush();
  if (parts.length > MAX_PARTS) throw new Error(`${parts.length} parts exceed S3's limit of ${MAX_PARTS}`);
  return parts;
}

/**
 * Consecutive parts grouped into at most ~100 activities (history stays small,
 * progress still moves), each at least `minBatchBytes`.
 */
export function batchParts(parts: readonly PlannedPart[], minBatchBytes = 16 * MiB): PartBatch[] {
  const total = parts.reduce((n, p) => n + p.size, 0);
  const target = Math.max(minBatchBytes, Math.ceil(total / 100));
  const batches: PartBatch[] = [];
  let current: PartBatch | undefined;
  for (const part of parts) {
    current ??= { firstPart: part.partNumber, lastPart: part.partNumber, bytes: 0 };
    current.lastPart = part.partNumber;
    current.bytes += part.size;
    if (current.bytes >= target) {
      batches.push(current);
      current = undefined;
    }
  }
  if (current) batches.push(current);
  return batches;
}
