import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  classifyS3Error,
  isNotImplemented,
  isPreconditionFailed,
  isS3NotFound,
  storageRequest,
} from './errors';
import type { ConditionalOutcome } from './multipart';
import { withKnownPayloadHash } from './signing';

/** An object's address in storage, as the SDK's commands take it. */
export interface ObjectRef {
  Bucket: string;
  Key: string;
}

/** The object's SHA-256 is kept in this tag (and, for single-request objects, this metadata key). */
export const SHA256_TAG = 'sha256';
/**
 * Metadata naming the transfer (its workflow ID, one per file version) that
 * stored an object: an attempt that finds the object its own earlier attempt
 * stored before a crash completes, where another transfer's copy is a skip.
 */
export const WRITER_METADATA = 'ferry-transfer';

export async function headBucket(s3: S3Client, bucket: string): Promise<void> {
  await storageRequest('HeadBucket', () => s3.send(new HeadBucketCommand({ Bucket: bucket })));
}

export interface ObjectHead {
  size: number | undefined;
  metadata: Record<string, string>;
  /** ChecksumSHA256 as storage reports it (whole-object, or composite "b64-N"), when asked and known. */
  checksum: string | undefined;
  etag: string | undefined;
}

/** HEAD of an object, or undefined when there is none; `checksums` asks storage for its SHA-256 too. */
export async function headObject(
  s3: S3Client,
  ref: ObjectRef,
  { checksums = false } = {},
): Promise<ObjectHead | undefined> {
  try {
    const head = await s3.send(
      new HeadObjectCommand({ ...ref, ...(checksums ? { ChecksumMode: 'ENABLED' } : {}) }),
    );
    return {
      size: head.ContentLength,
      metadata: head.Metadata ?? {},
      checksum: head.ChecksumSHA256,
      etag: head.ETag,
    };
  } catch (err) {
    if (isS3NotFound(err)) return undefined;
    throw classifyS3Error(err, 'HeadObject');
  }
}

export interface StoredObject {
  size: number;
  /** ChecksumSHA256 as storage reports it (whole-object, or composite "b64-N"), when it does. */
  checksum: string | undefined;
  /** SHA-256 recorded with the object (tag, or metadata), when there is one. */
  sha256: string | undefined;
  etag: string | undefined;
  /** The transfer that stored it (WRITER_METADATA), when Ferry's transfers did. */
  writtenBy: string | undefined;
}

/** HEAD (with checksums) and tags of an object, or undefined when there is none. */
export async function describeObject(s3: S3Client, ref: ObjectRef): Promise<StoredObject | undefined> {
  const head = await headObject(s3, ref, { checksums: true });
  if (!head) return undefined;
  // An object stored in one request carries its SHA-256 in metadata, written
  // with the tag in that same request; only multipart objects need the tag read.
  let sha256 = head.metadata[SHA256_TAG];
  if (!sha256) {
    const tags = await storageRequest('GetObjectTagging', () => s3.send(new GetObjectTaggingCommand(ref)));
    sha256 = tags.TagSet?.find((t) => t.Key === SHA256_TAG)?.Value;
  }
  return {
    size: head.size ?? -1,
    checksum: head.checksum,
    sha256,
    etag: head.etag,
    writtenBy: head.metadata[WRITER_METADATA],
  };
}

/** The object's bytes (or those of `range`, an HTTP Range such as "bytes=0-99"), as a stream. */
export async function readObject(
  s3: S3Client,
  ref: ObjectRef,
  { range, signal }: { range?: string; signal?: AbortSignal } = {},
): Promise<Readable> {
  const got = await storageRequest('GetObject', () =>
    s3.send(new GetObjectCommand({ ...ref, Range: range }), { abortSignal: signal }),
  );
  return got.Body as Readable;
}

/** What storage answered to a whole-object PutObject that was written. */
export interface PutAnswer {
  /** The x-amz-checksum-sha256 storage computed over the bytes it stored, when it echoes it. */
  checksum: string | undefined;
}

