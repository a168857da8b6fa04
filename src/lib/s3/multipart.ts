import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  type CreateMultipartUploadCommandInput,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  classifyS3Error,
  isNoSuchUpload,
  isNotImplemented,
  isPreconditionFailed,
  isS3NotFound,
  storageRequest,
} from './errors';
import type { ObjectRef } from './objects';
import type { PartRecord } from './parts';

/**
 * Multipart uploads, driven by hand: lib-storage's Upload cannot resume an
 * existing UploadId (aws-sdk-js-v3 issues 3509 and 6832), and chunked uploads
 * fill parts by server-side copy. S3's rules: parts of 5 MiB to 5 GiB except
 * the last, at most 10,000 of them.
 */

type UploadOptions = Pick<
  CreateMultipartUploadCommandInput,
  'ChecksumAlgorithm' | 'ContentType' | 'Metadata'
>;

export async function createMultipartUpload(
  s3: S3Client,
  ref: ObjectRef,
  options: UploadOptions = {},
): Promise<string> {
  const out = await storageRequest('CreateMultipartUpload', () =>
    s3.send(new CreateMultipartUploadCommand({ ...ref, ...options })),
  );
  if (!out.UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
  return out.UploadId;
}

/** Whether storage still holds the upload (an aborted or completed one answers NoSuchUpload). */
export async function isUploadOpen(s3: S3Client, ref: ObjectRef, uploadId: string): Promise<boolean> {
  try {
    await s3.send(new ListPartsCommand({ ...ref, UploadId: uploadId, MaxParts: 1 }));
    return true;
  } catch (err) {
    if (isNoSuchUpload(err)) return false;
    throw classifyS3Error(err, 'ListParts');
  }
}

/** What a conditional write did: stored, found an object at the key, or the store cannot tell (501). */
export type ConditionalOutcome = 'stored' | 'exists' | 'unsupported';

/**
 * `onlyIfAbsent` makes the completion conditional (If-None-Match: *): an
 * object that appears at the key meanwhile is never replaced ('exists'). A
 * store without conditional writes answers 'unsupported'; the caller looks.
 */
export async function completeMultipartUpload(
  s3: S3Client,
  ref: ObjectRef,
  uploadId: string,
  parts: readonly (Omit<PartRecord, 'ChecksumSHA256'> & { ChecksumSHA256?: string })[],
  { onlyIfAbsent = false } = {},
): Promise<ConditionalOutcome> {
  try {
    await s3.send(
      new CompleteMultipartUploadCommand({
        ...ref,
        UploadId: uploadId,
        MultipartUpload: { Parts: [...parts] },
        ...(onlyIfAbsent ? { IfNoneMatch: '*' } : {}),
      }),
    );
    return 'stored';
  } catch (err) {
    if (onlyIfAbsent && isPreconditionFailed(err)) return 'exists';
    if (onlyIfAbsent && isNotImplemented(err)) return 'unsupported';
    throw classifyS3Error(err, 'CompleteMultipartUpload');
  }
}

/**
 * Idempotent: an upload that is already gone (completed, aborted, or its
 * bucket removed) counts as aborted, so a retried cleanup never fails on it.
 */
export async function abortUpload(s3: S3Client, ref: ObjectRef, uploadId: string): Promise<void> {
  try {
    await s3.send(new AbortMultipartUploadCommand({ ...ref, UploadId: uploadId }));
  } catch (err) {
    if (!isNoSuchUpload(err) && !isS3NotFound(err)) throw classifyS3Error(err, 'AbortMultipartUpload');
  }
}

export interface OpenUpload {
  key: string;
  uploadId: string;
  initiated: Date;
}

/** The multipart uploads still open at exactly this key (MinIO lists by whole key only). */
export async function openUploadsAt(s3: S3Client, ref: ObjectRef): Promise<OpenUpload[]> {
  const open: OpenUpload[] = [];
  let KeyMarker: string | undefined;
  let UploadIdMarker: string | undefined;
  for (;;) {
    const out = await storageRequest('ListMultipartUploads', () =>
      s3.send(
        new ListMultipartUploadsCommand({ Bucket: ref.Bucket, Prefix: ref.Key, KeyMarker, UploadIdMarker }),
      ),
    );
    for (const u of out.Uploads ?? []) {
      // Prefix: on AWS, longer keys that start with this one are listed too.
      if (u.Key === ref.Key && u.UploadId)
        open.push({ key: u.Key, uploadId: u.UploadId, initiated: u.Initiated ?? new Date(0) });
    }
    if (!out.IsTruncated) return open;
    KeyMarker = out.NextKeyMarker;
    UploadIdMarker = out.NextUploadIdMarker;
  }
}
