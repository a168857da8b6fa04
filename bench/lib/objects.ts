import {
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

// Objects put and removed by the benchmarks and the tests (test/helpers/exports.ts re-exports them).

/** Puts the objects, 16 at a time. */
export async function putObjects(
  s3: S3Client,
  bucket: string,
  objects: { key: string; body: Buffer | string }[],
) {
  let next = 0;
  const lane = async () => {
    while (next < objects.length) {
      const o = objects[next++];
      if (o) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: o.key, Body: o.body }));
    }
  };
  await Promise.all(Array.from({ length: 16 }, lane));
}

/** Removes every object under the prefix, a page (up to 1,000 keys) per request. */
export async function removePrefix(s3: S3Client, bucket: string, prefix: string): Promise<void> {
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key }));
    if (keys.length) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}
