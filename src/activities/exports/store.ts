import type { Prisma } from '../../generated/prisma/client';
import type { Db } from '../../lib/db';
import { Failure, nonRetryable, workflowIds, type ExportInput } from '../../workflows/contract';

type ExportStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

/** The columns an export row takes from its workflow's input (the API writes the same ones). */
export function exportRowOf(input: ExportInput) {
  const { sources, layout, compression, target, overwrite } = input;
  return {
    id: input.exportId,
    workflowId: workflowIds.export(input.exportId),
    clientRequestId: input.clientRequestId ?? null,
    requestHash: input.requestHash,
    request: { sources, layout, compression, target, overwrite } as Prisma.InputJsonValue,
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
 * Writes an export's row and its job row if missing (the API or an earlier
 * attempt may have), both in one transaction. Used by the API and by the
 * workflow's first step, so whichever runs first creates them.
 */
export async function upsertExportRow(db: Db, input: ExportInput): Promise<void> {
  const row = exportRowOf(input);
  await db.$transaction([
    db.export.upsert({ where: { id: row.id }, create: row, update: {} }),
    db.job.upsert({
      where: { workflowId: row.workflowId },
      create: { kind: 'export', workflowId: row.workflowId, refId: row.id, status: 'queued' },
      update: {},
    }),
  ]);
}

/** Sets an export's status (and its job's) plus any other columns, unless the row is already closed. */
export async function setExportStatus(
  db: Db,
  exportId: string,
  status: ExportStatus,
  data: Prisma.ExportUpdateManyMutationInput = {},
): Promise<boolean> {
  const closed = status === 'completed' || status === 'failed' || status === 'cancelled';
  const finishedAt = closed ? new Date() : undefined;
  const [updated] = await db.$transaction([
    db.export.updateMany({
      where: { id: exportId, status: { in: ['queued', 'running'] } },
      data: { ...data, status, ...(finishedAt ? { finishedAt } : {}) },
    }),
    db.job.updateMany({
      where: { kind: 'export', refId: exportId, status: { in: ['queued', 'running'] } },
      data: {
        status,
        ...(finishedAt ? { finishedAt } : {}),
        ...(typeof data.error === 'string' ? { error: data.error } : {}),
      },
    }),
  ]);
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