/**
 * Stores a whole object in one request, with its SHA-256 as metadata and tag.
 * `onlyIfAbsent` makes it a conditional write (If-None-Match: *): undefined
 * means nothing was written, because an object already holds the key or
 * because the store does not do conditional writes (501); the caller then
 * looks. That saves the HEAD a new key would otherwise need first.
 */
export async function putWhole(
  s3: S3Client,
  ref: ObjectRef,
  body: Buffer,
  sha256: Buffer,
  { onlyIfAbsent = false, writtenBy }: { onlyIfAbsent?: boolean; writtenBy?: string } = {},
): Promise<PutAnswer | undefined> {
  const hex = sha256.toString('hex');
  const command = new PutObjectCommand({
    ...ref,
    Body: body,
    ContentLength: body.length,
    ChecksumSHA256: sha256.toString('base64'),
    Metadata: { [SHA256_TAG]: hex, ...(writtenBy ? { [WRITER_METADATA]: writtenBy } : {}) },
    Tagging: `${SHA256_TAG}=${hex}`,
    ...(onlyIfAbsent ? { IfNoneMatch: '*' } : {}),
  });
  try {
    const out = await s3.send(withKnownPayloadHash(command, sha256));
    return { checksum: out.ChecksumSHA256 };
  } catch (err) {
    if (onlyIfAbsent && (isPreconditionFailed(err) || isNotImplemented(err))) return undefined;
    throw classifyS3Error(err, 'PutObject');
  }
}

/** Any other single-request object: a streamed body (with its length), or an empty one. */
export async function putObject(
  s3: S3Client,
  ref: ObjectRef,
  input: Pick<
    PutObjectCommandInput,
    'Body' | 'ContentLength' | 'ChecksumSHA256' | 'ContentType' | 'Metadata'
  >,
  { onlyIfAbsent = false } = {},
): Promise<ConditionalOutcome> {
  try {
    await s3.send(new PutObjectCommand({ ...ref, ...input, ...(onlyIfAbsent ? { IfNoneMatch: '*' } : {}) }));
    return 'stored';
  } catch (err) {
    if (onlyIfAbsent && isPreconditionFailed(err)) return 'exists';
    if (onlyIfAbsent && isNotImplemented(err)) return 'unsupported';
    throw classifyS3Error(err, 'PutObject');
  }
}

export async function tagSha256(s3: S3Client, ref: ObjectRef, hex: string): Promise<void> {
  await storageRequest('PutObjectTagging', () =>
    s3.send(new PutObjectTaggingCommand({ ...ref, Tagging: { TagSet: [{ Key: SHA256_TAG, Value: hex }] } })),
  );
}

export async function deleteObject(s3: S3Client, ref: ObjectRef): Promise<void> {
  await storageRequest('DeleteObject', () => s3.send(new DeleteObjectCommand(ref)));
}

/** Every object under `prefix`, with its size (paged, however many there are). */
export async function listObjects(
  s3: S3Client,
  bucket: string,
  prefix: string,
  signal?: AbortSignal,
): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await storageRequest('ListObjectsV2', () =>
      s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }), {
        abortSignal: signal,
      }),
    );
    for (const o of page.Contents ?? []) if (o.Key) found.set(o.Key, o.Size ?? 0);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return found;
}

/** Deletes the keys, 1,000 to a request (S3's limit); fails if storage could not delete one. */
export async function deleteObjects(s3: S3Client, bucket: string, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    const Objects = keys.slice(i, i + 1000).map((Key) => ({ Key }));
    const res = await storageRequest('DeleteObjects', () =>
      s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects, Quiet: true } })),
    );
    const failed = res.Errors ?? [];
    if (failed.length) throw new Error(`could not delete ${failed.length} objects: ${failed[0]?.Message}`);
  }
}
