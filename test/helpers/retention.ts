import { randomUUID } from 'node:crypto';
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type {
  BatchStatus,
  EventStatus,
  ExportStatus,
  TransferStatus,
  UploadStatus,
} from '../../src/generated/prisma/client';
import {
  ferrySearchAttributes,
  workflowIds,
  type PruneInput,
  type PruneResult,
} from '../../src/workflows/contract';
import type { pruneRecords } from '../../src/workflows/retention';
import type { TestDeps } from './deps';

/**
 * Rows of every kind retention looks at, made directly in the database, and
 * the means to age them (test/integration/retention.test.ts).
 */

/** Far older than any row another test makes: a retention of ten years removes only what a test aged on purpose. */
export const LONG_AGO = new Date(Date.now() - 20 * 365 * 86_400_000);
export const TEN_YEARS = 3650;

type Table = 'Transfer' | 'Upload' | 'Event' | 'Export' | 'Batch' | 'Server';

/** Sets timestamp columns of rows to `at` (Prisma's own writes would set updatedAt to now). */
export async function setTimes(
  deps: TestDeps,
  table: Table,
  ids: string[],
  columns: string[],
  at: Date,
): Promise<void> {
  const set = columns.map((c) => `"${c}" = $1::timestamp`).join(', ');
  await deps.db.$executeRawUnsafe(
    `UPDATE "${table}" SET ${set} WHERE "id" = ANY($2::uuid[])`,
    at.toISOString(),
    ids,
  );
}

export async function transferRow(deps: TestDeps, serverId: string, status: TransferStatus): Promise<string> {
  const remotePath = `retention/${randomUUID()}`;
  const row = await deps.db.transfer.create({
    data: {
      serverId,
      remotePath,
      size: 1n,
      mtimeMs: 1000n,
      workflowId: `retention-test-${randomUUID()}`,
      bucket: deps.config.FERRY_BUCKET,
      objectKey: remotePath,
      status,
    },
  });
  return row.id;
}

export async function uploadRow(deps: TestDeps, status: UploadStatus): Promise<string> {
  const row = await deps.db.upload.create({
    data: {
      filename: 'f.bin',
      bucket: deps.config.FERRY_BUCKET,
      objectKey: `retention/${randomUUID()}`,
      status,
      expiresAt: new Date(),
    },
  });
  return row.id;
}

export async function eventRow(deps: TestDeps, status: EventStatus): Promise<string> {
  const identity = randomUUID();
  const row = await deps.db.event.create({
    data: {
      identity,
      workflowId: `retention-test-${identity}`,
      kind: 'generic',
      type: 'test',
      payload: {},
      status,
    },
  });
  return row.id;
}

export async function exportRow(deps: TestDeps, status: ExportStatus): Promise<string> {
  const id = randomUUID();
  await deps.db.export.create({
    data: {
      id,
      workflowId: `retention-test-${id}`,
      requestHash: 'h',
      status,
      request: {},
      bucket: deps.config.FERRY_BUCKET,
      archiveName: 'a.zip',
      serverId: randomUUID(),
      directory: 'out',
    },
  });
  return id;
}

/** A batch whose items name `exportIds` (exports whose rows may or may not exist). */
export async function batchRow(deps: TestDeps, status: BatchStatus, exportIds: string[]): Promise<string> {
  const id = randomUUID();
  await deps.db.batch.create({
    data: {
      id,
      workflowId: `retention-test-${id}`,
      status,
      concurrency: 1,
      total: exportIds.length,
      items: { create: exportIds.map((exportId, index) => ({ index, exportId, input: {} })) },
    },
  });
  return id;
}

/** Starts one clean-up through Temporal, as the retention schedule would, on `taskQueue` (a worker must poll it). */
export async function startPrune(
  deps: TestDeps,
  taskQueue: string,
  input: PruneInput,
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof pruneRecords>> {
  return await deps.temporal.workflow.start<typeof pruneRecords>('pruneRecords', {
    taskQueue,
    workflowId: `${workflowIds.retention(taskQueue)}-${randomUUID()}`,
    args: [input],
    typedSearchAttributes: ferrySearchAttributes({ kind: 'retention' }),
  });
}

/** One clean-up run through Temporal, to its result. */
export async function runPrune(deps: TestDeps, taskQueue: string, input: PruneInput): Promise<PruneResult> {
  return await (await startPrune(deps, taskQueue, input)).result();
}
