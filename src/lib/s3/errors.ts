import { Failure, nonRetryable, retryable, RetryableFailure } from '../../workflows/failures';

/**
 * S3 error shapes, recognised in one place: small guards over the SDK's
 * errors (its `name`, or the HTTP status where an answer has no body), and
 * one classification of what retrying cannot fix.
 */
interface S3ErrorShape {
  name?: string;
  message?: string;
  /** From the error's XML body, where the store names it (MinIO does). */
  BucketName?: string;
  $metadata?: { httpStatusCode?: number };
}

const shape = (err: unknown): S3ErrorShape | undefined => err as S3ErrorShape | undefined;

export function isS3NotFound(err: unknown): boolean {
  const e = shape(err);
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

export function isNoSuchUpload(err: unknown): boolean {
  return shape(err)?.name === 'NoSuchUpload';
}

/** A conditional write (If-None-Match: *) found an object at the key. */
export function isPreconditionFailed(err: unknown): boolean {
  return shape(err)?.name === 'PreconditionFailed';
}

export function isNotImplemented(err: unknown): boolean {
  const e = shape(err);
  return e?.name === 'NotImplemented' || e?.$metadata?.httpStatusCode === 501;
}

/** S3's and MinIO's answers to a body that does not match its x-amz-checksum-sha256. */
export function isChecksumRejection(err: unknown): boolean {
  const name = shape(err)?.name;
  return name === 'XAmzContentChecksumMismatch' || name === 'BadDigest' || name === 'InvalidDigest';
}

/** Out of space: MinIO's drive threshold, and its bucket quota (a 400). */
const storageFullErrors = new Set(['XMinioStorageFull', 'XMinioAdminBucketQuotaExceeded']);

/**
 * Object storage refused a write for want of space: HTTP 507 Insufficient
 * Storage whatever its name, or the drive filling up between MinIO's check of
 * its free space (cached for a second) and the write, which MinIO answers as
 * a 500 InternalError whose cause is ENOSPC.
 */
export function isStorageFull(err: unknown): boolean {
  const e = shape(err);
  if (e?.name !== undefined && storageFullErrors.has(e.name)) return true;
  if (e?.name === 'InternalError' && /no space left on device/i.test(e.message ?? '')) return true;
  return e?.$metadata?.httpStatusCode === 507;
}

/** S3 error names that mean "fix the configuration", not "try again". */
const permanentS3Errors = new Set([
  'NoSuchBucket',
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidBucketName',
  'AllAccessDisabled',
  'AccountProblem',
  // A feature Ferry needs (SHA-256 checksums, tagging) that this store lacks; a 501 stays a 501.
  'NotImplemented',
]);

/**
 * Statuses that are refusals whatever the error's name: an answer to HEAD has
 * no body, so the SDK cannot name a 403 there ("Unknown").
 */
const permanentS3Statuses = new Set([403, 501]);

/**
 * Turns permanent S3 refusals into non-retryable `StorageRejected` failures,
 * and a full store into a retryable `StorageFull` one that says so (the SDK
 * does not retry a 507; the activity's policy does, with backoff, until space
 * is freed). Any other error comes back as it was (network, 5xx,
 * NoSuchUpload...), so the guards above still recognise it.
 */
export function classifyS3Error(err: unknown, what: string): Error {
  const e = shape(err);
  const status = e?.$metadata?.httpStatusCode;
  const detail = e?.name && e.name !== 'Unknown' ? `${e.name}: ${e.message}` : `HTTP ${status}`;
  if (isStorageFull(err)) {
    const bucket = e?.BucketName ? ` (bucket ${e.BucketName})` : '';
    return retryable(
      RetryableFailure.StorageFull,
      `${what}: object storage is full${bucket}: ${detail}; retried with backoff until space is freed`,
    );
  }
  if ((e?.name && permanentS3Errors.has(e.name)) || (status && permanentS3Statuses.has(status))) {
    return nonRetryable(Failure.StorageRejected, `${what}: object storage refused: ${detail}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** Runs one storage request (`what` names it in a failure) under the classification above. */
export async function storageRequest<T>(what: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (err) {
    throw classifyS3Error(err, what);
  }
}
