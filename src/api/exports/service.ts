import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { setExportStatus, upsertExportRow } from '../../activities/exports/store';
import { ConflictError, NotFoundError, ServiceUnavailableError } from '../../lib/errors';
import { normalizeRemotePath } from '../../lib/keys';
import { encryptSecret } from '../../lib/secrets';
import { sealedIn } from '../../lib/sealed-fields';
import {
  ferrySearchAttributes,
  searchBucket,
  WorkflowType,
  exportProgressQuery,
  workflowIds,
  type ExportProgress,
} from '../../workflows/contract';
import type { ApiDeps } from '../deps';
import { idempotencyKeyOf } from '../idempotency';
import {
  assertExportUrls,
  checkRequest,
  exportIdFor,
  exportInputOf,
  normalizeLayout,
  requestHashOf,
} from './request';
import type { CreateExportBody } from './schema';

function temporalDown(err: unknown): never {
  throw new ServiceUnavailableError(`Temporal did not answer: ${(err as Error).message}`);
}

export interface CreatedExport {
  jobId: string;
  exportId: string;
  status: string;
}

/**
 * Accepts an export. The workflow is started first, with the export's
 * deterministic ID, and writes the export's row itself (docs/exports.md):
 * an API dying at any point leaves either nothing or a running workflow,
 * never a queued row nobody will run. The API writes the row too, so a GET
 * right after the answer finds it.
 */
export async function createExport(
  deps: ApiDeps,
  body: CreateExportBody,
  idempotencyKey?: string,
): Promise<CreatedExport> {
  const { config, db, temporal, log } = deps;
  const clientRequestId = idempotencyKeyOf(idempotencyKey, body.clientRequestId);
  const exportId = exportIdFor(clientRequestId);
  const workflowId = workflowIds.export(exportId);
  const requestHash = requestHashOf(body);
  const existing = await db.export.findUnique({ where: { id: exportId } });
  if (existing) {
    if (existing.requestHash !== requestHash)
      throw new ConflictError('this idempotency key was used for a different export');
    return { jobId: existing.workflowId, exportId, status: existing.status };
  }
  const layout = normalizeLayout(body.layout);
  const directory = normalizeRemotePath(body.target.directory, 'target.directory');
  assertExportUrls(body, config.outbound);
  await checkRequest(deps, body, layout);

  if (body.validator?.secret) {
    const validatorSecretEnc = encryptSecret(
      config.secretKey,
      body.validator.secret,
      sealedIn('ExportSecret', exportId, 'validatorSecretEnc'),
    );
    await db.exportSecret.upsert({
      where: { exportId },
      create: { exportId, validatorSecretEnc },
      update: {},
    });
  }
  const input = exportInputOf(body, { exportId, clientRequestId, requestHash, layout, directory });
  try {
    await temporal.workflow.start(WorkflowType.exportArchive, {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      workflowId,
      args: [input],
      typedSearchAttributes: ferrySearchAttributes({
        kind: 'export',
        exportId,
        serverId: input.target.serverId,
        bucket: searchBucket(config, input.sources.bucket),
      }),
      // One export per ID, ever: a repeat after the export closed must not run it again.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) temporalDown(err);
  }
  try {
    await upsertExportRow(db, input);
  } catch (err) {
    // The workflow writes the row as its first step; the answer stands.
    log.warn({ err, exportId }, 'export row not written by the API; its workflow will write it');
  }
  log.info({ exportId, workflowId }, 'export accepted');
  return { jobId: workflowId, exportId, status: 'queued' };
}

export async function findExport(deps: ApiDeps, exportId: string) {
  const row = await deps.db.export.findUnique({ where: { id: exportId } });
  if (!row) throw new NotFoundError('export', exportId);
  return row;
}

/** The workflow's own progress while it runs; null when no worker answered in time. */
export async function liveProgress(deps: ApiDeps, workflowId: string): Promise<ExportProgress | null> {
  const handle = deps.temporal.workflow.getHandle(workflowId);
  return await deps.temporal
    .withDeadline(Date.now() + 1000, () => handle.query(exportProgressQuery))
    .catch((err: unknown) => {
      deps.log.debug({ workflowId, err }, 'export progress query unanswered');
      return null;
    });
}

/** Cancels a queued or running export; its workflow removes the temporary file and the staged zip. */
export async function cancelExport(deps: ApiDeps, exportId: string) {
  const row = await findExport(deps, exportId);
  if (row.status === 'cancelled') return { row, cancelRequested: false };
  if (row.status === 'completed' || row.status === 'failed') {
    throw new ConflictError(`export ${exportId} is ${row.status}; there is nothing to cancel`);
  }
  const handle = deps.temporal.workflow.getHandle(row.workflowId);
  let running: boolean;
  try {
    running = (await handle.describe()).status.name === 'RUNNING';
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) temporalDown(err);
    running = false;
  }
  if (running) await handle.cancel().catch(temporalDown);
  // Its workflow is gone (terminated): nothing will close the row but this.
  else await setExportStatus(deps.db, exportId, 'cancelled', { error: 'cancelled' });
  deps.log.info({ exportId }, 'export cancellation requested');
  return { row, cancelRequested: true };
}
