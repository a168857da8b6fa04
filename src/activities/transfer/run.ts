import { createHash } from 'node:crypto';
import { type Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { SFTPWrapper } from 'ssh2';
import type { Server, Transfer } from '../../generated/prisma/client';
import type { Logger } from '../../lib/logger';
import type { ActivityDeps } from '../deps';
import { abortLostUploads } from '../lost-uploads';
import {
  type Checkpoint,
  checkpointMatches,
  latestCheckpoint,
  parseCheckpoint,
  partSizeFor,
} from './checkpoint';
import { type MultipartJob, uploadRemainingParts } from './multipart';
import { ProgressReporter } from './progress';
import {
  abortUpload,
  completeMultipartUpload,
  compositeChecksum,
  createMultipartUpload,
  describeObject,
  listPartsIfOpen,
  type ObjectRef,
  putWhole,
  type PutAnswer,
  type StoredObject,
  tagSha256,
  WRITER_METADATA,
} from '../../lib/s3';
import { TransferRecord } from './record';
import { assertUnchanged, hashRemote, readWhole, type ReadTuning, type SourceFile } from './source';
import { isCompletedFrom, verifyObject, verifyPut } from './verify';

export interface RunResult {
  status: 'completed' | 'skipped';
  sha256: string;
  /** The row already holds the final status (TransferRecord.keepsSource); the workflow need not write it. */
  recorded: boolean;
}

/**
 * One attempt of one file version's transfer. Files of at most one part go
 * in a single PutObject; larger ones through a multipart upload that resumes
 * from the checkpoint of an earlier attempt. Either way the object is
 * verified (size, storage checksum, sha256 tag) before the attempt succeeds.
 */
export class TransferRun {
  private readonly ref: ObjectRef;
  private readonly file: SourceFile;
  private readonly tuning: ReadTuning;
  private readonly progress: ProgressReporter;
  private readonly record: TransferRecord;

  constructor(
    private readonly deps: ActivityDeps,
    private readonly ctx: Context,
    private readonly row: Transfer & { server: Server },
    private readonly log: Logger,
  ) {
    this.ref = { Bucket: row.bucket, Key: row.objectKey };
    this.file = { path: row.remotePath, size: Number(row.size), mtimeMs: Number(row.mtimeMs) };
    this.tuning = {
      chunkBytes: deps.config.SFTP_READ_CHUNK_BYTES,
      concurrency: deps.config.SFTP_READ_CONCURRENCY,
    };
    this.progress = new ProgressReporter(ctx, deps.temporal, log, this.file.size);
    this.record = new TransferRecord(deps.db, row, this.progress);
  }

  async execute(sftp: SFTPWrapper): Promise<RunResult> {
    try {
      const { transferPartBytes, TRANSFER_MAX_PART_MIB } = this.deps.config;
      const partSize = partSizeFor(this.file.size, transferPartBytes, TRANSFER_MAX_PART_MIB * 1024 * 1024);
      if (this.file.size <= partSize && !this.row.uploadId) return await this.putWholeFile(sftp);
      await assertUnchanged(sftp, this.file, 'before transfer');
      if (this.row.uploadId) {
        const resumed = await this.resume(sftp, this.row.uploadId);
        if (resumed) return resumed;
        if (this.file.size <= partSize) return await this.putWholeFile(sftp);
      }
      // Same size and a known SHA-256: maybe these very bytes. A file of up to two parts is hashed
      // first (a crash then re-reads no more than the resume allows); a larger one is compared once
      // its parts are read and uploaded (multipart()), so it is read once and resumes as any other.
      if (this.file.size <= 2 * partSize) {
        const existing = await describeObject(this.deps.s3, this.ref);
        if (existing?.size === this.file.size && existing.sha256) {
          const sha256 = await hashRemote(
            sftp,
            this.file,
            partSize,
            this.tuning,
            this.ctx.cancellationSignal,
          );
          if (sha256 === existing.sha256) return await this.alreadyStored(sha256, existing);
        }
      }
      // An earlier attempt may have died between opening its upload and recording it.
      if (this.row.startedAt) {
        const scheduled = new Date(this.ctx.info.currentAttemptScheduledTimestampMs);
        await abortLostUploads({ ...this.deps, log: this.log }, this.ref, scheduled);
      }
      const uploadId = await createMultipartUpload(this.deps.s3, this.ref, {
        ChecksumAlgorithm: 'SHA256',
        Metadata: { [WRITER_METADATA]: this.row.workflowId },
      });
      const cp: Checkpoint = { uploadId, partSize, offset: 0, hashState: '', parts: [] };
      await this.record.saveCheckpoint(cp);
      return await this.multipart(sftp, cp);
    } catch (err) {
      // A retry resumes the multipart upload; a failure that ends the transfer (or a cancel) discards it.
      const nonRetryable = err instanceof ApplicationFailure && err.nonRetryable;
      if (nonRetryable || this.ctx.cancellationDetails?.cancelRequested) {
        // The workflow's final markTransfer aborts it too, should this fail.
        await this.discardUpload().catch((abortErr: unknown) =>
          this.log.error({ err: abortErr }, 'could not abort the multipart upload'),
        );
      }
      throw err;
    } finally {
      this.progress.stop();
    }
  }

  /** Picks up the multipart upload of an earlier attempt; undefined when it cannot be used. */
  private async resume(sftp: SFTPWrapper, uploadId: string): Promise<RunResult | undefined> {
    const cp = latestCheckpoint([
      parseCheckpoint(this.row.checkpoint, uploadId),
      parseCheckpoint(this.ctx.info.heartbeatDetails, uploadId),
    ]);
    const listed = await listPartsIfOpen(this.deps.s3, this.ref, uploadId);
    if (!listed) {
      // Gone: completed by an attempt that died before recording it, or aborted.
      if (
        cp?.offset === this.file.size &&
        (await isCompletedFrom(this.deps.s3, this.ref, this.file.size, cp.parts))
      ) {
        const { sha256 } = await uploadRemainingParts(this.multipartJob(sftp), cp);
        return await this.finish(sha256, compositeChecksum(cp.parts), false);
      }
      this.log.warn({ uploadId }, 'multipart upload no longer exists; starting over');
    } else if (cp && checkpointMatches(cp, listed, this.file.size)) {
      this.log.info({ uploadId, offset: cp.offset, parts: cp.parts.length }, 'resuming multipart upload');
      return await this.multipart(sftp, cp);
    } else {
      this.log.warn({ uploadId }, 'checkpoint does not match the parts in storage; starting over');
    }
    await this.discardUpload();
    return undefined;
  }

  private multipartJob(sftp: SFTPWrapper): MultipartJob {
    return {
      s3: this.deps.s3,
      sftp,
      ref: this.ref,
      file: this.file,
      tuning: this.tuning,
      signal: this.ctx.cancellationSignal,
      saveCheckpoint: (cp) => this.record.saveCheckpoint(cp),
    };
  }

  private async multipart(sftp: SFTPWrapper, cp: Checkpoint): Promise<RunResult> {
    await this.record.attemptStarted(this.ctx.info.attempt, cp.offset);
    const { checkpoint, sha256 } = await uploadRemainingParts(this.multipartJob(sftp), cp);
    // Bytes read from a file that changed meanwhile are not this version: never commit them.
    await assertUnchanged(sftp, this.file, 'after reading');
    // The stored object is already these bytes (a new version of the file with the same content):
    // keep it as it is rather than write it again.
    const stored = await describeObject(this.deps.s3, this.ref);
    if (stored?.size === this.file.size && stored.sha256 === sha256) {
      await this.discardUpload();
      return await this.alreadyStored(sha256, stored);
    }
    await completeMultipartUpload(this.deps.s3, this.ref, checkpoint.uploadId, checkpoint.parts);
    return await this.finish(sha256, compositeChecksum(checkpoint.parts), false);
  }

  /**
   * A file of one part: read whole, then one PutObject. No stat before the
   * read (the one after it is what proves the bytes are this version) and no
   * TransferAttempt (such a file is always read from 0).
   */
  private async putWholeFile(sftp: SFTPWrapper): Promise<RunResult> {
    const data = await readWhole(sftp, this.file, this.tuning, this.ctx.cancellationSignal);
    const digest = createHash('sha256').update(data).digest();
    const sha256 = digest.toString('hex');
    await assertUnchanged(sftp, this.file, 'after reading');
    const writtenBy = this.row.workflowId;
    let put = await putWhole(this.deps.s3, this.ref, data, digest, { onlyIfAbsent: true, writtenBy });
    if (!put) {
      const existing = await describeObject(this.deps.s3, this.ref);
      if (existing?.size === this.file.size && existing.sha256 === sha256) {
        return await this.alreadyStored(sha256, existing);
      }
      put = await putWhole(this.deps.s3, this.ref, data, digest, { writtenBy });
    }
    return await this.finish(sha256, digest.toString('base64'), put ?? { checksum: undefined });
  }

  /**
   * Records the SHA-256 with the object (a multipart one: `stored` false),
   * verifies the object, and the row. A single PutObject is verified by
   * storage's answer to it (verify.ts `verifyPut`).
   */
  private async finish(sha256: string, checksum: string, stored: PutAnswer | false): Promise<RunResult> {
    const expected = { size: this.file.size, sha256, checksum };
    if (stored) await verifyPut(this.deps.s3, this.ref, stored, expected);
    else {
      await tagSha256(this.deps.s3, this.ref, sha256);
      await verifyObject(this.deps.s3, this.ref, expected);
    }
    await this.record.completed(sha256, this.file.size);
    // No progress signal for the end: the workflow learns it from the result (one task fewer per file).
    return { status: 'completed', sha256, recorded: this.record.keepsSource };
  }

  /**
   * The key already holds these bytes. Stored by an earlier attempt of this
   * very transfer (it died before recording it): the transfer completed.
   * Stored by anything else: an identical object, so nothing to send (skipped).
   */
  private async alreadyStored(sha256: string, existing: StoredObject): Promise<RunResult> {
    if (existing.writtenBy !== this.row.workflowId) return await this.skipped(sha256);
    this.log.info({ sha256 }, 'object stored by an earlier attempt of this transfer; recording it');
    await this.record.completed(sha256, this.file.size);
    return { status: 'completed', sha256, recorded: this.record.keepsSource };
  }

  private async skipped(sha256: string): Promise<RunResult> {
    this.log.info({ sha256 }, 'identical object already stored; skipping upload');
    await this.record.skipped(sha256, this.file.size);
    return { status: 'skipped', sha256, recorded: this.record.keepsSource };
  }

  /** Aborts the multipart upload recorded on the row (if any) and forgets it. */
  private async discardUpload(): Promise<void> {
    const uploadId = await this.record.uploadId();
    if (!uploadId) return;
    await abortUpload(this.deps.s3, this.ref, uploadId);
    await this.record.uploadDiscarded();
  }
}
