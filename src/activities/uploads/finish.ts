import type { Upload } from '../../generated/prisma/client';
import {
  completeMultipartUpload,
  type ConditionalOutcome,
  headObject,
  isNoSuchUpload,
  listParts,
  type ListedPart,
  type ObjectRef,
  putObject,
} from '../../lib/s3';
import { deleteStaged, stagingPrefix } from '../../lib/upload-staging';
import type { ActivityDeps } from '../deps';
import { planParts } from './plan';
import { whileHeartbeating } from './heartbeat';
import { finalMetadata, isAssembledBy } from './final-object';
import { loadManifest, transitionUpload } from './store';
import type { AssemblyStats, UploadOutcome } from './types';
import { Failure, nonRetryable } from '../../workflows/contract';

export interface FinishInput {
  uploadId: string;
  multipartUploadId: string | null;
  /** Size of the assembled file, from the validated manifest. */
  size: number;
  stats: AssemblyStats;
}

const objectOf = (upload: Upload): ObjectRef => ({ Bucket: upload.bucket, Key: upload.objectKey });

function outcomeOf(upload: Upload, stats: AssemblyStats): UploadOutcome {
  return {
    uploadId: upload.id,
    status: 'completed',
    bucket: upload.bucket,
    key: upload.objectKey,
    size: Number(upload.size ?? 0),
    sha256: upload.sha256,
    assembly: stats,
  };
}

export function createFinishActivities({ db, s3, config }: ActivityDeps) {
  /** Completes the multipart upload; a retry after a crash recognises the object it already completed. */
  async function completeMultipart(upload: Upload, multipartUploadId: string): Promise<void> {
    const ref = objectOf(upload);
    const planned = planParts(await loadManifest(db, upload.id));
    let parts: ListedPart[];
    try {
      parts = await listParts(s3, ref, multipartUploadId);
    } catch (err) {
      if (isNoSuchUpload(err) && (await isAssembledBy(s3, upload))) return;
      throw err;
    }
    const sizes = new Map(parts.map((p) => [p.PartNumber, p.Size]));
    const wrong = planned.find((p) => sizes.get(p.partNumber) !== p.size);
    if (wrong || parts.length !== planned.length) {
      throw nonRetryable(
        Failure.PartsMismatch,
        `multipart upload holds ${parts.length} parts, ${planned.length} planned` +
          (wrong ? `; part ${wrong.partNumber} is missing or has the wrong size` : ''),
      );
    }
    // No checksums: this multipart upload was created without a checksum algorithm.
    const completed = parts.map(({ PartNumber, ETag }) => ({ PartNumber, ETag }));
    await storeFinal(upload, (onlyIfAbsent) =>
      completeMultipartUpload(s3, ref, multipartUploadId, completed, { onlyIfAbsent }),
    );
  }

  /**
   * Writes the final object, replacing one already at the key only if the
   * upload said `overwrite`. The refusal is the write's own condition
   * (If-None-Match: *), so an object that appears meanwhile is not replaced
   * either; a store without conditional writes is asked first instead.
   */
  async function storeFinal(
    upload: Upload,
    write: (onlyIfAbsent: boolean) => Promise<ConditionalOutcome>,
  ): Promise<void> {
    if (upload.overwrite) {
      await write(false);
      return;
    }
    let outcome = await write(true);
    if (outcome === 'unsupported') {
      outcome = (await headObject(s3, objectOf(upload))) ? 'exists' : await write(false);
    }
    // A retry of a write that went through finds its own object.
    if (outcome === 'exists' && !(await isAssembledBy(s3, upload))) {
      throw nonRetryable(
        Failure.ObjectExists,
        `an object already exists at s3://${upload.bucket}/${upload.objectKey}; create the upload with "overwrite": true to replace it`,
      );
    }
  }

  /** Completes the object, checks its size, links it to the row (completed) and removes the staged chunks. */
  async function finish({ uploadId, multipartUploadId, size, stats }: FinishInput): Promise<UploadOutcome> {
    const upload = await db.upload.findUniqueOrThrow({ where: { id: uploadId } });
    if (upload.status !== 'completed') {
      if (upload.status !== 'processing') {
        throw nonRetryable(Failure.UploadNotProcessing, `upload ${uploadId} is ${upload.status}`);
      }
      if (multipartUploadId) {
        await completeMultipart(upload, multipartUploadId);
      } else {
        const input = { Body: '', ContentType: upload.contentType, Metadata: finalMetadata(upload) };
        await storeFinal(upload, (onlyIfAbsent) => putObject(s3, objectOf(upload), input, { onlyIfAbsent }));
      }
      const head = await headObject(s3, objectOf(upload));
      if (!head) throw new Error(`final object s3://${upload.bucket}/${upload.objectKey} is missing`);
      if (head.size !== size) {
        throw nonRetryable(Failure.SizeMismatch, `final object is ${head.size} bytes, expected ${size}`);
      }
      const linked = await transitionUpload(db, uploadId, ['processing'], 'completed', {
        size,
        completedAt: new Date(),
        multipartUploadId: null,
        assembly: { ...stats },
      });
      if (!linked) {
        const now = await db.upload.findUniqueOrThrow({
          where: { id: uploadId },
          select: { status: true },
        });
        throw nonRetryable(Failure.Raced, `upload ${uploadId} became ${now.status} while finishing`);
      }
    }
    await deleteStaged(s3, config.FERRY_BUCKET, stagingPrefix(config.FERRY_STAGING_PREFIX, uploadId));
    const done = await db.upload.findUniqueOrThrow({ where: { id: uploadId } });
    return outcomeOf(done, (done.assembly as unknown as AssemblyStats | null) ?? stats);
  }

  return {
    async finishUploadAssembly(input: FinishInput): Promise<UploadOutcome> {
      // Heartbeats only prove liveness: once started, completing the object runs to its end.
      return await whileHeartbeating(() => finish(input));
    },
  };
}
