import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  ListPartsCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { isNoSuchUpload } from '../../lib/s3';
import type { ActivityDeps } from '../deps';
import { whileHeartbeating } from './heartbeat';
import { isCopyPart, planParts, type PlannedPart, type Segment } from './plan';
import { loadManifest } from './store';
import type { PartsInput, PartsResult } from './types';
import { Failure, nonRetryable } from '../../workflows/contract';

interface Target {
  Bucket: string;
  Key: string;
  UploadId: string;
}

/** Sizes of the parts already in the multipart upload within [first, last] (a dead attempt's work). */
async function uploadedParts(s3: S3Client, t: Target, first: number, last: number, abortSignal: AbortSignal) {
  const sizes = new Map<number, number>();
  let marker: string | undefined = first > 1 ? String(first - 1) : undefined;
  for (;;) {
    const page = await s3.send(new ListPartsCommand({ ...t, PartNumberMarker: marker }), { abortSignal });
    for (const p of page.Parts ?? []) {
      if (p.PartNumber !== undefined && p.PartNumber <= last) sizes.set(p.PartNumber, p.Size ?? -1);
    }
    const next = page.NextPartNumberMarker;
    if (!page.IsTruncated || !next || Number(next) >= last) return sizes;
    marker = next;
  }
}

/** `bucket/key` for CopySource, each path segment URL-encoded as S3 expects. */
function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

function rangeOf(s: Segment): string | undefined {
  return s.whole ? undefined : `bytes=${s.start}-${s.end - 1}`;
}

export function createPartsActivities({ db, s3, config }: ActivityDeps) {
  const stagingBucket = config.FERRY_BUCKET;

  /** The segments' bytes, read one staged chunk after the other; `count` sees every buffer. */
  async function* segmentBytes(segments: Segment[], count: (n: number) => void, abortSignal: AbortSignal) {
    for (const s of segments) {
      const got = await s3.send(
        new GetObjectCommand({ Bucket: stagingBucket, Key: s.stagingKey, Range: rangeOf(s) }),
        { abortSignal },
      );
      for await (const buf of got.Body as Readable) {
        count((buf as Buffer).length);
        yield buf as Buffer;
      }
    }
  }

  async function coalescePart(t: Target, part: PlannedPart, signal: AbortSignal): Promise<number> {
    let streamed = 0;
    const body = Readable.from(segmentBytes(part.segments, (n) => (streamed += n), signal));
    await s3.send(
      new UploadPartCommand({ ...t, PartNumber: part.partNumber, Body: body, ContentLength: part.size }),
      { abortSignal: signal },
    );
    if (streamed !== part.size)
      throw new Error(`part ${part.partNumber}: streamed ${streamed} of ${part.size} bytes`);
    return streamed;
  }

  async function copyPart(t: Target, part: PlannedPart, signal: AbortSignal): Promise<void> {
    const s = part.segments[0] as Segment;
    await s3.send(
      new UploadPartCopyCommand({
        ...t,
        PartNumber: part.partNumber,
        CopySource: copySource(stagingBucket, s.stagingKey),
        CopySourceRange: rangeOf(s),
      }),
      { abortSignal: signal },
    );
  }

  return {
    /**
     * Fills parts [firstPart, lastPart] of the multipart upload. Idempotent: parts
     * already there with the planned size (from an attempt whose worker died) are
     * kept, so a retry redoes at most the part that was in flight.
     */
    async assembleUploadParts(input: PartsInput): Promise<PartsResult> {
      const upload = await db.upload.findUniqueOrThrow({ where: { id: input.uploadId } });
      const t: Target = { Bucket: upload.bucket, Key: upload.objectKey, UploadId: input.multipartUploadId };
      const parts = planParts(await loadManifest(db, input.uploadId)).filter(
        (p) => p.partNumber >= input.firstPart && p.partNumber <= input.lastPart,
      );
      const result: PartsResult = {
        copiedParts: 0,
        coalescedParts: 0,
        reusedParts: 0,
        bytesCopied: 0,
        bytesCoalesced: 0,
      };
      try {
        return await whileHeartbeating(
          async (signal) => {
            const done = await uploadedParts(s3, t, input.firstPart, input.lastPart, signal);
            for (const part of parts) {
              if (done.get(part.partNumber) === part.size) {
                result.reusedParts++;
              } else if (isCopyPart(part)) {
                await copyPart(t, part, signal);
                result.copiedParts++;
                result.bytesCopied += part.size;
              } else {
                result.bytesCoalesced += await coalescePart(t, part, signal);
                result.coalescedParts++;
              }
            }
            return result;
          },
          () => result,
        );
      } catch (err) {
        if (isNoSuchUpload(err)) {
          throw nonRetryable(Failure.NoSuchUpload, `multipart upload ${t.UploadId} no longer exists`);
        }
        throw err;
      }
    },
  };
}
