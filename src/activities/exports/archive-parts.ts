import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';

/** S3 allows 10,000 parts; an estimate of the archive's size keeps well under it. */
const MAX_PARTS = 9000;
const MIN_PART = 5 * 1024 * 1024;

/** Part size for an archive of about `estimate` bytes: the configured size, grown past 9,000 parts. */
export function partSizeFor(configured: number, estimate: number): number {
  return Math.max(MIN_PART, configured, Math.ceil(estimate / MAX_PARTS));
}

export async function openMultipart(s3: S3Client, bucket: string, key: string): Promise<string> {
  const created = await s3.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: 'application/zip' }),
  );
  if (!created.UploadId) throw new Error(`storage gave no upload ID for ${key}`);
  return created.UploadId;
}

/** Aborts a multipart upload; one already gone (completed or aborted) is fine. */
export async function abortMultipart(
  s3: S3Client,
  bucket: string,
  key: string,
  uploadId: string,
): Promise<void> {
  try {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
  } catch (err) {
    if ((err as { name?: string }).name !== 'NoSuchUpload') throw err;
  }
}

/**
 * Cuts a byte stream into parts of a multipart upload while hashing it: one
 * part uploads while the next fills, so memory holds about two parts
 * whatever the stream's length.
 */
export class PartWriter {
  private readonly hash = createHash('sha256');
  private readonly parts: CompletedPart[] = [];
  private chunks: Buffer[] = [];
  private buffered = 0;
  private inflight: Promise<void> = Promise.resolve();
  /** The in-flight part's failure, thrown by the next write or finish(). */
  private failure: Error | undefined;
  size = 0;

  constructor(
    private readonly s3: S3Client,
    private readonly target: { bucket: string; key: string; uploadId: string },
    private readonly partSize: number,
    private readonly signal: AbortSignal,
  ) {}

  /** Takes a chunk; resolves once the stream may go on (the previous part is stored when a part is full). */
  async write(chunk: Buffer): Promise<void> {
    this.hash.update(chunk);
    this.size += chunk.length;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered >= this.partSize) await this.flush();
  }

  /** Stores the last part and completes the object; returns its SHA-256. */
  async finish(): Promise<string> {
    if (this.buffered > 0 || this.parts.length === 0) await this.flush();
    await this.settled();
    const { bucket, key, uploadId } = this.target;
    await this.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: this.parts },
      }),
      { abortSignal: this.signal },
    );
    return this.hash.digest('hex');
  }

  private async flush(): Promise<void> {
    const body = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [];
    this.buffered = 0;
    // Waiting for the previous part here is the backpressure that bounds memory.
    await this.settled();
    const partNumber = this.parts.length + 1;
    const { bucket, key, uploadId } = this.target;
    const slot: CompletedPart = { PartNumber: partNumber };
    this.parts.push(slot);
    this.inflight = this.s3
      .send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: body,
        }),
        { abortSignal: this.signal },
      )
      .then(
        (r) => {
          slot.ETag = r.ETag;
        },
        // Kept for the next flush or finish() to throw: nothing awaits this part until then.
        (err: unknown) => {
          this.failure = err instanceof Error ? err : new Error(String(err));
        },
      );
  }

  private async settled(): Promise<void> {
    await this.inflight;
    if (this.failure !== undefined) throw this.failure;
  }
}
