import { type ApplicationFailure } from '@temporalio/common';
import { Failure, nonRetryable } from '../../workflows/contract';

export function sourceChanged(detail: string): ApplicationFailure {
  return nonRetryable(
    Failure.SourceChanged,
    `${detail}: file changed since it was listed; the next scan picks up the new version`,
  );
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

/** Turns permanent S3 refusals into non-retryable failures; everything else stays retryable. */
export function classifyS3Error(err: unknown, what: string): Error {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  const status = e?.$metadata?.httpStatusCode;
  if ((e?.name && permanentS3Errors.has(e.name)) || (status && permanentS3Statuses.has(status))) {
    const detail = e?.name && e.name !== 'Unknown' ? `${e.name}: ${e.message}` : `HTTP ${status}`;
    return nonRetryable(Failure.StorageRejected, `${what}: object storage refused: ${detail}`);
  }
  return asError(err);
}

/** SFTP status codes (draft-ietf-secsh-filexfer-02 §7): 2 NO_SUCH_FILE, 3 PERMISSION_DENIED. */
export function classifySftpError(err: unknown, what: string): Error {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (code === 2) return sourceChanged(`${what}: no such file`);
  if (code === 3) {
    return nonRetryable(Failure.SourceUnreadable, `${what}: permission denied by the SFTP server`);
  }
  return asError(err);
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
