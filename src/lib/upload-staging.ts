import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

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

/** Every object under `prefix`, with its size (paged: uploads may have 10,000 chunks). */
export async function listStaged(
  s3: S3Client,
  bucket: string,
  prefix: string,
  abortSignal?: AbortSignal,
): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      { abortSignal },
    );
    for (const o of page.Contents ?? []) if (o.Key) found.set(o.Key, o.Size ?? 0);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return found;
}

/** Removes everything staged under `prefix` (recorded chunks and leftovers of failed PUTs). */
export async function deleteStaged(s3: S3Client, bucket: string, prefix: string): Promise<number> {
  const keys = [...(await listStaged(s3, bucket, prefix)).keys()];
  for (let i = 0; i < keys.length; i += 1000) {
    const Objects = keys.slice(i, i + 1000).map((Key) => ({ Key }));
    const res = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects, Quiet: true } }));
    const failed = res.Errors ?? [];
    if (failed.length)
      throw new Error(`could not delete ${failed.length} staged chunks: ${failed[0]?.Message}`);
  }
  return keys.length;
}
