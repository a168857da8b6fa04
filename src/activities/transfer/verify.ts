import type { S3Client } from '@aws-sdk/client-s3';
import { deleteObject, describeObject, type ObjectRef, sameChecksum } from '../../lib/s3';
import { Failure, nonRetryable } from '../../workflows/contract';

/**
 * Checks what storage holds against what was sent: size, storage checksum and
 * the `sha256` tag. Nothing is done to the source before this passes; an
 * object that fails it is deleted (it is not this version) and the transfer
 * fails non-retryably.
 */
export async function verifyObject(
  s3: S3Client,
  ref: ObjectRef,
  expected: { size: number; sha256: string; checksum: string },
): Promise<void> {
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
