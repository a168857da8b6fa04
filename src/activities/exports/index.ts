import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { Context } from '@temporalio/activity';
import { callWebhook } from '../../lib/webhook';
import { decryptSecret } from '../../lib/secrets';
import { sealedIn } from '../../lib/sealed-fields';
import type { ExportInput, ExportStagingCleanupInput } from '../../workflows/contract';
import type { ActivityDeps } from '../deps';
import { abortMultipart } from './archive-parts';
import { buildArchive } from './build';
import { deliverArchive, removeTemporary } from './deliver';
import { ExportReporter } from './progress';
import { resolveSources } from './resolve';
import { ExportSlots } from './slots';
import { runningExport, setExportStatus, upsertExportRow } from './store';
import { validateArchive } from './validate';

const MiB = 1024 * 1024;
/** Bytes per SFTP WRITE: OpenSSH's largest (ssh2 splits for servers that announce less). */
const SFTP_WRITE_BYTES = 255 * 1024;

/** The export activities (src/workflows/export.ts runs them); I/O only, built from injected clients. */
export function createExportActivities({ config, db, s3, temporal, log }: ActivityDeps) {
  const slots = new ExportSlots(config.EXPORTS_PER_WORKER);
  const budget = config.EXPORT_MEMORY_MIB * MiB;
  const partBytes = Math.max(5 * MiB, Math.floor(budget / 4));
  const writeConcurrency = Math.max(4, Math.floor(budget / 8 / SFTP_WRITE_BYTES));

  /** Runs a streaming step in a slot, marking the phase and reporting progress until it ends. */
  async function streamingStep<T>(
    exportId: string,
    phase: string,
    fn: (report: ExportReporter) => Promise<T>,
  ): Promise<T> {
    const ctx = Context.current();
    return await slots.run(async () => {
      await db.export.updateMany({
        where: { id: exportId, status: { in: ['queued', 'running'] }, NOT: { phase: 'renaming' } },
        data: { status: 'running', phase },
      });
      const report = new ExportReporter(ctx, temporal, log);
      try {
        return await fn(report);
      } finally {
        await report.stop();
      }
    });
  }

  async function validatorSecret(exportId: string): Promise<string | undefined> {
    const row = await db.exportSecret.findUnique({ where: { exportId } });
    return row
      ? decryptSecret(
          config.secretKey,
          row.validatorSecretEnc,
          sealedIn('ExportSecret', exportId, 'validatorSecretEnc'),
        )
      : undefined;
  }

  async function deleteStaged(bucket: string, key: string): Promise<void> {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  }

  return {
    /** Creates the export's row (and job) if the API had not, and marks it running. */
    async beginExport(input: ExportInput): Promise<void> {
      await upsertExportRow(db, input);
      await setExportStatus(db, input.exportId, 'running', { startedAt: new Date(), phase: 'resolving' });
    },

    async resolveExportSources(exportId: string): Promise<{ entries: number; totalBytes: number }> {
      return await resolveSources(db, s3, exportId);
    },

    async buildExportArchive(exportId: string) {
      return await streamingStep(exportId, 'building', (report) =>
        buildArchive({ db, s3, stagingPrefix: config.FERRY_STAGING_PREFIX, partBytes }, exportId, report),
      );
    },

    async validateExportArchive(exportId: string): Promise<void> {
      const secret = await validatorSecret(exportId);
      await streamingStep(exportId, 'validating', async (report) =>
        validateArchive(
          { db, s3, secret, policy: config.outbound },
          await runningExport(db, exportId),
          report,
        ),
      );
    },

    async deliverExportArchive(exportId: string): Promise<{ remotePath: string }> {
      return await streamingStep(exportId, 'delivering', async (report) =>
        deliverArchive(
          { db, s3, log, secretKey: config.secretKey, writeBytes: SFTP_WRITE_BYTES, writeConcurrency },
          await runningExport(db, exportId),
          report,
        ),
      );
    },

    /** Removes a delivered export's staged zip, unless EXPORT_KEEP_STAGED. */
    async removeStagedArchive(exportId: string): Promise<void> {
      const row = await db.export.findUnique({ where: { id: exportId } });
      if (!row?.stagingKey || config.EXPORT_KEEP_STAGED) return;
      await deleteStaged(row.bucket, row.stagingKey);
    },

    async finishExport({ exportId }: { exportId: string; status: 'completed' }): Promise<void> {
      await setExportStatus(db, exportId, 'completed', { phase: null });
      await db.exportSecret.deleteMany({ where: { exportId } });
    },

    /**
     * Records a failed or cancelled export, aborts its unfinished multipart
     * upload, and removes its staged zip now (cancelled, or no keep time) or
     * says when (the workflow leaves that to a cleanup workflow).
     */
    async closeFailedExport(input: {
      exportId: string;
      status: 'failed' | 'cancelled';
      error: string;
      errorType: string | null;
    }): Promise<ExportStagingCleanupInput | null> {
      const { exportId, status } = input;
      await setExportStatus(db, exportId, status, { error: input.error, errorType: input.errorType });
      await db.exportSecret.deleteMany({ where: { exportId } });
      const row = await db.export.findUnique({ where: { id: exportId } });
      if (!row?.stagingKey) return null;
      if (row.multipartUploadId) {
        await abortMultipart(s3, row.bucket, row.stagingKey, row.multipartUploadId);
        await db.export.update({ where: { id: exportId }, data: { multipartUploadId: null } });
      }
      if (config.EXPORT_KEEP_STAGED) return null;
      if (status === 'cancelled' || config.EXPORT_KEEP_FAILED_SECONDS === 0) {
        await deleteStaged(row.bucket, row.stagingKey);
        return null;
      }
      return {
        exportId,
        bucket: row.bucket,
        stagingKey: row.stagingKey,
        afterSeconds: config.EXPORT_KEEP_FAILED_SECONDS,
      };
    },

    async removeExportTemporary(exportId: string): Promise<void> {
      const row = await db.export.findUnique({ where: { id: exportId } });
      if (!row) return;
      await removeTemporary({ db, secretKey: config.secretKey, log }, row);
    },

    async deleteStagedArchive({ bucket, key }: { bucket: string; key: string }): Promise<void> {
      await deleteStaged(bucket, key);
    },

    async notifyExport(exportId: string): Promise<void> {
      const row = await db.export.findUnique({ where: { id: exportId } });
      if (!row?.webhookUrl) return;
      await callWebhook(
        row.webhookUrl,
        config.FERRY_WEBHOOK_SECRET || undefined,
        {
          event: `export.${row.status}`,
          exportId: row.id,
          jobId: row.workflowId,
          status: row.status,
          error: row.error,
          validatorReasons: row.validatorReasons,
          remotePath: row.remotePath,
          archiveSize: row.archiveSize === null ? null : Number(row.archiveSize),
          archiveSha256: row.archiveSha256,
        },
        { policy: config.outbound },
      );
    },
  };
}
