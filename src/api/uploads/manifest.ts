import type { UploadStatus } from '../../generated/prisma/client';
import type { Db } from '../../lib/db';
import { isUniqueViolation } from '../../lib/db';
import { ConflictError, NotFoundError, PayloadTooLargeError } from '../../lib/errors';

export interface NewChunk {
  uploadId: string;
  index: number;
  size: number;
  sha256: string;
  stagingKey: string;
}

/** `recorded`: this PUT's object is now the chunk; `duplicate`: the same content was already there. */
export type RecordOutcome = 'recorded' | 'duplicate';

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

interface LockedUpload {
  status: UploadStatus;
  expiresAt: Date;
  size: bigint | null;
}

/**
 * Reads the upload row under a lock: chunk PUTs take it shared, `complete`
 * exclusive, so no chunk is added to a manifest after it was judged whole.
 */
async function lockUpload(tx: Tx, uploadId: string, mode: 'SHARE' | 'UPDATE'): Promise<LockedUpload> {
  const rows =
    mode === 'SHARE'
      ? await tx.$queryRaw<
          LockedUpload[]
        >`SELECT status, "expiresAt", size FROM "Upload" WHERE id = ${uploadId}::uuid FOR SHARE`
      : await tx.$queryRaw<
          LockedUpload[]
        >`SELECT status, "expiresAt", size FROM "Upload" WHERE id = ${uploadId}::uuid FOR UPDATE`;
  const row = rows[0];
  if (!row) throw new NotFoundError('upload', uploadId);
  return row;
}

export function assertReceiving(uploadId: string, row: { status: UploadStatus; expiresAt: Date }): void {
  if (row.status === 'receiving' && row.expiresAt <= new Date()) {
    throw new ConflictError(`upload ${uploadId} expired at ${row.expiresAt.toISOString()}`);
  }
  if (row.status !== 'receiving') {
    throw new ConflictError(`upload ${uploadId} is ${row.status}; it no longer accepts chunks`);
  }
}

/** Same index and same SHA-256 is a repeat; a different SHA-256 for a recorded index is refused. */
export function compareWithRecorded(chunk: { index: number; sha256: string }, recorded: { sha256: string }) {
  if (recorded.sha256 !== chunk.sha256) {
    throw new ConflictError(
      `chunk ${chunk.index} was already received with SHA-256 ${recorded.sha256}; chunks cannot be replaced`,
    );
  }
  return 'duplicate' as const;
}

export async function recordChunk(db: Db, chunk: NewChunk): Promise<RecordOutcome> {
  const where = { uploadId_index: { uploadId: chunk.uploadId, index: chunk.index } };
  try {
    return await db.$transaction(async (tx) => {
      const row = await lockUpload(tx, chunk.uploadId, 'SHARE');
      assertReceiving(chunk.uploadId, row);
      const recorded = await tx.uploadChunk.findUnique({ where });
      if (recorded) return compareWithRecorded(chunk, recorded);
      if (row.size !== null) await assertWithinDeclaredSize(tx, chunk, row.size);
      await tx.uploadChunk.create({ data: { ...chunk, size: BigInt(chunk.size) } });
      return 'recorded' as const;
    });
  } catch (err) {
    // A concurrent PUT of the same index won the insert.
    if (!isUniqueViolation(err)) throw err;
    return compareWithRecorded(chunk, await db.uploadChunk.findUniqueOrThrow({ where }));
  }
}

/**
 * Refuses a chunk that would take the upload past the size it declared.
 * Chunk PUTs of one upload share the row's lock, so they take a lock of the
 * upload's own here: two chunks cannot each fit alone and overflow together.
 */
async function assertWithinDeclaredSize(tx: Tx, chunk: NewChunk, declared: bigint): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${chunk.uploadId}, 0))`;
  const [{ total }] = await tx.$queryRaw<[{ total: bigint }]>`
    SELECT coalesce(sum(size), 0)::bigint AS total FROM "UploadChunk" WHERE "uploadId" = ${chunk.uploadId}::uuid`;
  assertFits(total, chunk.size, declared);
}

/** `received` bytes recorded plus a chunk of `size` must not exceed the declared size. */
export function assertFits(received: bigint, size: number, declared: bigint): void {
  if (received + BigInt(size) > declared) {
    throw new PayloadTooLargeError(
      `a chunk of ${size} bytes would take the upload to ${received + BigInt(size)} bytes, past its declared size of ${declared}`,
    );
  }
}

/** Indexes below the expected count (or the highest received) that were not received. */
export function missingChunks(received: number[], chunkCount?: number): number[] {
  const have = new Set(received);
  const end = Math.max(
    chunkCount ?? 0,
    received.reduce((m, i) => Math.max(m, i + 1), 0),
  );
  const missing: number[] = [];
  for (let i = 0; i < end; i++) if (!have.has(i)) missing.push(i);
  return missing;
}

/**
 * Judges the manifest whole and moves the upload to `queued` (from then on
 * it is a job: the view "Job"). Returns the status afterwards: a repeated `complete` finds the upload
 * queued or further along and changes nothing. Few statements, because
 * `complete` must answer within milliseconds; the chunks are read after the
 * lock is held, so a chunk committed meanwhile is seen.
 */
export async function queueUpload(db: Db, uploadId: string, chunkCount?: number): Promise<UploadStatus> {
  return await db.$transaction(async (tx) => {
    // `complete` must answer at once, and a commit that waits for the disk
    // (fsync) takes tens of milliseconds now and then. Not waiting is safe
    // here: the durable record of the request is the workflow's signal, sent
    // after this commit; should a database crash lose 'queued', the workflow
    // still assembles (prepareUploadAssembly accepts 'receiving').
    await tx.$executeRaw`SET LOCAL synchronous_commit = off`;
    const row = await lockUpload(tx, uploadId, 'UPDATE');
    if (['queued', 'processing', 'completed', 'failed'].includes(row.status)) return row.status;
    assertReceiving(uploadId, row);
    const [{ indexes, total }] = await tx.$queryRaw<[{ indexes: number[]; total: bigint }]>`
      SELECT coalesce(array_agg(index), '{}') AS indexes, coalesce(sum(size), 0)::bigint AS total
        FROM "UploadChunk" WHERE "uploadId" = ${uploadId}::uuid`;
    const missing = missingChunks(indexes, chunkCount);
    if (missing.length) {
      const shown = missing.slice(0, 20).join(', ') + (missing.length > 20 ? ', …' : '');
      throw new ConflictError(`upload ${uploadId} is missing ${missing.length} chunks: ${shown}`, {
        missingChunks: missing,
      });
    }
    if (chunkCount !== undefined && indexes.length > chunkCount) {
      throw new ConflictError(`received ${indexes.length} chunks, more than chunkCount ${chunkCount}`);
    }
    if (row.size !== null && total !== row.size) {
      throw new ConflictError(`received ${total} bytes, the upload declared ${row.size}`, {
        receivedBytes: Number(total),
      });
    }
    await tx.$executeRaw`UPDATE "Upload" SET status = 'queued', "updatedAt" = now() WHERE id = ${uploadId}::uuid`;
    return 'queued';
  });
}
