/**
 * The failure catalogue: every failure type that no retry can fix. Activities
 * throw them through `nonRetryable`, and every retry policy lists them all
 * (`NON_RETRYABLE_TYPES`), so a type added here is non-retryable everywhere.
 * Anything else thrown by an activity (network, 5xx, SFTP disconnects) is
 * retried with backoff. Deterministic: imported by workflow code.
 */
import { ApplicationFailure } from '@temporalio/common';

export const Failure = {
  // Sources and servers
  /** Size or mtime differ from the listed version, or the file is gone: the next scan lists the new version. */
  SourceChanged: 'SourceChanged',
  /** The file is larger than 10,000 parts of TRANSFER_MAX_PART_MIB. */
  SourceTooLarge: 'SourceTooLarge',
  /** The SFTP server refuses to let Ferry read the file. */
  SourceUnreadable: 'SourceUnreadable',
  /** The remote directory of a scan cannot be read. */
  RemoteDirUnreadable: 'RemoteDirUnreadable',
  /** The server's host key is not the pinned one. */
  HostKeyMismatch: 'HostKeyMismatch',
  /** The SFTP server refused the login. */
  SftpAuthFailed: 'SftpAuthFailed',
  /** The server row is gone. */
  ServerNotFound: 'ServerNotFound',

  // Storage
  /** The stored object is not what was read or sent (size, checksum or tag). */
  ChecksumMismatch: 'ChecksumMismatch',
  /** Object storage refused the request for a reason retrying will not change (no bucket, access denied). */
  StorageRejected: 'StorageRejected',

  // Transfers
  /** The transfer row or its server cannot be worked on (missing, misconfigured). */
  InvalidTransfer: 'InvalidTransfer',
  /** The transfer failed in a way the workflow could not attribute to an activity. */
  TransferFailed: 'TransferFailed',
  /** The object is stored and verified, but deleting or moving the source failed. */
  AfterTransferFailed: 'AfterTransferFailed',

  // Uploads
  /** The manifest has gaps, or sizes that do not add up. */
  InvalidManifest: 'InvalidManifest',
  /** The upload row is gone. */
  UploadMissing: 'UploadMissing',
  /** The upload is not in the state assembly needs (queued or processing). */
  UploadNotQueued: 'UploadNotQueued',
  /** The multipart upload's parts are not the ones the plan made. */
  PartsMismatch: 'PartsMismatch',
  /** The assembled object's size differs from the manifest's. */
  SizeMismatch: 'SizeMismatch',
  /** The upload left `processing` (cancelled, say) before assembly could start or finish. */
  UploadNotProcessing: 'UploadNotProcessing',
  /** The upload's row changed state while its object was being completed. */
  Raced: 'Raced',
  /** The multipart upload being filled was aborted underneath the assembly. */
  NoSuchUpload: 'NoSuchUpload',
  /** An object already holds the upload's key and the upload did not ask to overwrite it. */
  ObjectExists: 'ObjectExists',
  /** The upload ended without an object (the workflow's own failure). */
  UploadFailed: 'UploadFailed',

  // Events
  /** The event row is gone. */
  EventNotFound: 'EventNotFound',
  /** A route's action cannot run for this event (its server is gone or disabled, no server named). */
  RouteActionInvalid: 'RouteActionInvalid',
  // Exports
  /** The export's sources match no object (or a listed key is missing). */
  ExportSourcesEmpty: 'ExportSourcesEmpty',
  /** Two objects map to one path inside the archive, or a path escapes it. */
  LayoutCollision: 'LayoutCollision',
  /** An object changed (ETag) or vanished between resolving the sources and zipping it. */
  ExportSourceChanged: 'ExportSourceChanged',
  /** The validator rejected the archive (4xx); its reasons are on the export. */
  ValidatorRejected: 'ValidatorRejected',
  /** A file of the archive's final name exists on the target and the request did not say overwrite. */
  RemoteFileExists: 'RemoteFileExists',
  /** The target directory cannot be written (missing, permission denied). */
  RemoteDirUnwritable: 'RemoteDirUnwritable',
  /** The export row is gone or not in a state its workflow can work on. */
  InvalidExport: 'InvalidExport',
  /** The export ended without delivering (the workflow's own failure). */
  ExportFailed: 'ExportFailed',

  // Batches
  /** The batch row is gone, or never appeared (its request was not committed). */
  BatchMissing: 'BatchMissing',
  /** Some exports of the batch failed (the batch ran all of them). */
  BatchExportsFailed: 'BatchExportsFailed',

  // Outbound calls
  /** The webhook receiver rejected the call (4xx other than 408/429). */
  WebhookRejected: 'WebhookRejected',
  /** The outbound policy refuses the URL's address (loopback, private, link-local, metadata): README, "Security". */
  OutboundRefused: 'OutboundRefused',
} as const;

export type FailureType = (typeof Failure)[keyof typeof Failure];

/** Every catalogued type: the `nonRetryableErrorTypes` of every retry policy. */
export const NON_RETRYABLE_TYPES: FailureType[] = Object.values(Failure);

const known = new Set<string>(NON_RETRYABLE_TYPES);

export function isFailureType(type: string | undefined | null): type is FailureType {
  return type != null && known.has(type);
}

/** A failure no retry can fix, of a catalogued type. */
export function nonRetryable(type: FailureType, message: string, cause?: Error): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, cause });
}

/**
 * Failures that retrying (with backoff) can fix once something outside Ferry
 * changes, typed so that whoever looks (a running transfer's `error`, the
 * pending activity's last failure in `temporal workflow describe`) sees what
 * is wrong rather than a bare SDK error. Never in a non-retryable list.
 */
export const RetryableFailure = {
  /** Object storage is out of space (MinIO's XMinioStorageFull, any HTTP 507) or over a bucket quota. */
  StorageFull: 'StorageFull',
} as const;

export type RetryableFailureType = (typeof RetryableFailure)[keyof typeof RetryableFailure];

/** A failure of a known kind that the activity's retry policy retries. */
export function retryable(type: RetryableFailureType, message: string, cause?: Error): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: false, cause });
}
