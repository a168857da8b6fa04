import { createHash } from 'node:crypto';
import type { SFTPWrapper, Stats } from 'ssh2';
import { BufferPool } from '../sftp/buffer-pool';
import { readParts, SourceTruncatedError } from '../sftp/pipelined-reader';
import { sftpRequest } from '../sftp/request';
import { classifySftpError, sourceChanged } from './failures';

/** The file version a Transfer row stands for. */
export interface SourceFile {
  path: string;
  size: number;
  mtimeMs: number;
}

export interface ReadTuning {
  chunkBytes: number;
  concurrency: number;
}

/** An SFTP request whose failure is classified (a vanished file, a refusal) for the transfer. */
async function classifiedRequest<T>(
  sftp: SFTPWrapper,
  what: string,
  fn: (cb: (err: Error | null | undefined, value: T) => void) => void,
): Promise<T> {
  try {
    return await sftpRequest(sftp, what, fn);
  } catch (err) {
    throw classifySftpError(err, what);
  }
}

export function statRemote(sftp: SFTPWrapper, path: string): Promise<Stats> {
  return classifiedRequest(sftp, `stat ${path}`, (cb) => sftp.stat(path, cb));
}

/**
 * Fails non-retryably unless the file still has the listed size and mtime.
 * SFTP v3 reports mtime in whole seconds, which is what the scan stored (×1000).
 */
export async function assertUnchanged(sftp: SFTPWrapper, file: SourceFile, when: string): Promise<void> {
  const st = await statRemote(sftp, file.path);
  const listedSeconds = Math.floor(file.mtimeMs / 1000);
  if (st.size !== file.size || st.mtime !== listedSeconds) {
    throw sourceChanged(
      `${file.path} ${when}: now ${st.size} bytes, mtime ${st.mtime}; listed ${file.size} bytes, mtime ${listedSeconds}`,
    );
  }
}

/** Runs `fn` with an open read handle, closed afterwards whatever happens. */
export async function withReadHandle<T>(
  sftp: SFTPWrapper,
  path: string,
  fn: (handle: Buffer) => Promise<T>,
): Promise<T> {
  const handle = await classifiedRequest<Buffer>(sftp, `open ${path}`, (cb) => sftp.open(path, 'r', cb));
  try {
    return await fn(handle);
  } finally {
    // The handle dies with the connection anyway: a failed or lost close must not hide fn's outcome.
    await sftpRequest<void>(sftp, `close ${path}`, (cb) => sftp.close(handle, cb), 5_000).catch(
      () => undefined,
    );
  }
}

/** Maps the reader's "file ended early" to SourceChanged; other errors keep their retryability. */
export function readError(err: unknown, file: SourceFile): Error {
  if (err instanceof SourceTruncatedError) return sourceChanged(`${file.path}: ${err.message}`);
  return classifySftpError(err, `read ${file.path}`);
}

/** A file of at most one part, read whole (pipelined) into memory. */
export async function readWhole(
  sftp: SFTPWrapper,
  file: SourceFile,
  tuning: ReadTuning,
  signal: AbortSignal,
): Promise<Buffer> {
  if (file.size === 0) return Buffer.alloc(0);
  const pool = new BufferPool(file.size, 1);
  return await withReadHandle(sftp, file.path, async (handle) => {
    try {
      for await (const part of readParts(sftp, handle, {
        start: 0,
        size: file.size,
        partSize: file.size,
        pool,
        signal,
        ...tuning,
      })) {
        return part.data;
      }
    } catch (err) {
      throw readError(err, file);
    }
    throw new Error(`read of ${file.path} returned no data`);
  });
}

/** SHA-256 of the whole file, read without uploading (to compare with an object already stored). */
export async function hashRemote(
  sftp: SFTPWrapper,
  file: SourceFile,
  partSize: number,
  tuning: ReadTuning,
  signal: AbortSignal,
): Promise<string> {
  const hash = createHash('sha256');
  const pool = new BufferPool(partSize, 2);
  await withReadHandle(sftp, file.path, async (handle) => {
    try {
      for await (const part of readParts(sftp, handle, {
        start: 0,
        size: file.size,
        partSize,
        pool,
        signal,
        ...tuning,
      })) {
        hash.update(part.data);
        part.release();
      }
    } catch (err) {
      throw readError(err, file);
    }
  });
  return hash.digest('hex');
}
