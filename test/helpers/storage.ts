import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
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
