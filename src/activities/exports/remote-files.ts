import type { SFTPWrapper, Stats } from 'ssh2';
import { Failure, nonRetryable } from '../../workflows/contract';
import { sftpRequest } from '../sftp/request';

/** The target server's side of a delivery: the files and directories an export writes. */

// SFTP status codes (draft-ietf-secsh-filexfer-02 §7).
const NO_SUCH_FILE = 2;
const PERMISSION_DENIED = 3;

export async function statOrNull(sftp: SFTPWrapper, p: string): Promise<Stats | null> {
  try {
    return await sftpRequest<Stats>(sftp, `stat ${p}`, (cb) => sftp.stat(p, cb));
  } catch (err) {
    if ((err as { code?: number }).code === NO_SUCH_FILE) return null;
    throw err;
  }
}

export async function openTemp(sftp: SFTPWrapper, tempPath: string, resume: boolean): Promise<Buffer> {
  try {
    return await sftpRequest<Buffer>(sftp, `open ${tempPath}`, (cb) =>
      sftp.open(tempPath, resume ? 'r+' : 'w', cb),
    );
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (code === NO_SUCH_FILE || code === PERMISSION_DENIED) {
      throw nonRetryable(Failure.RemoteDirUnwritable, `cannot write ${tempPath}: ${(err as Error).message}`);
    }
    throw err;
  }
}

/** Creates the target directory and its parents where missing (a partner's inbox may be new). */
export async function ensureDirectory(sftp: SFTPWrapper, dir: string): Promise<void> {
  const parts = dir.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const p = parts.slice(0, i).join('/');
    if (p === '' || p === '.') continue;
    const stats = await statOrNull(sftp, p);
    if (stats?.isDirectory()) continue;
    if (stats)
      throw nonRetryable(
        Failure.RemoteDirUnwritable,
        `${p} exists on the target server and is not a directory`,
      );
    try {
      await sftpRequest<void>(sftp, `mkdir ${p}`, (cb) => sftp.mkdir(p, cb));
    } catch (err) {
      // Made meanwhile by another export to the same directory: fine.
      if ((await statOrNull(sftp, p))?.isDirectory()) continue;
      const code = (err as { code?: number }).code;
      if (code === PERMISSION_DENIED || code === NO_SUCH_FILE) {
        throw nonRetryable(
          Failure.RemoteDirUnwritable,
          `cannot create ${p} on the target server: ${(err as Error).message}`,
        );
      }
      throw err;
    }
  }
}

/** Renames into place: atomic replace (posix-rename) with overwrite, else a rename that refuses to replace. */
export async function rename(sftp: SFTPWrapper, from: string, to: string, overwrite: boolean): Promise<void> {
  const extensions = (sftp as unknown as { _extensions?: Record<string, string> })._extensions ?? {};
  if (overwrite && extensions['posix-rename@openssh.com'] === '1') {
    await sftpRequest<void>(sftp, `rename ${from}`, (cb) => sftp.ext_openssh_rename(from, to, cb));
    return;
  }
  if (overwrite && (await statOrNull(sftp, to))) {
    // No atomic replace on this server: the old file goes first, so for a moment there is none.
    await sftpRequest<void>(sftp, `remove ${to}`, (cb) => sftp.unlink(to, cb));
  }
  try {
    await sftpRequest<void>(sftp, `rename ${from}`, (cb) => sftp.rename(from, to, cb));
  } catch (err) {
    if (await statOrNull(sftp, to)) throw existsFailure(to);
    throw err;
  }
}

export function existsFailure(finalPath: string) {
  return nonRetryable(
    Failure.RemoteFileExists,
    `${finalPath} already exists on the target server (the export did not ask to overwrite it)`,
  );
}
