import { ApplicationFailure } from '@temporalio/common';

/**
 * Failure types of the transfer activities. All are non-retryable: another
 * attempt cannot fix them. The workflow lists them in nonRetryableErrorTypes
 * too, and the API shows the message from the Transfer row.
 */
export const TransferFailure = {
  /** Size or mtime differ from the listed version, or the file is gone: the next scan lists the new version. */
  sourceChanged: 'SourceChanged',
  /** The SFTP server refuses to let us read the file. */
  sourceUnreadable: 'SourceUnreadable',
  /** The stored object is not what was read (size, checksum or tag). */
  checksumMismatch: 'ChecksumMismatch',
  /** Object storage refused the request for a reason retrying will not change (no bucket, access denied). */
  storageRejected: 'StorageRejected',
  /** The transfer row or its server cannot be worked on (missing, misconfigured). */
  invalidTransfer: 'InvalidTransfer',
  /** The webhook receiver rejected the call (4xx other than 408/429). */
  webhookRejected: 'WebhookRejected',
} as const;

export function sourceChanged(detail: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `${detail}: file changed since it was listed; the next scan picks up the new version`,
    TransferFailure.sourceChanged,
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
    return ApplicationFailure.nonRetryable(
      `${what}: object storage refused: ${detail}`,
      TransferFailure.storageRejected,
    );
  }
  return asError(err);
}

/** SFTP status codes (draft-ietf-secsh-filexfer-02 §7): 2 NO_SUCH_FILE, 3 PERMISSION_DENIED. */
export function classifySftpError(err: unknown, what: string): Error {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (code === 2) return sourceChanged(`${what}: no such file`);
  if (code === 3) {
    return ApplicationFailure.nonRetryable(
      `${what}: permission denied by the SFTP server`,
      TransferFailure.sourceUnreadable,
    );
  }
  return asError(err);
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
