import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  ListPartsCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { classifyS3Error, isNoSuchUpload, isS3NotFound, storageRequest } from './errors';
import type { ObjectRef } from './objects';
import { withKnownPayloadHash } from './signing';

/** The parts of a multipart upload: uploaded from memory or a stream, copied inside storage, listed. */

/** One completed part, as CompleteMultipartUpload takes it (ChecksumSHA256 when the upload has one). */
export interface PartRecord {
  PartNumber: number;
  ETag: string;
  ChecksumSHA256: string;
}

export interface ListedPart extends PartRecord {
  Size: number;
}

/** One part from memory, with its SHA-256, which storage checks before accepting it. */
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
  const out = await storageRequest(`UploadPart ${partNumber}`, () =>
    s3.send(withKnownPayloadHash(command, sha256), { abortSignal: signal }),
  );
  if (!out.ETag) throw new Error(`UploadPart ${partNumber} returned no ETag`);
  return { PartNumber: partNumber, ETag: out.ETag, ChecksumSHA256: out.ChecksumSHA256 ?? ChecksumSHA256 };
}

/** One part streamed from `body` (exactly `size` bytes). */
export async function uploadPartStream(
  s3: S3Client,
  ref: ObjectRef,
  uploadId: string,
  part: { partNumber: number; size: number },
  body: Readable,
  signal: AbortSignal,
): Promise<void> {
  const { partNumber, size } = part;
  await storageRequest(`UploadPart ${partNumber}`, () =>
    s3.send(
      new UploadPartCommand({
        ...ref,
        UploadId: uploadId,
        PartNumber: partNumber,
        Body: body,
        ContentLength: size,
      }),
      { abortSignal: signal },
    ),
  );
}

/** One part copied server-side from `source` (or the bytes of `range` of it): no bytes through Ferry. */
export async function copyPart(
  s3: S3Client,
  ref: ObjectRef,
  uploadId: string,
  partNumber: number,
  source: { ref: ObjectRef; range?: string },
  signal: AbortSignal,
): Promise<void> {
  await storageRequest(`UploadPartCopy ${partNumber}`, () =>
    s3.send(
      new UploadPartCopyCommand({
        ...ref,
        UploadId: uploadId,
        PartNumber: partNumber,
        CopySource: copySource(source.ref),
        CopySourceRange: source.range,
      }),
      { abortSignal: signal },
    ),
  );
}

/** `bucket/key` for CopySource, each path segment URL-encoded as S3 expects. */
function copySource({ Bucket, Key }: ObjectRef): string {
  return `${Bucket}/${Key.split('/').map(encodeURIComponent).join('/')}`;
}

/** Which parts to list: those after `after` up to `upTo` (both part numbers), all by default. */
export interface PartRange {
  after?: number;
  upTo?: number;
  signal?: AbortSignal;
}

async function collectParts(s3: S3Client, ref: ObjectRef, uploadId: string, range: PartRange) {
  const { after, upTo, signal } = range;
  const parts: ListedPart[] = [];
  let marker: string | undefined = after ? String(after) : undefined;
  for (;;) {
    const page = await s3.send(
      new ListPartsCommand({ ...ref, UploadId: uploadId, PartNumberMarker: marker }),
      {
        abortSignal: signal,
      },
    );
    for (const p of page.Parts ?? []) {
      const PartNumber = p.PartNumber ?? 0;
      if (upTo !== undefined && PartNumber > upTo) continue;
      parts.push({
        PartNumber,
        ETag: p.ETag ?? '',
        ChecksumSHA256: p.ChecksumSHA256 ?? '',
        Size: p.Size ?? -1,
      });
    }
    const next = page.NextPartNumberMarker;
    if (!page.IsTruncated || !next || (upTo !== undefined && Number(next) >= upTo)) return parts;
    marker = next;
  }
}

/** The parts storage holds for the upload (NoSuchUpload when it is gone, for the caller to judge). */
export async function listParts(
  s3: S3Client,
  ref: ObjectRef,
  uploadId: string,
  range: PartRange = {},
): Promise<ListedPart[]> {
  try {
    return await collectParts(s3, ref, uploadId, range);
  } catch (err) {
    throw classifyS3Error(err, 'ListParts');
  }
}

/** Every part storage holds for the upload, or undefined when the upload no longer exists. */
export async function listPartsIfOpen(
  s3: S3Client,
  ref: ObjectRef,
  uploadId: string,
): Promise<ListedPart[] | undefined> {
  try {
    return await collectParts(s3, ref, uploadId, {});
  } catch (err) {
    if (isNoSuchUpload(err) || isS3NotFound(err)) return undefined;
    throw classifyS3Error(err, 'ListParts');
  }
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
