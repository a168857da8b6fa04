import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { type AfterTransferAction, Prisma } from '../../generated/prisma/client';
import { Failure, nonRetryable, type TransferInput } from '../../workflows/contract';
import type { Logger } from '../../lib/logger';
import type { ActivityDeps } from '../deps';
import { rawSftp, sftpTargetOf } from '../sftp/connection';
import { SftpPool } from '../sftp/pool';
import { type AfterTransferDone, applyAction } from './after-transfer';
import { notifyRow, type TransferEvent } from './notify';
import { TransferRun } from './run';
import { abortNamedUpload } from '../lost-uploads';

/** What the workflow learns from a transfer: no secrets, only what it needs to decide the next steps. */
export interface TransferOutcome {
  status: 'completed' | 'skipped';
  sha256: string;
  size: number;
  /** The activity already wrote the final status (nothing to do after the transfer). */
  recorded: boolean;
  afterTransfer: AfterTransferAction;
  /** The server has a webhook to call. */
  notify: boolean;
}

export type FinalTransferStatus = 'completed' | 'skipped' | 'failed' | 'cancelled';

export function createTransferActivities(deps: ActivityDeps) {
  const { db, config } = deps;
  const sftpPool = new SftpPool(deps.log);

  async function loadRow(transferId: string) {
    const row = await db.transfer.findUnique({ where: { id: transferId }, include: { server: true } });
    if (!row) {
      throw nonRetryable(Failure.InvalidTransfer, `transfer ${transferId} does not exist`);
    }
    return row;
  }

  /**
   * A failure the retry policy retries (storage full, storage or the SFTP
   * server away) is written on the row, which stays `running`, so that the
   * API shows why the transfer is not moving until the next attempt starts
   * (and clears it) or the last one fails it.
   */
  async function showRetriedFailure(transferId: string, ctx: Context, err: unknown, log: Logger) {
    if ((err instanceof ApplicationFailure && err.nonRetryable) || ctx.cancellationSignal.aborted) return;
    const reason = err instanceof Error ? err.message : String(err);
    log.warn({ err, attempt: ctx.info.attempt }, 'transfer attempt failed; retried with backoff');
    await db.transfer
      .updateMany({
        where: { id: transferId, status: 'running' },
        data: { error: `attempt ${ctx.info.attempt} failed, retried with backoff: ${reason}` },
      })
      .catch((dbErr: unknown) => log.warn({ err: dbErr }, 'could not record the failed attempt on the row'));
  }

  return {
    /**
     * Streams one file version from SFTP into its object and verifies it.
     * Long-running: heartbeats, resumes from its checkpoint, honours cancellation.
     */
    async transferToS3({ transferId }: TransferInput): Promise<TransferOutcome> {
      const ctx = Context.current();
      const row = await loadRow(transferId);
      const log = deps.log.child({
        workflowId: ctx.info.workflowExecution?.workflowId,
        transferId,
        serverId: row.serverId,
      });
      // Conditional: a row a batch has claimed is that batch's (batch lane). This workflow
      // then leaves it alone and ends, as if skipped, with nothing to do after the transfer.
      const { count } = await db.transfer.updateMany({
        where: { id: transferId, batchWorkflowId: null },
        data: {
          status: 'running',
          attempts: ctx.info.attempt,
          startedAt: row.startedAt ?? new Date(),
          error: null,
        },
      });
      if (count === 0) {
        log.info('the transfer is carried by a batch workflow; this workflow leaves it alone');
        return {
          status: 'skipped',
          sha256: row.sha256 ?? '',
          size: Number(row.size),
          recorded: true,
          afterTransfer: 'keep',
          notify: false,
        };
      }
      const target = sftpTargetOf(row.server, config.secretKey);
      const result = await sftpPool
        .use(target, (client) => new TransferRun(deps, ctx, row, log).execute(rawSftp(client)))
        .catch(async (err: unknown) => {
          await showRetriedFailure(transferId, ctx, err, log);
          throw err;
        });
      return {
        ...result,
        size: Number(row.size),
        afterTransfer: row.server.afterTransfer,
        notify: Boolean(row.server.webhookUrl),
      };
    },

    /** keep | delete | move the source; the workflow calls it only after the object was verified. */
    async applyAfterTransfer({ transferId }: TransferInput): Promise<AfterTransferDone> {
      const row = await loadRow(transferId);
      if (row.server.afterTransfer === 'keep') return 'kept';
      const log = deps.log.child({ transferId, serverId: row.serverId });
      const target = sftpTargetOf(row.server, config.secretKey);
      return await sftpPool.use(target, (client) => applyAction(client, row, log));
    },

    /**
     * Records the final status. A failed or cancelled transfer must not leave
     * a multipart upload behind (storage bills for its parts): abort it here,
     * after the status and error are recorded, so that storage being away
     * (often why the transfer failed) cannot keep them from the row. An upload
     * that cannot be aborted stays named on the row, for the next scan's sweep.
     */
    async markTransfer(input: {
      transferId: string;
      status: FinalTransferStatus;
      error?: string;
    }): Promise<void> {
      const ending = input.status === 'failed' || input.status === 'cancelled';
      // updateMany: a row deleted meanwhile (its server was removed) has nothing left to record.
      await db.transfer.updateMany({
        where: { id: input.transferId },
        data: {
          status: input.status,
          error: input.error ?? null,
          finishedAt: new Date(),
          ...(ending ? { checkpoint: Prisma.DbNull } : {}),
        },
      });
      const row = ending ? await db.transfer.findUnique({ where: { id: input.transferId } }) : null;
      if (row?.uploadId) {
        const log = deps.log.child({ transferId: row.id, workflowId: row.workflowId });
        await abortNamedUpload({ db, s3: deps.s3, log }, row, row.uploadId);
      }
    },

    /** Calls the server's webhook (HMAC-signed with its secret) with the transfer's outcome. */
    async notifyTransfer(input: { transferId: string; event: TransferEvent }): Promise<void> {
      await notifyRow(config, await loadRow(input.transferId), input.event);
    },
  };
}
