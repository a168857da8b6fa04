import { setMaxListeners } from 'node:events';
import { Context } from '@temporalio/activity';
import type { Transfer } from '../../generated/prisma/client';
import {
  Failure,
  nonRetryable,
  type TransferBatchInput,
  type TransferBatchTotals,
} from '../../workflows/contract';
import type { ActivityDeps } from '../deps';
import { openSftp, rawSftp, sftpTargetOf } from '../sftp/connection';
import { type BatchContext, carryFile } from './carry';

/**
 * Activities of the `transferBatch` workflow (the batch lane for small files,
 * docs/ingest-batch-lane.md): one claims and carries every file of the batch
 * over one SFTP session, the other records how a batch that gave up ended.
 */
export function createTransferBatchActivities(deps: ActivityDeps) {
  const { db, config } = deps;

  function batchIdOf(ctx: Context): string {
    const id = ctx.info.workflowExecution?.workflowId;
    if (!id) throw new Error('a batch activity runs only inside its transferBatch workflow');
    return id;
  }

  /**
   * The claim: rows of the input still `discovered` and unclaimed become this
   * batch's, `running`, in one conditional update. Two batches (or a batch
   * and a row's own transferFile, whose activity claims with the condition
   * "no batch") cannot both get a row: PostgreSQL re-checks the condition on
   * the row it locks. Repeated by every attempt, it claims nothing new then.
   */
  async function claim(ctx: Context, batchId: string, input: TransferBatchInput): Promise<void> {
    await db.transfer.updateMany({
      where: {
        id: { in: input.transferIds },
        serverId: input.serverId,
        status: 'discovered',
        batchWorkflowId: null,
      },
      data: { status: 'running', batchWorkflowId: batchId, startedAt: new Date(), error: null },
    });
    await db.transfer.updateMany({
      where: { batchWorkflowId: batchId, status: 'running' },
      data: { attempts: ctx.info.attempt },
    });
  }

  async function totalsOf(batchId: string): Promise<TransferBatchTotals> {
    const groups = await db.transfer.groupBy({
      by: ['status'],
      where: { batchWorkflowId: batchId },
      _count: { _all: true },
    });
    const count = (status: Transfer['status']) => groups.find((g) => g.status === status)?._count._all ?? 0;
    const claimed = groups.reduce((sum, g) => sum + g._count._all, 0);
    return { claimed, completed: count('completed'), skipped: count('skipped'), failed: count('failed') };
  }

  return {
    /**
     * Claims and carries the batch's files, TRANSFER_BATCH_CONCURRENCY at a
     * time over one SFTP session of its own. Heartbeats how many are done; the rows are
     * the record of which: a retried attempt (after a crash, say) carries
     * only those still `running`, so files already verified are not sent again.
     */
    async transferBatchFiles(input: TransferBatchInput): Promise<TransferBatchTotals> {
      const ctx = Context.current();
      const batchId = batchIdOf(ctx);
      const server = await db.server.findUnique({ where: { id: input.serverId } });
      if (!server) throw nonRetryable(Failure.ServerNotFound, `server ${input.serverId} does not exist`);
      await claim(ctx, batchId, input);
      const rows = await db.transfer.findMany({
        where: { batchWorkflowId: batchId, status: 'running' },
        orderBy: { id: 'asc' },
      });
      const log = deps.log.child({ workflowId: batchId, serverId: server.id });
      if (rows.length > 0) {
        // A session of the batch's own: its files' requests share one SFTP channel.
        const client = await openSftp(sftpTargetOf(server, config.secretKey), log);
        try {
          const sftp = rawSftp(client);
          // Each file in flight waits on the channel's close and on the activity's cancellation.
          const listeners = 2 * config.TRANSFER_BATCH_CONCURRENCY + 8;
          sftp.setMaxListeners(listeners);
          setMaxListeners(listeners, ctx.cancellationSignal);
          const tuning = {
            chunkBytes: config.SFTP_READ_CHUNK_BYTES,
            concurrency: config.SFTP_READ_CONCURRENCY,
          };
          const bc = {
            deps,
            server,
            client,
            sftp,
            batchWorkflowId: batchId,
            tuning,
            signal: ctx.cancellationSignal,
            log,
          };
          await carryAll(bc, rows);
        } finally {
          await client
            .end()
            .catch((err: unknown) => log.debug({ err }, 'closing the batch SFTP session failed'));
        }
      }
      const totals = await totalsOf(batchId);
      log.info({ ...totals, attempt: ctx.info.attempt }, 'batch carried');
      return totals;
    },

    /** A batch that gave up (or was cancelled): its rows still `running` get its status and error. */
    async settleBatch(input: { status: 'failed' | 'cancelled'; error: string }): Promise<void> {
      const batchId = batchIdOf(Context.current());
      await db.transfer.updateMany({
        where: { batchWorkflowId: batchId, status: 'running' },
        data: { status: input.status, error: input.error, finishedAt: new Date() },
      });
    },
  };

  /**
   * Runs carryFile over the rows, a few at a time. The first error that is
   * not one file's own (the session dropped, storage away, a cancel) stops
   * new files from starting; those in flight finish and record themselves,
   * then the error ends the attempt.
   */
  async function carryAll(bc: BatchContext, rows: Transfer[]): Promise<void> {
    const ctx = Context.current();
    let next = 0;
    let done = 0;
    let stop: Error | undefined;
    const beat = () => ctx.heartbeat({ done, total: rows.length });
    const timer = setInterval(beat, 1_000);
    const lane = async () => {
      for (let row = rows[next++]; row && stop === undefined; row = rows[next++]) {
        if (bc.signal.aborted) break;
        try {
          await carryFile(bc, row);
          done++;
          beat();
        } catch (err) {
          stop ??= err instanceof Error ? err : new Error(String(err));
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: config.TRANSFER_BATCH_CONCURRENCY }, lane));
    } finally {
      clearInterval(timer);
    }
    bc.signal.throwIfAborted();
    if (stop !== undefined) throw stop;
  }
}
