import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { SFTPWrapper } from 'ssh2';
import type SftpClient from 'ssh2-sftp-client';
import type { Prisma, Server, Transfer } from '../../generated/prisma/client';
import type { Logger } from '../../lib/logger';
import type { ActivityDeps } from '../deps';
import { applyAction } from '../transfer/after-transfer';
import { notifyRow, type TransferEvent } from '../transfer/notify';
import { describeObject, putWhole } from '../../lib/s3';
import { assertUnchanged, readWhole, type ReadTuning, type SourceFile } from '../transfer/source';
import { verifyPut } from '../transfer/verify';
import { Failure } from '../../workflows/contract';

export type FileOutcome = 'completed' | 'skipped' | 'failed';

/** What carrying one file needs: the batch's clients, its SFTP session and who it is. */
export interface BatchContext {
  deps: ActivityDeps;
  server: Server;
  client: SftpClient;
  sftp: SFTPWrapper;
  batchWorkflowId: string;
  tuning: ReadTuning;
  signal: AbortSignal;
  log: Logger;
}

/**
 * One small file of a batch, as the per-file lane carries it (activities/
 * transfer/run.ts `single`): read whole with pipelined reads, SHA-256, stat
 * again (bytes of a file that changed meanwhile are not this version), one
 * conditional PutObject carrying the checksum, verified by storage's answer
 * to it (transfer/verify.ts `verifyPut`), and only then the
 * after-transfer action. Its row's final status is written as soon as it is
 * known, which is what a resumed attempt goes by: a row no longer `running`
 * is never sent again, and a row whose SHA-256 is recorded while still
 * `running` was verified and only waits for its after-transfer action.
 *
 * A failure no retry can fix (file gone, changed, unreadable; checksum
 * mismatch) fails this row only; anything else is thrown, to end the
 * attempt and resume in the next.
 */
export async function carryFile(bc: BatchContext, row: Transfer): Promise<FileOutcome> {
  const log = bc.log.child({ transferId: row.id, remotePath: row.remotePath });
  try {
    const { status, sha256 } = await storeVerified(bc, row);
    if (bc.server.afterTransfer !== 'keep') {
      await record(bc, row, { sha256, bytesDone: row.size });
      await afterTransfer(bc, row, log);
    }
    await finish(bc, row, log, { status, sha256, error: null });
    return status;
  } catch (err) {
    if (!(err instanceof ApplicationFailure && err.nonRetryable)) throw err;
    log.warn({ err }, 'file of the batch failed');
    await finish(bc, row, log, { status: 'failed', sha256: row.sha256, error: err.message });
    return 'failed';
  }
}

async function storeVerified(
  bc: BatchContext,
  row: Transfer,
): Promise<{ status: 'completed' | 'skipped'; sha256: string }> {
  const { s3 } = bc.deps;
  const ref = { Bucket: row.bucket, Key: row.objectKey };
  const file: SourceFile = { path: row.remotePath, size: Number(row.size), mtimeMs: Number(row.mtimeMs) };
  if (row.sha256) {
    // Verified by an earlier attempt that died before its after-transfer action: not sent again.
    const stored = await describeObject(s3, ref);
    if (stored?.size === file.size && stored.sha256 === row.sha256)
      return { status: 'completed', sha256: row.sha256 };
  }
  const data = await readWhole(bc.sftp, file, bc.tuning, bc.signal);
  const digest = createHash('sha256').update(data).digest();
  const sha256 = digest.toString('hex');
  await assertUnchanged(bc.sftp, file, 'after reading');
  const writtenBy = row.workflowId;
  let put = await putWhole(s3, ref, data, digest, { onlyIfAbsent: true, writtenBy });
  if (!put) {
    const existing = await describeObject(s3, ref);
    if (existing?.size === file.size && existing.sha256 === sha256) {
      // Stored by this row's earlier attempt (which died before recording it): completed, not a duplicate.
      return { status: existing.writtenBy === writtenBy ? 'completed' : 'skipped', sha256 };
    }
    put = await putWhole(s3, ref, data, digest, { writtenBy });
  }
  await verifyPut(s3, ref, put ?? { checksum: undefined }, {
    size: file.size,
    sha256,
    checksum: digest.toString('base64'),
  });
  return { status: 'completed', sha256 };
}

/** The action's own SFTP errors are retried with the attempt; a refusal fails the row, object kept. */
async function afterTransfer(bc: BatchContext, row: Transfer, log: Logger): Promise<void> {
  try {
    await applyAction(bc.client, { ...row, server: bc.server }, log);
  } catch (err) {
    if (!(err instanceof ApplicationFailure && err.nonRetryable)) throw err;
    throw ApplicationFailure.create({
      message: `object stored and verified, but the after-transfer action failed: ${err.message}`,
      type: err.type ?? Failure.AfterTransferFailed,
      nonRetryable: true,
    });
  }
}

/** Writes to the row only while this batch still carries it and it is still running. */
async function record(
  bc: BatchContext,
  row: Transfer,
  data: Prisma.TransferUpdateManyMutationInput,
): Promise<number> {
  const { count } = await bc.deps.db.transfer.updateMany({
    where: { id: row.id, batchWorkflowId: bc.batchWorkflowId, status: 'running' },
    data,
  });
  return count;
}

async function finish(
  bc: BatchContext,
  row: Transfer,
  log: Logger,
  end: { status: FileOutcome; sha256: string | null; error: string | null },
): Promise<void> {
  const size = end.status === 'failed' ? {} : { bytesDone: row.size };
  const written = await record(bc, row, { ...end, ...size, finishedAt: new Date() });
  if (written === 0 || !bc.server.webhookUrl) return;
  const event: TransferEvent = end.status === 'failed' ? 'transfer.failed' : 'transfer.completed';
  try {
    await notifyRow(bc.deps.config, { ...row, ...end, server: bc.server }, event);
  } catch (err) {
    // As on the per-file lane, a failing webhook never changes the outcome of a transfer.
    log.warn({ err, event }, 'webhook failed; the transfer outcome stands');
  }
}
