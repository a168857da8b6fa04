import { Context } from '@temporalio/activity';
import type { Prisma } from '../../generated/prisma/client';
import { FerryError } from '../../lib/errors';
import { joinKey } from '../../lib/keys';
import { transferWorkflowId } from '../../lib/workflow-ids';
import type { ActivityDeps } from '../deps';
import { assertKeyNotReserved } from '../../lib/storage-policy';
import { loadSftpTarget, openSftp } from '../sftp/connection';
import { fileFilter, isStable } from './filter';
import { loadRejected, rejectedFilesCounter, rejectedIdOf, rejectedRow, reviveRejected } from './rejected';
import { createSeenRecorder } from './seen';
import { walkRemote, type ListedFile } from './walk';
import { Failure, nonRetryable } from '../../workflows/contract';

/** Counts only: a listing of 10,000 files must not travel through workflow history. */
export interface ListingResult {
  /** Regular files seen (before globs and age). */
  listed: number;
  /** Files the globs selected. */
  matched: number;
  /** Selected but younger than minAgeSeconds: left for a later scan. */
  young: number;
  /** Selected but unusable as object keys (control characters, too long): recorded as `rejected` rows. */
  rejected: number;
  /** File versions recorded for the first time by this listing. */
  newVersions: number;
  /** Rows of this server still `discovered` afterwards: the transfers the scan will offer to start. */
  pending: number;
}

const INSERT_BATCH = 1000;

/**
 * Lists the server's directory and records each stable file version it has
 * not seen as a `discovered` Transfer row. Rows are inserted with ON CONFLICT
 * DO NOTHING on (serverId, remotePath, size, mtimeMs), so overlapping scans
 * and retries of this activity never duplicate a version.
 */
export function createListActivity({ config, db, log }: ActivityDeps) {
  return async function listServerFiles({ serverId }: { serverId: string }): Promise<ListingResult> {
    const server = await db.server.findUnique({ where: { id: serverId } });
    if (!server) {
      throw nonRetryable(Failure.ServerNotFound, `server ${serverId} does not exist`);
    }
    const ctx = Context.current();
    const wanted = fileFilter(server.include, server.exclude);
    const rejectedBefore = await loadRejected(db, serverId);
    const rejectedCounter = rejectedFilesCounter(ctx.metricMeter);
    const result: ListingResult = {
      listed: 0,
      matched: 0,
      young: 0,
      rejected: 0,
      newVersions: 0,
      pending: 0,
    };
    const seen = createSeenRecorder(db, serverId, config.RETENTION_DAYS > 0);
    let complete = true;
    const client = await openSftp(await loadSftpTarget(db, config.secretKey, serverId), log);
    try {
      const walk = walkRemote(client, {
        remoteDir: server.remoteDir,
        recursive: server.recursive,
        skipDirs: server.archiveDir ? [server.archiveDir] : [],
        beforeRead: () => ctx.cancellationSignal.throwIfAborted(),
        onUnreadableDir: (dir, reason) => {
          complete = false;
          log.warn({ serverId, dir, reason }, 'subdirectory skipped');
        },
      });
      for await (const files of walk) {
        const now = Date.now();
        const rows: Prisma.TransferCreateManyInput[] = [];
        const refused: Prisma.TransferCreateManyInput[] = [];
        for (const file of files) {
          result.listed++;
          if (!wanted(file.rel)) continue;
          result.matched++;
          if (!isStable(file.mtimeMs, now, server.minAgeSeconds)) {
            result.young++;
            continue;
          }
          const row = rowFor(server, file);
          if (row.status === 'rejected') refused.push(row);
          else rows.push(row);
        }
        result.rejected += refused.length;
        for (let i = 0; i < rows.length; i += INSERT_BATCH) {
          const batch = rows.slice(i, i + INSERT_BATCH);
          result.newVersions += (await db.transfer.createMany({ data: batch, skipDuplicates: true })).count;
        }
        await reviveUsable(rows);
        if (refused.length) {
          const { count } = await db.transfer.createMany({ data: refused, skipDuplicates: true });
          if (count) rejectedCounter.add(count, { server_id: serverId });
        }
        await seen.seen([...rows, ...refused]);
        ctx.heartbeat(result);
      }
      if (complete) await seen.complete();
    } finally {
      await client.end();
    }
    result.pending = await db.transfer.count({ where: { serverId, status: 'discovered' } });
    log.info({ serverId, ...result }, 'listing recorded');
    return result;

    /** Versions rejected by an earlier scan whose name makes a key now: offered again. */
    async function reviveUsable(rows: Prisma.TransferCreateManyInput[]): Promise<void> {
      if (rejectedBefore.size === 0) return;
      for (const row of rows) {
        const id = rejectedIdOf(rejectedBefore, row);
        if (id && (await reviveRejected(db, id, row.objectKey, row.bucket))) result.newVersions++;
      }
    }

    function rowFor(
      s: { id: string; bucket: string; keyPrefix: string },
      file: ListedFile,
    ): Prisma.TransferCreateManyInput {
      let objectKey: string;
      try {
        objectKey = joinKey(s.keyPrefix, file.rel);
        assertKeyNotReserved(config, 'object key', objectKey);
      } catch (err) {
        if (!(err instanceof FerryError)) throw err;
        log.warn(
          { serverId, remotePath: file.remotePath, reason: err.message },
          'file name unusable as a key',
        );
        return rejectedRow(s, file, err.message);
      }
      const size = BigInt(file.size);
      const mtimeMs = BigInt(file.mtimeMs);
      return {
        serverId: s.id,
        remotePath: file.remotePath,
        size,
        mtimeMs,
        workflowId: transferWorkflowId(s.id, file.remotePath, size, mtimeMs),
        bucket: s.bucket,
        objectKey,
      };
    }
  };
}
