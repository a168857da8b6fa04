import { createHash } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { isNoSuchUpload, isS3NotFound, type ObjectRef } from '../../lib/s3';
import { classifyS3Error } from './failures';

/**
 * The S3 calls of a transfer, driven by hand: lib-storage's Upload cannot
 * resume an existing UploadId (FACTS.md). Every part and every single-request
 * object carries its SHA-256, which storage checks before accepting it.
 */
/** One completed part, exactly as CompleteMultipartUpload wants it. */
export interface PartRecord {
  PartNumber: number;
  ETag: string;
  ChecksumSHA256: string;
}

export interface ListedPart extends PartRecord {
  Size: number;
}

/** The object's SHA-256 is kept in this tag (and, for single-request objects, this metadata key). */
export const SHA256_TAG = 'sha256';

/**
 * SigV4 signs a hash of the body; over plain HTTP the SDK computes it with a
 * second pass over every byte. The body's SHA-256 is already known: hand it
 * over as the signed payload hash instead.
 */
function knownPayloadHash(sha256: Buffer) {
  const hex = sha256.toString('hex');
  return <A extends { request: unknown }, R>(next: (args: A) => Promise<R>) =>
    (args: A): Promise<R> => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers['x-amz-content-sha256'] = hex;
      return next(args);
    };
}

const PAYLOAD_HASH = { step: 'build', name: 'ferryKnownPayloadHash' } as const;

async function send<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw classifyS3Error(err, what);
  }
}

