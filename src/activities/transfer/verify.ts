import type { S3Client } from '@aws-sdk/client-s3';
import {
  compositeChecksum,
  type PutAnswer,
  deleteObject,
  describeObject,
  type ObjectRef,
  type PartRecord,
  sameChecksum,
} from '../../lib/s3';
import { Failure, nonRetryable } from '../../workflows/contract';

export interface ExpectedObject {
  size: number;
  sha256: string;
  /** The checksum storage should report: the object's, or the composite of its parts. */
  checksum: string;
}

/**
 * Checks the stored object against what was read (size, storage checksum,
 * sha256 tag). One that differs is deleted and the transfer fails for good:
 * the source is never acted on for an object that is not the file.
 */
export async function verifyObject(s3: S3Client, ref: ObjectRef, expected: ExpectedObject): Promise<void> {
  const stored = await describeObject(s3, ref);
  const problems: string[] = [];
  if (!stored) problems.push('object is missing after upload');
  else {
    if (stored.size !== expected.size) problems.push(`size ${stored.size}, expected ${expected.size}`);
    if (stored.checksum && !sameChecksum(stored.checksum, expected.checksum)) {
      problems.push(`storage checksum ${stored.checksum}, expected ${expected.checksum}`);
    }
    if (stored.sha256 !== expected.sha256)
      problems.push(`sha256 tag ${stored.sha256 ?? 'missing'}, expected ${expected.sha256}`);
  }
  if (problems.length === 0) return;
  await deleteObject(s3, ref);
  throw nonRetryable(
    Failure.ChecksumMismatch,
    `s3://${ref.Bucket}/${ref.Key} failed verification (${problems.join('; ')}); object deleted`,
  );
}

/**
 * Verification of an object this attempt stored in one PutObject. The
 * request carried the body's SHA-256 (x-amz-checksum-sha256), which storage
 * checks against the bytes it receives, refusing the write on a mismatch;
 * its answer echoing that same checksum is its word that the stored object
 * is these bytes, written with the SHA-256 metadata and tag of the same
 * request. Only a store that does not echo it costs a HEAD (verifyObject).
 */
export async function verifyPut(
  s3: S3Client,
  ref: ObjectRef,
  put: PutAnswer,
  expected: ExpectedObject,
): Promise<void> {
  if (put.checksum !== undefined && sameChecksum(put.checksum, expected.checksum)) return;
  await verifyObject(s3, ref, expected);
}

/** Whether the object at `ref` is the completion of these parts (by an attempt that died before recording it). */
export async function isCompletedFrom(
  s3: S3Client,
  ref: ObjectRef,
  size: number,
  parts: readonly PartRecord[],
): Promise<boolean> {
  const stored = await describeObject(s3, ref);
  return (
    stored?.size === size &&
    stored.checksum !== undefined &&
    sameChecksum(stored.checksum, compositeChecksum(parts))
  );
}
