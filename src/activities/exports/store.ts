import type { Prisma } from '../../generated/prisma/client';
import type { Db } from '../../lib/db';
import { Failure, nonRetryable, workflowIds, type ExportInput } from '../../workflows/contract';

type ExportStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

/** The columns an export row takes from its workflow's input (the API writes the same ones). */
export function exportRowOf(input: ExportInput) {
  const { sources, layout, compression, target, overwrite, validator } = input;
  return {
    id: input.exportId,
    workflowId: workflowIds.export(input.exportId),
    clientRequestId: input.clientRequestId ?? null,
    requestHash: input.requestHash,
    request: { sources, layout, compression, target, overwrite, validator } as Prisma.InputJsonValue,
    bucket: sources.bucket,
    archiveName: input.archiveName,
    serverId: target.serverId,
    directory: target.directory,
    overwrite,
    webhookUrl: input.webhookUrl ?? null,
    validatorUrl: input.validator?.url ?? null,
  };
}

/**
 * Writes an export's row if missing (the API or an earlier attempt may have;
 * its job is the view "Job" over it). Used by the API and by the workflow's
 * first step, so whichever runs first creates it.
 */
export async function upsertExportRow(db: Db, input: ExportInput): Promise<void> {
  const row = exportRowOf(input);
  await db.export.upsert({ where: { id: row.id }, create: row, update: {} });
}

/** Sets an export's status plus any other columns, unless the row is already closed. */
export async function setExportStatus(
  db: Db,
  exportId: string,
  status: ExportStatus,
  data: Prisma.ExportUpdateManyMutationInput = {},
): Promise<boolean> {
  const closed = status === 'completed' || status === 'failed' || status === 'cancelled';
  const updated = await db.export.updateMany({
    where: { id: exportId, status: { in: ['queued', 'running'] } },
    data: { ...data, status, ...(closed ? { finishedAt: new Date() } : {}) },
  });
  return updated.count > 0;
}

/** The row of a running export; anything else ends the workflow. */
export async function runningExport(db: Db, exportId: string) {
  const row = await db.export.findUnique({ where: { id: exportId } });
  if (!row) throw nonRetryable(Failure.InvalidExport, `export ${exportId} does not exist`);
  if (row.status !== 'running' && row.status !== 'queued') {
    throw nonRetryable(Failure.InvalidExport, `export ${exportId} is ${row.status}`);
  }
  return row;
}

export type ExportRow = Awaited<ReturnType<typeof runningExport>>;
