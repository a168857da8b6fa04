import { z } from 'zod';
import type { ListedPart } from '../../lib/s3';
import { Failure, nonRetryable } from '../../workflows/contract';

/** Size of a saved SHA-256 state before its unfinished block (native/sha256/index.js). */
export const SHA256_STATE_BYTES = 40;

/**
 * Where a multipart transfer stands: written to the Transfer row after each
 * part (the durable copy) and sent in heartbeats (a hint: Temporal throttles
 * heartbeats and the last one may be lost; docs/ingest.md). Parts are
 * recorded only as a contiguous prefix, and `hashState` is the SHA-256
 * state after exactly `offset` bytes, so a resumed attempt loads it and
 * reads on from `offset`.
 */
const checkpointSchema = z
  .object({
    uploadId: z.string().min(1),
    partSize: z.number().int().positive(),
    offset: z.number().int().nonnegative(),
    /** base64 of the SHA-256 state after `offset` bytes (native/sha256); empty at offset 0. */
    hashState: z.string(),
    parts: z.array(z.object({ PartNumber: z.number().int(), ETag: z.string(), ChecksumSHA256: z.string() })),
  })
  // A state in another format (an older Ferry's) cannot be resumed from: the transfer starts over.
  .refine((cp) =>
    cp.offset === 0
      ? cp.hashState === ''
      : Buffer.from(cp.hashState, 'base64').length === SHA256_STATE_BYTES + (cp.offset % 64),
  );

export type Checkpoint = z.infer<typeof checkpointSchema>;

/** A stored or heartbeated value, if it is a checkpoint of `uploadId`. */
export function parseCheckpoint(value: unknown, uploadId: string): Checkpoint | undefined {
  const parsed = checkpointSchema.safeParse(value);
  return parsed.success && parsed.data.uploadId === uploadId ? parsed.data : undefined;
}

/** The most advanced of the candidates (the row, the last heartbeat). */
export function latestCheckpoint(candidates: (Checkpoint | undefined)[]): Checkpoint | undefined {
  return candidates.reduce<Checkpoint | undefined>(
    (best, c) => (c && (!best || c.offset > best.offset) ? c : best),
    undefined,
  );
}

/**
 * True when S3 still holds every part of the checkpoint unchanged (same ETag,
 * size and checksum). Parts S3 holds beyond it were uploaded but never
 * recorded; they are uploaded again, which is at most the parts in flight.
 */
export function checkpointMatches(cp: Checkpoint, listed: readonly ListedPart[], fileSize: number): boolean {
  const byNumber = new Map(listed.map((p) => [p.PartNumber, p]));
  return cp.parts.every((part, i) => {
    const s3 = byNumber.get(part.PartNumber);
    const size = Math.min(cp.partSize, fileSize - i * cp.partSize);
    return (
      part.PartNumber === i + 1 &&
      s3 !== undefined &&
      s3.ETag === part.ETag &&
      s3.Size === size &&
      (!s3.ChecksumSHA256 || s3.ChecksumSHA256 === part.ChecksumSHA256)
    );
  });
}

/**
 * S3 allows 10,000 parts: grow the part size (in whole MiB) for files that
 * would need more, up to `max` (TRANSFER_MAX_PART_MIB). The size is what the
 * SFTP server reported, so it is not trusted to set the memory a transfer
 * holds (two parts): a file that would need larger parts fails instead.
 */
export function partSizeFor(fileSize: number, configured: number, max: number): number {
  const MiB = 1024 * 1024;
  const needed = Math.ceil(fileSize / 10_000 / MiB) * MiB;
  if (needed > max) {
    throw nonRetryable(
      Failure.SourceTooLarge,
      `a file of ${fileSize} bytes needs parts of ${needed / MiB} MiB, over TRANSFER_MAX_PART_MIB (${max / MiB})`,
    );
  }
  return Math.min(Math.max(configured, needed), max);
}
