import { AbortMultipartUploadCommand, S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config';

export function createS3(config: Config): S3Client {
  return new S3Client({
    region: config.S3_REGION,
    ...(config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT } : {}),
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    requestHandler: {
      connectionTimeout: 10_000,
      socketTimeout: config.S3_IDLE_TIMEOUT_SECONDS * 1000,
    },
    credentials: { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY },
    // Checksums are computed by Ferry where it wants them (per part, SHA-256);
    // the SDK's default CRC32 on every request would only cost CPU.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Vendor error shapes, recognised in one place. */
export function isS3NotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

export function isNoSuchUpload(err: unknown): boolean {
  return (err as { name?: string } | undefined)?.name === 'NoSuchUpload';
}

/** An object's address in storage, as the SDK's commands take it. */
export interface ObjectRef {
  Bucket: string;
  Key: string;
}

/**
 * Idempotent: an upload that is already gone (completed, aborted, or its
 * bucket removed) counts as aborted, so a retried cleanup never fails on it.
 */
export async function abortUpload(s3: S3Client, ref: ObjectRef, uploadId: string): Promise<void> {
  try {
    await s3.send(new AbortMultipartUploadCommand({ ...ref, UploadId: uploadId }));
  } catch (err) {
    if (!isNoSuchUpload(err) && !isS3NotFound(err)) throw err;
  }
}
