import type { S3Client } from '@aws-sdk/client-s3';
import type { SFTPWrapper } from 'ssh2';
import { BufferPool } from '../sftp/buffer-pool';
import { readParts } from '../sftp/pipelined-reader';
import type { Checkpoint } from './checkpoint';
import { ResumableSha256 } from './resumable-sha256';
import { type ObjectRef, uploadPart } from '../../lib/s3';
import { readError, type ReadTuning, type SourceFile, withReadHandle } from './source';

/**
 * Part buffers per transfer. A part holds its buffer from the first byte read
 * until it is uploaded, hashed and recorded in the checkpoint, so at most this
 * many parts are ever unrecorded: a crash re-reads at most two parts
 * (docs/ingest.md), and memory is 2 × part size whatever the file size.
 */
export const PARTS_IN_MEMORY = 2;

export interface MultipartJob {
  s3: S3Client;
  sftp: SFTPWrapper;
  ref: ObjectRef;
  file: SourceFile;
  tuning: ReadTuning;
  /** Cancellation of the activity. */
  signal: AbortSignal;
  /** Persists (and heartbeats) a checkpoint; called in part order. */
  saveCheckpoint: (cp: Checkpoint) => Promise<void>;
}

/** Uploads every part from `cp.offset` to the end of the file; returns the last checkpoint and the file's SHA-256. */
export async function uploadRemainingParts(
  job: MultipartJob,
  cp: Checkpoint,
): Promise<{ checkpoint: Checkpoint; sha256: string }> {
  const hasher = await ResumableSha256.start(cp.hashState ? Buffer.from(cp.hashState, 'base64') : undefined);
  try {
    const checkpoint = cp.offset < job.file.size ? await uploadParts(job, cp, hasher) : cp;
    return { checkpoint, sha256: await hasher.digestHex() };
  } finally {
    await hasher.close();
  }
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Lets a promise run ahead of the code that awaits it without an unhandled rejection meanwhile. */
function settle<T>(p: Promise<T>): Promise<Settled<T>> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

function unwrap<T>(s: Settled<T>): T {
  if (!s.ok) throw s.error;
  return s.value;
}

/**
 * The pipeline: the reader fills part buffers (many SFTP requests in flight);
 * each full part is checksummed in the hashing thread and uploaded at once,
 * while the same thread adds it to the file's hash; parts are then retired in
 * order — recorded in the checkpoint and their buffer handed back to the
 * reader. Any failure aborts the reads and in-flight uploads, and waits for
 * them, so that a retry never races them.
 */
async function uploadParts(
  job: MultipartJob,
  start: Checkpoint,
  hasher: ResumableSha256,
): Promise<Checkpoint> {
  const { s3, sftp, ref, file } = job;
  const state: Checkpoint = { ...start, parts: [...start.parts] };
  const pool = new BufferPool(state.partSize, PARTS_IN_MEMORY, true);
  const abort = new AbortController();
  const onCancel = () => abort.abort(job.signal.reason);
  job.signal.addEventListener('abort', onCancel, { once: true });
  let retired: Promise<void> = Promise.resolve();
  try {
    if (job.signal.aborted) onCancel();
    await withReadHandle(sftp, file.path, async (handle) => {
      const parts = readParts(sftp, handle, {
        start: state.offset,
        size: file.size,
        partSize: state.partSize,
        pool,
        signal: abort.signal,
        ...job.tuning,
      });
      try {
        for await (const part of parts) {
          // Both hashes in the thread, the part's first: its upload waits for it.
          const partSha256 = hasher.sha256Of(part.data);
          const hashed = settle(hasher.update(part.data));
          const uploaded = settle(
            partSha256.then((sha256) =>
              uploadPart(s3, ref, state.uploadId, part.partNumber, part.data, sha256, abort.signal),
            ),
          );
          retired = retired.then(async () => {
            const record = unwrap(await uploaded);
            const hashState = unwrap(await hashed);
            state.parts.push(record);
            state.offset = part.offset + part.data.length;
            state.hashState = hashState.toString('base64');
            await job.saveCheckpoint({ ...state, parts: [...state.parts] });
            part.release();
          });
          // A failed part stops the reader now, rather than when its turn to retire comes.
          void retired.catch((err: unknown) => abort.abort(err));
        }
      } catch (err) {
        throw readError(err, file);
      }
    });
    await retired;
    return state;
  } catch (err) {
    abort.abort(err);
    await settle(retired);
    throw err;
  } finally {
    job.signal.removeEventListener('abort', onCancel);
  }
}
