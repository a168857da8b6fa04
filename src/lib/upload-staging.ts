import type { S3Client } from '@aws-sdk/client-s3';
import { deleteObjects, listObjects } from './s3';

/**
 * Where the chunks of an upload are staged: `<FERRY_STAGING_PREFIX><uploadId>/<index>.<nonce>`.
 * Every PUT writes its own object, so a rejected or losing duplicate PUT only
 * ever deletes what it wrote, never the chunk the manifest points to.
 */
export function stagingPrefix(root: string, uploadId: string): string {
  return `${root.endsWith('/') ? root : root + '/'}${uploadId}/`;
}

export function stagingKey(root: string, uploadId: string, index: number, nonce: string): string {
  return `${stagingPrefix(root, uploadId)}${index.toString().padStart(5, '0')}.${nonce}`;
}

/** Every object under `prefix`, with its size (uploads may have 10,000 chunks). */
export async function listStaged(
  s3: S3Client,
  bucket: string,
  prefix: string,
  abortSignal?: AbortSignal,
): Promise<Map<string, number>> {
  return await listObjects(s3, bucket, prefix, abortSignal);
}

/** Removes everything staged under `prefix` (recorded chunks and leftovers of failed PUTs). */
export async function deleteStaged(s3: S3Client, bucket: string, prefix: string): Promise<number> {
  const keys = [...(await listObjects(s3, bucket, prefix)).keys()];
  await deleteObjects(s3, bucket, keys);
  return keys.length;
}
