import type { SecretKeyring } from '../../lib/secrets';
import path from 'node:path/posix';
import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CancelledFailure, Context } from '@temporalio/activity';
import type { SFTPWrapper, Stats } from 'ssh2';
import type { Db } from '../../lib/db';
import type { Logger } from '../../lib/logger';
import { loadSftpTarget, openSftp, rawSftp } from '../sftp/connection';
import { PipelinedWriter } from '../sftp/pipelined-writer';
import { sftpRequest } from '../sftp/request';
import { ensureDirectory, existsFailure, openTemp, rename, statOrNull } from './remote-files';
import type { ExportReporter } from './progress';
import type { ExportRow } from './store';

export interface DeliverDeps {
  db: Db;
  s3: S3Client;
  log: Logger;
  secretKey: SecretKeyring;
  writeBytes: number;
  writeConcurrency: number;
}

/** What a retried delivery resumes from (heartbeat details). */
interface DeliveryCheckpoint {
  tempPath: string;
  acked: number;
}

/** Where the archive lands: the final name, and the hidden temporary name it is written under. */
export function remotePathsOf(row: Pick<ExportRow, 'id' | 'directory' | 'archiveName'>) {
  return {
    finalPath: path.join(row.directory, row.archiveName),
    tempPath: path.join(row.directory, `.${row.archiveName}.${row.id.slice(0, 8)}.ferry-part`),
  };
}

/** Re-cuts a byte stream into `size`-byte writes at increasing offsets. */
async function writeStream(
  body: Readable,
  writer: PipelinedWriter,
  start: number,
  size: number,
  onSent: (end: number) => void,
) {
  let offset = start;
  let held: Buffer[] = [];
  let heldBytes = 0;
  const send = async (buf: Buffer) => {
    await writer.write(buf, offset);
    offset += buf.length;
    onSent(offset);
  };
  for await (const chunk of body as AsyncIterable<Buffer>) {
    held.push(chunk);
    heldBytes += chunk.length;
    if (heldBytes < size) continue;
    const all = Buffer.concat(held, heldBytes);
    let at = 0;
    for (; all.length - at >= size; at += size) await send(all.subarray(at, at + size));
    held = at < all.length ? [all.subarray(at)] : [];
    heldBytes = all.length - at;
  }
  if (heldBytes > 0) await send(Buffer.concat(held, heldBytes));
  await writer.drain();
  return offset;
}

/** Writes the staged archive to the temporary name from `start`; resolves when every write is answered. */
async function upload(
  deps: DeliverDeps,
  sftp: SFTPWrapper,
  row: ExportRow,
  tempPath: string,
  start: number,
  report: ExportReporter,
) {
  const ctx = Context.current();
  const size = Number(row.archiveSize);
  const handle = await openTemp(sftp, tempPath, start > 0);
  const writer = new PipelinedWriter(sftp, handle, start, deps.writeConcurrency);
  const onAbort = () => writer.fail(new CancelledFailure('export cancelled'));
  ctx.cancellationSignal.addEventListener('abort', onAbort);
  try {
    if (start < size) {
      const got = await deps.s3.send(
        new GetObjectCommand({ Bucket: row.bucket, Key: row.stagingKey ?? '', Range: `bytes=${start}-` }),
        { abortSignal: ctx.cancellationSignal },
      );
      await writeStream(got.Body as Readable, writer, start, deps.writeBytes, () =>
        report.update({ phase: 'delivering', bytesDone: writer.acked }, {
          tempPath,
          acked: writer.acked,
        } satisfies DeliveryCheckpoint),
      );
    }
    const stats = await sftpRequest<Stats>(sftp, `fstat ${tempPath}`, (cb) => sftp.fstat(handle, cb));
    if (stats.size !== size) {
      // Restarted from byte 0 by the retry: the checkpoint no longer matches the file.
      report.update({}, { tempPath, acked: 0 } satisfies DeliveryCheckpoint);
      throw new Error(`${tempPath} is ${stats.size} bytes after the upload, the archive ${size}`);
    }
  } finally {
    ctx.cancellationSignal.removeEventListener('abort', onAbort);
    writer.stop();
    await sftpRequest<void>(sftp, `close ${tempPath}`, (cb) => sftp.close(handle, cb)).catch((err: unknown) =>
      deps.log.debug({ err, tempPath }, 'closing the temporary file failed'),
    );
  }
}

/**
 * Delivers the staged archive: pipelined writes to a hidden temporary name
 * in the target directory, a size check, then a rename to the final name, so
 * a reader never sees a partial file there. A retry resumes from the prefix
 * the last attempt had confirmed written (heartbeat), or from byte 0.
 */
export async function deliverArchive(
  deps: DeliverDeps,
  row: ExportRow,
  report: ExportReporter,
): Promise<{ remotePath: string }> {
  const { finalPath, tempPath } = remotePathsOf(row);
  const size = Number(row.archiveSize);
  const target = await loadSftpTarget(deps.db, deps.secretKey, row.serverId);
  const client = await openSftp(target, deps.log);
  try {
    const sftp = rawSftp(client);
    const [finalStat, tempStat] = await Promise.all([
      statOrNull(sftp, finalPath),
      statOrNull(sftp, tempPath),
    ]);
    // Renamed by an attempt that died before recording it: the temporary file is gone, the final one is ours.
    if (row.phase === 'renaming' && !tempStat && finalStat?.size === size) return { remotePath: finalPath };
    if (finalStat && !row.overwrite) throw existsFailure(finalPath);
    if (!tempStat) await ensureDirectory(sftp, row.directory);
    const checkpoint = Context.current().info.heartbeatDetails as DeliveryCheckpoint | undefined;
    const resumable =
      checkpoint?.tempPath === tempPath && tempStat !== null && tempStat.size >= checkpoint.acked;
    const start = resumable ? Math.min(checkpoint.acked, size) : 0;
    report.update({ phase: 'delivering', bytesDone: start }, {
      tempPath,
      acked: start,
    } satisfies DeliveryCheckpoint);
    await upload(deps, sftp, row, tempPath, start, report);
    await deps.db.export.update({ where: { id: row.id }, data: { phase: 'renaming' } });
    await rename(sftp, tempPath, finalPath, row.overwrite);
    await deps.db.export.update({ where: { id: row.id }, data: { remotePath: finalPath } });
    return { remotePath: finalPath };
  } finally {
    await client.end().catch((err: unknown) => deps.log.debug({ err }, 'closing the SFTP connection failed'));
  }
}

/** Removes the temporary file of a delivery that will not finish (cancelled or failed). */
export async function removeTemporary(
  deps: Pick<DeliverDeps, 'db' | 'secretKey' | 'log'>,
  row: ExportRow,
): Promise<void> {
  const { tempPath } = remotePathsOf(row);
  const target = await loadSftpTarget(deps.db, deps.secretKey, row.serverId);
  const client = await openSftp(target, deps.log);
  try {
    const sftp = rawSftp(client);
    if (await statOrNull(sftp, tempPath))
      await sftpRequest<void>(sftp, `remove ${tempPath}`, (cb) => sftp.unlink(tempPath, cb));
  } finally {
    await client.end().catch((err: unknown) => deps.log.debug({ err }, 'closing the SFTP connection failed'));
  }
}
