import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { TestDeps } from './deps';

/** SHA-256 and size of an object's content, streamed back from storage (the test bucket unless named). */
export async function objectDigest(
  deps: TestDeps,
  key: string,
  bucket: string = deps.config.FERRY_BUCKET,
): Promise<{ sha256: string; size: number }> {
  const got = await deps.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of got.Body as Readable) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** IDs of the multipart uploads still open on a key (there must be none once a job ends). */
export async function openMultipartUploads(
  deps: TestDeps,
  key: string,
  bucket: string = deps.config.FERRY_BUCKET,
): Promise<string[]> {
  const out = await deps.s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
  return (out.Uploads ?? []).filter((u) => u.Key === key).map((u) => u.UploadId ?? '');
}

/**
 * Every object key and every open multipart upload (as `key uploadId`) in a
 * bucket, for tests whose MinIO holds nothing but their own work (first
 * 1,000 of each: such a test stores a handful).
 */
export async function bucketContents(
  deps: TestDeps,
  bucket: string = deps.config.FERRY_BUCKET,
): Promise<{ objects: string[]; uploads: string[] }> {
  const objects = await deps.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  const uploads = await deps.s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return {
    objects: (objects.Contents ?? []).map((o) => o.Key ?? '').sort(),
    uploads: (uploads.Uploads ?? []).map((u) => `${u.Key} ${u.UploadId}`),
  };
}