export async function createUpload(s3: S3Client, ref: ObjectRef): Promise<string> {
  const out = await send('CreateMultipartUpload', () =>
    s3.send(new CreateMultipartUploadCommand({ ...ref, ChecksumAlgorithm: 'SHA256' })),
  );
  if (!out.UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
  return out.UploadId;
}

export async function uploadPart(
  s3: S3Client,
  ref: ObjectRef,
  uploadId: string,
  partNumber: number,
  body: Buffer,
  sha256: Buffer,
  signal: AbortSignal,
): Promise<PartRecord> {
  const ChecksumSHA256 = sha256.toString('base64');
  const command = new UploadPartCommand({
    ...ref,
    UploadId: uploadId,
    PartNumber: partNumber,
    Body: body,
    ContentLength: body.length,
    ChecksumSHA256,
  });
  command.middlewareStack.add(knownPayloadHash(sha256), PAYLOAD_HASH);
  const out = await send(`UploadPart ${partNumber}`, () => s3.send(command, { abortSignal: signal }));
  if (!out.ETag) throw new Error(`UploadPart ${partNumber} returned no ETag`);
  return { PartNumber: partNumber, ETag: out.ETag, ChecksumSHA256: out.ChecksumSHA256 ?? ChecksumSHA256 };
}

/** Every part S3 holds for the upload, or undefined when the upload no longer exists. */
export async function listParts(
  s3: S3Client,
  ref: ObjectRef,
  uploadId: string,
): Promise<ListedPart[] | undefined> {
  const parts: ListedPart[] = [];
  let marker: string | undefined;
  try {
    do {
      const out = await s3.send(
        new ListPartsCommand({ ...ref, UploadId: uploadId, ...(marker ? { PartNumberMarker: marker } : {}) }),
      );
      for (const p of out.Parts ?? []) {
        parts.push({
          PartNumber: p.PartNumber ?? 0,
          ETag: p.ETag ?? '',
          ChecksumSHA256: p.ChecksumSHA256 ?? '',
          Size: p.Size ?? -1,
        });
      }
      marker = out.IsTruncated ? out.NextPartNumberMarker : undefined;
    } while (marker);
  } catch (err) {
    if (isNoSuchUpload(err) || isS3NotFound(err)) return undefined;
    throw classifyS3Error(err, 'ListParts');
  }
  return parts;
}

export async function completeUpload(
  s3: S3Client,
  ref: ObjectRef,
  uploadId: string,
  parts: PartRecord[],
): Promise<void> {
  await send('CompleteMultipartUpload', () =>
    s3.send(
      new CompleteMultipartUploadCommand({ ...ref, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
    ),
  );
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
    const out = await send('ListMultipartUploads', () =>
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

/**
 * Stores a whole object in one request, with its SHA-256 as metadata and tag.
 * `onlyIfAbsent` makes it a conditional write (If-None-Match: *): false means
 * nothing was written, because an object already holds the key or because
 * the store does not do conditional writes (501); the caller then looks.
 * That saves the HEAD a new key would otherwise need first.
 */
export async function putWhole(
  s3: S3Client,
  ref: ObjectRef,
  body: Buffer,
  sha256: Buffer,
  { onlyIfAbsent = false } = {},
): Promise<boolean> {
  const hex = sha256.toString('hex');
  const command = new PutObjectCommand({
    ...ref,
    Body: body,
    ContentLength: body.length,
    ChecksumSHA256: sha256.toString('base64'),
    Metadata: { [SHA256_TAG]: hex },
    Tagging: `${SHA256_TAG}=${hex}`,
    ...(onlyIfAbsent ? { IfNoneMatch: '*' } : {}),
  });
  command.middlewareStack.add(knownPayloadHash(sha256), PAYLOAD_HASH);
  try {
    await s3.send(command);
    return true;
  } catch (err) {
    if (onlyIfAbsent && (isPreconditionFailed(err) || isNotImplemented(err))) return false;
    throw classifyS3Error(err, 'PutObject');
  }
}

function isPreconditionFailed(err: unknown): boolean {
  return (err as { name?: string }).name === 'PreconditionFailed';
}

function isNotImplemented(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotImplemented' || e.$metadata?.httpStatusCode === 501;
}

export async function tagSha256(s3: S3Client, ref: ObjectRef, hex: string): Promise<void> {
  await send('PutObjectTagging', () =>
    s3.send(new PutObjectTaggingCommand({ ...ref, Tagging: { TagSet: [{ Key: SHA256_TAG, Value: hex }] } })),
  );
}

export interface StoredObject {
  size: number;
  /** ChecksumSHA256 as storage reports it (whole-object, or composite "b64-N"), when it does. */
  checksum: string | undefined;
  /** SHA-256 recorded with the object (tag, or metadata), when there is one. */
  sha256: string | undefined;
  etag: string | undefined;
}

/** HEAD (with checksums) and tags of an object, or undefined when there is none. */
export async function describeObject(s3: S3Client, ref: ObjectRef): Promise<StoredObject | undefined> {
  let head;
  try {
    head = await s3.send(new HeadObjectCommand({ ...ref, ChecksumMode: 'ENABLED' }));
  } catch (err) {
    if (isS3NotFound(err)) return undefined;
    throw classifyS3Error(err, 'HeadObject');
  }
  // An object stored in one request carries its SHA-256 in metadata, written
  // with the tag in that same request; only multipart objects need the tag read.
  let sha256 = head.Metadata?.[SHA256_TAG];
  if (!sha256) {
    const tags = await send('GetObjectTagging', () => s3.send(new GetObjectTaggingCommand(ref)));
    sha256 = tags.TagSet?.find((t) => t.Key === SHA256_TAG)?.Value;
  }
  return {
    size: head.ContentLength ?? -1,
    checksum: head.ChecksumSHA256,
    sha256,
    etag: head.ETag,
  };
}

export async function deleteObject(s3: S3Client, ref: ObjectRef): Promise<void> {
  await send('DeleteObject', () => s3.send(new DeleteObjectCommand(ref)));
}

/** S3's checksum of a multipart object: SHA-256 of the parts' binary SHA-256s, then "-<parts>". */
export function compositeChecksum(parts: readonly PartRecord[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(Buffer.from(p.ChecksumSHA256, 'base64'));
  return `${h.digest('base64')}-${parts.length}`;
}

/** Storage may report the composite with or without its "-<parts>" suffix. */
export function sameChecksum(reported: string, expected: string): boolean {
  return reported === expected || reported === expected.split('-')[0];
}
