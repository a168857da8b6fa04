import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { FileEntryWithStats, SFTPWrapper } from 'ssh2';
import type SftpClient from 'ssh2-sftp-client';
import { rawSftp } from '../sftp/connection';

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
  /** Called before each directory is read; throws to stop the walk (cancellation). */
  beforeDirectory: () => void;
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

function readdir(sftp: SFTPWrapper, dir: string): Promise<FileEntryWithStats[]> {
  return new Promise((resolve, reject) => {
    sftp.readdir(dir, (err, list) => (err ? reject(err) : resolve(list)));
  });
}

/**
 * Lists remoteDir (and below it when recursive) one directory at a time, so
 * a caller can store each batch before reading the next. Types come from the
 * entry's attributes, which OpenSSH reports as lstat: symlinks are seen as
 * symlinks and skipped (never followed: no loops, no escaping remoteDir), as
 * are sockets, devices and the like.
 */
export async function* walkRemote(client: SftpClient, opts: WalkOptions): AsyncGenerator<ListedFile[]> {
  const cwd = await client.cwd();
  const absolute = (p: string) => path.posix.resolve(cwd, p);
  const skip = new Set(opts.skipDirs.map(absolute));
  const sftp = rawSftp(client);
  const pending: string[] = [''];
  for (let rel = pending.pop(); rel !== undefined; rel = pending.pop()) {
    opts.beforeDirectory();
    const dir = rel === '' ? opts.remoteDir : path.posix.join(opts.remoteDir, rel);
    let entries: FileEntryWithStats[];
    try {
      entries = await readdir(sftp, dir);
    } catch (err) {
      if (!isUnreadable(err)) throw err;
      // Retrying cannot make a missing or forbidden remoteDir readable: the scan fails and says why.
      if (rel === '') {
        throw ApplicationFailure.nonRetryable(
          `cannot list remote directory "${dir}": ${err.message}`,
          'RemoteDirUnreadable',
        );
      }
      opts.onUnreadableDir(dir, err.message);
      continue;
    }
    const files: ListedFile[] = [];
    for (const entry of entries) {
      const childRel = rel === '' ? entry.filename : `${rel}/${entry.filename}`;
      const childPath = path.posix.join(opts.remoteDir, childRel);
      if (entry.attrs.isDirectory()) {
        if (opts.recursive && !skip.has(absolute(childPath))) pending.push(childRel);
      } else if (entry.attrs.isFile()) {
        files.push({
          rel: childRel,
          remotePath: childPath,
          size: entry.attrs.size,
          mtimeMs: entry.attrs.mtime * 1000,
        });
      }
    }
    yield files;
  }
}
