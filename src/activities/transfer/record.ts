import { Prisma, type Server, type Transfer } from '../../generated/prisma/client';
import type { Db } from '../../lib/db';
import type { Checkpoint } from './checkpoint';
import type { ProgressReporter } from './progress';

/** The Transfer row's writes during one attempt of its transfer. */
export class TransferRecord {
  constructor(
    private readonly db: Db,
    private readonly row: Transfer & { server: Server },
    private readonly progress: ProgressReporter,
  ) {}

  /**
   * With `keep` nothing is left to do once the object is verified, so the
   * final status goes into the same write as the SHA-256: for a small file
   * that saves the workflow a local activity, an activation and a write.
   * With `delete` or `move` the workflow records it after the action.
   */
  get keepsSource(): boolean {
    return this.row.server.afterTransfer === 'keep';
  }

  private ending(status: 'completed' | 'skipped') {
    return this.keepsSource ? { status, error: null, finishedAt: new Date() } : {};
  }

  /** The object is stored and verified: its SHA-256, and the upload and checkpoint forgotten. */
  async completed(sha256: string, size: number): Promise<void> {
    await this.db.transfer.update({
      where: { id: this.row.id },
      data: {
        sha256,
        bytesDone: size,
        uploadId: null,
        checkpoint: Prisma.DbNull,
        ...this.ending('completed'),
      },
    });
  }

  /** An identical object was already stored. */
  async skipped(sha256: string, size: number): Promise<void> {
    await this.db.transfer.update({
      where: { id: this.row.id },
      data: { sha256, bytesDone: size, ...this.ending('skipped') },
    });
  }

  /**
   * Records the checkpoint after each part. The next part's buffer waits for
   * this write, and a commit that waits for the disk is slow now and then, so
   * it does not wait (synchronous_commit off). Only a crash of the database
   * itself can lose the last few checkpoints; a resumed transfer then starts
   * from an earlier one, which ListParts confirms, and uploads a few parts
   * again. The very first one (the multipart upload's ID) is waited for:
   * without it the upload could not be found to abort.
   */
  async saveCheckpoint(cp: Checkpoint): Promise<void> {
    const update = this.db.transfer.update({
      where: { id: this.row.id },
      data: { uploadId: cp.uploadId, checkpoint: cp, bytesDone: cp.offset },
    });
    if (cp.parts.length === 0) await update;
    else await this.db.$transaction([this.db.$executeRaw`SET LOCAL synchronous_commit = off`, update]);
    this.progress.update(cp.offset, cp);
  }

  /** Where this attempt started reading (the crash tests count re-read bytes from it). */
  async attemptStarted(attempt: number, startOffset: number): Promise<void> {
    await this.db.transferAttempt.create({
      data: { transferId: this.row.id, attempt, startOffset: BigInt(startOffset) },
    });
  }

  /** The multipart upload the row names now (an earlier attempt's, or this one's). */
  async uploadId(): Promise<string | null> {
    const current = await this.db.transfer.findUnique({ where: { id: this.row.id } });
    return current?.uploadId ?? null;
  }

  /** The row's multipart upload was aborted: start over from byte 0. */
  async uploadDiscarded(): Promise<void> {
    await this.db.transfer.update({
      where: { id: this.row.id },
      data: { uploadId: null, checkpoint: Prisma.DbNull, bytesDone: 0 },
    });
  }
}
