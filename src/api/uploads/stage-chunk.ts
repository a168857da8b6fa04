import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { FerryError } from '../../lib/errors';
import { deleteObject, isChecksumRejection, putObject } from '../../lib/s3';

export class ChecksumMismatchError extends FerryError {
  override readonly name = 'ChecksumMismatchError';
  constructor(message: string) {
    super('checksum_mismatch', 400, message);
  }
}

export interface StageTarget {
  s3: S3Client;
  bucket: string;
  key: string;
  /** Content-Length of the request, already checked against the chunk limit. */
  length: number;
  /** SHA-256 (hex) the client declared in X-Chunk-SHA256. */
  sha256: string;
}

/**
 * Streams a request body into the staging object while hashing it: memory
 * stays at a few socket buffers whatever the chunk size. The declared SHA-256
 * goes to storage too, which refuses a body that does not match; Ferry's own
 * hash is checked as well, and a staged object that fails it is deleted.
 */
export async function stageChunk(body: Readable, t: StageTarget): Promise<void> {
  const hash = createHash('sha256');
  let received = 0;
  const hashing = new Transform({
    transform(buf: Buffer, _enc, done) {
      hash.update(buf);
      received += buf.length;
      done(null, buf);
    },
  });
  const ref = { Bucket: t.bucket, Key: t.key };
  const put = putObject(t.s3, ref, {
    Body: hashing,
    ContentLength: t.length,
    ChecksumSHA256: Buffer.from(t.sha256, 'hex').toString('base64'),
  });
  try {
    await Promise.all([pipeline(body, hashing), put]);
  } catch (err) {
    hashing.destroy();
    if (body.readableAborted) throw new FerryError('request_aborted', 400, 'the chunk body ended early');
    if (isChecksumRejection(err)) {
      throw new ChecksumMismatchError(
        `chunk body does not match X-Chunk-SHA256 ${t.sha256}; it was discarded`,
      );
    }
    throw err;
  }
  const actual = hash.digest('hex');
  if (received !== t.length || actual !== t.sha256) {
    await deleteObject(t.s3, ref);
    throw new ChecksumMismatchError(
      `chunk body (${received} bytes, SHA-256 ${actual}) does not match X-Chunk-SHA256 ${t.sha256}; it was discarded`,
    );
  }
}
