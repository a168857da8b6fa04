import path from 'node:path';
import type { SFTPWrapper, Stats } from 'ssh2';
import type SftpClient from 'ssh2-sftp-client';
import type { Server, Transfer } from '../../generated/prisma/client';
import type { Logger } from '../../lib/logger';
import { rawSftp } from '../sftp/connection';
import { sftpRequest } from '../sftp/request';
import { Failure, nonRetryable } from '../../workflows/contract';

export type AfterTransferDone = 'kept' | 'deleted' | 'moved' | 'already-gone' | 'newer-version-left';

/**
 * Applies the server's after-transfer action to the source. Called by the
 * workflow only after the object was verified. Idempotent, because an
 * activity may run twice: a source that is already gone counts as done, and
 * a file that is now a different version (new size or mtime) is left alone —
 * it is not what was uploaded, and the next scan will pick it up.
 */
export async function applyAction(
  client: SftpClient,
  row: Transfer & { server: Server },
  log: Logger,
): Promise<AfterTransferDone> {
  const { server } = row;
  if (server.afterTransfer === 'keep') return 'kept';
  const sftp = rawSftp(client);
  const st = await statIfExists(sftp, row.remotePath);
  if (!st) {
    log.info({ remotePath: row.remotePath }, 'source already gone; after-transfer action counts as done');
    return 'already-gone';
  }
  if (st.size !== Number(row.size) || st.mtime !== Math.floor(Number(row.mtimeMs) / 1000)) {
    log.warn({ remotePath: row.remotePath }, 'source was replaced by a newer version; left in place');
    return 'newer-version-left';
  }
  if (server.afterTransfer === 'delete') {
    await client.delete(row.remotePath);
    return 'deleted';
  }
  if (!server.archiveDir) {
    throw nonRetryable(
      Failure.InvalidTransfer,
      `server ${server.id} moves transferred files but has no archiveDir`,
    );
  }
  const target = archivePath(server.remoteDir, server.archiveDir, row.remotePath);
  await client.mkdir(path.posix.dirname(target), true);
  await renameReplacing(sftp, row.remotePath, target);
  log.info({ remotePath: row.remotePath, archivedAs: target }, 'source moved to the archive');
  return 'moved';
}

/** Keeps the file's place below the scanned directory, so equal names in subdirectories do not collide. */
export function archivePath(remoteDir: string, archiveDir: string, remotePath: string): string {
  const rel = path.posix.relative(remoteDir, remotePath);
  const inside = rel !== '' && !rel.startsWith('..') && !path.posix.isAbsolute(rel);
  return path.posix.join(archiveDir, inside ? rel : path.posix.basename(remotePath));
}

async function statIfExists(sftp: SFTPWrapper, remotePath: string): Promise<Stats | undefined> {
  try {
    return await sftpRequest<Stats>(sftp, `stat ${remotePath}`, (cb) => sftp.stat(remotePath, cb));
  } catch (err) {
    // SFTP status 2: NO_SUCH_FILE.
    if ((err as { code?: unknown }).code === 2) return undefined;
    throw err;
  }
}

/**
 * SFTP v3 RENAME refuses an existing target; OpenSSH's posix-rename extension
 * replaces it atomically (an archive may hold an older file of the same name).
 */
function renameReplacing(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  return sftpRequest<void>(sftp, `rename ${from} to ${to}`, (done) => {
    try {
      sftp.ext_openssh_rename(from, to, done);
    } catch {
      // Thrown synchronously when the server does not offer the extension.
      sftp.rename(from, to, done);
    }
  });
}
