import path from 'node:path';
import type { FileEntryWithStats, SFTPWrapper } from 'ssh2';
import type SftpClient from 'ssh2-sftp-client';
import { rawSftp } from '../sftp/connection';
import { sftpRequest } from '../sftp/request';
import { Failure, nonRetryable } from '../../workflows/contract';

/** A regular file as listed: its path relative to the scanned directory and as the server names it. */
export interface ListedFile {
  rel: string;
  remotePath: string;
  size: number;
  mtimeMs: number;
}

export interface WalkOptions {
  remoteDir: string;
  recursive: boolean;
  /** Directories never entered (the archive directory, so moved files are not found again). */
  skipDirs: readonly string[];
  /** Called before each page of a directory is read; throws to stop the walk (cancellation). */
  beforeRead: () => void;
  /** A subdirectory that vanished or may not be read while walking; the walk goes on without it. */
  onUnreadableDir: (dir: string, reason: string) => void;
}

// SFTP status codes (draft-ietf-secsh-filexfer-02, section 7).
const SSH_FX_NO_SUCH_FILE = 2;
const SSH_FX_PERMISSION_DENIED = 3;

/** ssh2 puts the SFTP status code of a failed request on the error as `code`. */
function isUnreadable(err: unknown): err is Error {
  const code = (err as { code?: unknown } | undefined)?.code;
  return err instanceof Error && (code === SSH_FX_NO_SUCH_FILE || code === SSH_FX_PERMISSION_DENIED);
}

/** Entries read before the walk hands a batch over (and the caller heartbeats), however big the directory. */
const ENTRIES_PER_BATCH = 1000;
/** Deeper directories are not entered: no real tree is this deep, a loop through a server that follows links is. */
export const MAX_DEPTH = 64;

/** SSH_FX_EOF: READDIR's answer once a directory has been read to its end. */
const SSH_FX_EOF = 1;

/**
 * Reads a directory a page at a time (one READDIR each; OpenSSH answers ~100
 * entries per page), so a directory of a million files is neither held in
 * memory at once nor read without a heartbeat for minutes. The handle is
 * closed however the walk ends.
 */
async function* readDirectory(sftp: SFTPWrapper, dir: string): AsyncGenerator<FileEntryWithStats[]> {
  const handle = await sftpRequest<Buffer>(sftp, `opendir ${dir}`, (cb) => sftp.opendir(dir, cb));
  try {
    for (;;) {
      try {
        yield await sftpRequest<FileEntryWithStats[]>(sftp, `readdir ${dir}`, (cb) =>
          sftp.readdir(handle, cb),
        );
      } catch (err) {
        if ((err as { code?: unknown }).code === SSH_FX_EOF) return;
        throw err;
      }
    }
  } finally {
    await sftpRequest<void>(sftp, `close ${dir}`, (cb) => sftp.close(handle, cb), 5_000).catch(
      () => undefined,
    );
  }
}

/**
 * Lists remoteDir (and below it when recursive) a batch at a time, so a
 * caller can store and heartbeat each batch before reading the next. Types
 * come from the entry's attributes, which OpenSSH reports as lstat: symlinks
 * are seen as symlinks and skipped (never followed: no loops, no escaping
 * remoteDir), as are sockets, devices and the like. For servers that report
 * a link's target instead, directories deeper than MAX_DEPTH are not entered.
 */
export async function* walkRemote(client: SftpClient, opts: WalkOptions): AsyncGenerator<ListedFile[]> {
  const cwd = await client.cwd();
  const absolute = (p: string) => path.posix.resolve(cwd, p);
  const skip = new Set(opts.skipDirs.map(absolute));
  const sftp = rawSftp(client);
  const pending: { rel: string; depth: number }[] = [{ rel: '', depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { rel, depth } = next;
    const dir = rel === '' ? opts.remoteDir : path.posix.join(opts.remoteDir, rel);
    let files: ListedFile[] = [];
    let read = 0;
    try {
      opts.beforeRead();
      for await (const entries of readDirectory(sftp, dir)) {
        for (const entry of entries) {
          const childRel = rel === '' ? entry.filename : `${rel}/${entry.filename}`;
          const childPath = path.posix.join(opts.remoteDir, childRel);
          if (entry.attrs.isDirectory()) {
            if (!opts.recursive || skip.has(absolute(childPath))) continue;
            if (depth + 1 > MAX_DEPTH) opts.onUnreadableDir(childPath, `deeper than ${MAX_DEPTH} levels`);
            else pending.push({ rel: childRel, depth: depth + 1 });
          } else if (entry.attrs.isFile()) {
            files.push({
              rel: childRel,
              remotePath: childPath,
              size: entry.attrs.size,
              mtimeMs: entry.attrs.mtime * 1000,
            });
          }
        }
        read += entries.length;
        if (read >= ENTRIES_PER_BATCH) {
          yield files;
          files = [];
          read = 0;
          opts.beforeRead();
        }
      }
    } catch (err) {
      if (!isUnreadable(err)) throw err;
      // Retrying cannot make a missing or forbidden remoteDir readable: the scan fails and says why.
      if (rel === '') {
        throw nonRetryable(
          Failure.RemoteDirUnreadable,
          `cannot list remote directory "${dir}": ${err.message}`,
        );
      }
      opts.onUnreadableDir(dir, err.message);
    }
    yield files;
  }
}
