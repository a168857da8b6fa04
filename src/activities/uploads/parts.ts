import { Readable } from 'node:stream';
import {
  copyPart,
  isNoSuchUpload,
  listParts,
  type ObjectRef,
  readObject,
  uploadPartStream,
} from '../../lib/s3';
import type { ActivityDeps } from '../deps';
import { whileHeartbeating } from './heartbeat';
import { isCopyPart, planParts, type PlannedPart, type Segment } from './plan';
import { loadManifest } from './store';
import type { PartsInput, PartsResult } from './types';
import { Failure, nonRetryable } from '../../workflows/contract';

/** The multipart upload being filled. */
interface Target {
  ref: ObjectRef;
  uploadId: string;
}

function rangeOf(s: Segment): string | undefined {
  return s.whole ? undefined : `bytes=${s.start}-${s.end - 1}`;
}

export function createPartsActivities({ db, s3, config }: ActivityDeps) {
  const staged = (s: Segment): ObjectRef => ({ Bucket: config.FERRY_BUCKET, Key: s.stagingKey });

  /** Sizes of the parts already in the multipart upload within [first, last] (a dead attempt's work). */
  async function uploadedParts(t: Target, first: number, last: number, signal: AbortSignal) {
    const listed = await listParts(s3, t.ref, t.uploadId, { after: first - 1, upTo: last, signal });
    return new Map(listed.map((p) => [p.PartNumber, p.Size]));
  }

  /** The segments' bytes, read one staged chunk after the other; `count` sees every buffer. */
  async function* segmentBytes(segments: Segment[], count: (n: number) => void, abortSignal: AbortSignal) {
    for (const s of segments) {
      const body = await readObject(s3, staged(s), { range: rangeOf(s), signal: abortSignal });
      for await (const buf of body) {
        count((buf as Buffer).length);
        yield buf as Buffer;
      }
    }
  }

  async function coalescePart(t: Target, part: PlannedPart, signal: AbortSignal): Promise<number> {
    let streamed = 0;
    let readFailure: Error | undefined;
    const body = Readable.from(segmentBytes(part.segments, (n) => (streamed += n), signal));
    // A staged chunk that cannot be read (storage went away) fails the body even when the
    // upload has already failed and stopped reading it: an 'error' event with no listener
    // would take the whole worker down.
    body.on('error', (err) => (readFailure ??= err));
    try {
      await uploadPartStream(s3, t.ref, t.uploadId, part, body, signal);
    } catch (err) {
      throw readFailure ?? err;
    } finally {
      body.destroy();
    }
    if (readFailure) throw readFailure;
    if (streamed !== part.size)
      throw new Error(`part ${part.partNumber}: streamed ${streamed} of ${part.size} bytes`);
    return streamed;
  }

  /** A part that is one piece of one staged chunk: copied inside storage. */
  async function copyChunkPart(t: Target, part: PlannedPart, signal: AbortSignal): Promise<void> {
    const s = part.segments[0] as Segment;
    await copyPart(s3, t.ref, t.uploadId, part.partNumber, { ref: staged(s), range: rangeOf(s) }, signal);
  }

  return {
    /**
     * Fills parts [firstPart, lastPart] of the multipart upload. Idempotent: parts
     * already there with the planned size (from an attempt whose worker died) are
     * kept, so a retry redoes at most the part that was in flight.
     */
    async assembleUploadParts(input: PartsInput): Promise<PartsResult> {
      const upload = await db.upload.findUniqueOrThrow({ where: { id: input.uploadId } });
      const t: Target = {
        ref: { Bucket: upload.bucket, Key: upload.objectKey },
        uploadId: input.multipartUploadId,
      };
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
            const done = await uploadedParts(t, input.firstPart, input.lastPart, signal);
            for (const part of parts) {
              if (done.get(part.partNumber) === part.size) {
                result.reusedParts++;
              } else if (isCopyPart(part)) {
                await copyChunkPart(t, part, signal);
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
          throw nonRetryable(Failure.NoSuchUpload, `multipart upload ${t.uploadId} no longer exists`);
        }
        throw err;
      }
    },
  };
}
