import { assertBucketAllowed } from '../../lib/storage-policy';
import { createHash, randomUUID } from 'node:crypto';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { headKeys, listPrefix, type SourceObject } from '../../activities/exports/resolve';
import { setExportStatus, upsertExportRow } from '../../activities/exports/store';
import { checkTemplate, mapPaths } from '../../lib/export-layout';
import { ConflictError, NotFoundError, ServiceUnavailableError, ValidationError } from '../../lib/errors';
import { normalizeKeyPrefix, normalizeObjectKey, normalizeRemotePath } from '../../lib/keys';
import type { OutboundPolicy } from '../../lib/outbound';
import { encryptSecret } from '../../lib/secrets';
import { sealedIn } from '../../lib/sealed-fields';
import {
  ferrySearchAttributes,
  WorkflowType,
  exportProgressQuery,
  workflowIds,
  type ExportInput,
  type ExportLayout,
  type ExportProgress,
} from '../../workflows/contract';
import type { ApiDeps } from '../deps';
import { idempotencyKeyOf } from '../idempotency';
import { assertOutboundUrl } from '../outbound';
import type { CreateExportBody } from './schema';

/** Objects looked at, at request time, for a prefix: enough to catch a wrong prefix or an obvious collision. */
const PREFIX_SAMPLE = 1000;

function temporalDown(err: unknown): never {
  throw new ServiceUnavailableError(`Temporal did not answer: ${(err as Error).message}`);
}

/** The export ID of an idempotency key: the same key always names the same export (and workflow). */
export function exportIdFor(clientRequestId: string | undefined): string {
  if (clientRequestId === undefined) return randomUUID();
  const h = createHash('sha256').update(`ferry-export:${clientRequestId}`).digest('hex');
  // Shaped as a version-4-style UUID so the uuid column takes it.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function requestHashOf(body: CreateExportBody): string {
  const { clientRequestId: _ignored, validator, ...rest } = body;
  const secret = validator?.secret ? createHash('sha256').update(validator.secret).digest('hex') : null;
  const canonical = JSON.stringify({ ...rest, validator: validator ? { ...validator, secret } : null });
  return createHash('sha256').update(canonical).digest('hex');
}

export function normalizeLayout(layout: ExportLayout): ExportLayout {
  if (layout.mode === 'strip') return { mode: 'strip', prefix: normalizeKeyPrefix(layout.prefix) };
  if (layout.mode === 'template') checkTemplate(layout.template);
  return layout;
}

/** The URLs an export will call (validator, webhook), judged by the outbound policy where that needs no DNS. */
export function assertExportUrls(body: CreateExportBody, policy: OutboundPolicy): void {
  assertOutboundUrl('validator.url', body.validator?.url, policy);
  assertOutboundUrl('webhookUrl', body.webhookUrl, policy);
}

/** Everything wrong with a request that can be known now is a 400, before anything starts. */
async function checkRequest(deps: ApiDeps, body: CreateExportBody, layout: ExportLayout): Promise<void> {
  const { db, s3 } = deps;
  const server = await db.server.findUnique({ where: { id: body.target.serverId }, select: { id: true } });
  if (!server) throw new ValidationError(`target server ${body.target.serverId} does not exist`);
  const { bucket } = body.sources;
  assertBucketAllowed(deps.config, 'sources.bucket', bucket);
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404 || status === 403)
      throw new ValidationError(`bucket ${bucket} does not exist or is not readable`);
    throw err;
  }
  let objects: SourceObject[];
  if ('keys' in body.sources) {
    // Keys name objects Ferry reads: the same rules as every key it writes ("..", "/" first, control characters).
    for (const key of body.sources.keys) {
      if (normalizeObjectKey(key, `source key "${key.slice(0, 100)}"`) !== key) {
        throw new ValidationError(
          `source key "${key.slice(0, 100)}" is not in normal form (no "//", "./" or trailing "/")`,
        );
      }
    }
    const { found, missing } = await headKeys(s3, bucket, body.sources.keys);
    if (missing.length)
      throw new ValidationError(`${missing.length} source key(s) do not exist`, {
        missing: missing.slice(0, 100),
      });
    objects = found;
  } else {
    objects = await listPrefix(s3, body.sources, { limit: PREFIX_SAMPLE });
    if (objects.length === 0)
      throw new ValidationError(`no object under "${body.sources.prefix}" matches the export's globs`);
  }
  const { collision } = mapPaths(
    layout,
    objects.map((o) => o.key),
  );
  if (collision) {
    throw new ValidationError(`two objects map to one archive path: "${collision.path}"`, collision);
  }
}

/** The workflow input of an accepted request (no secrets: the validator's is stored by export ID). */
export function exportInputOf(
  body: CreateExportBody,
  accepted: {
    exportId: string;
    clientRequestId?: string;
    requestHash: string;
    layout: ExportLayout;
    directory: string;
  },
): ExportInput {
  const { exportId, clientRequestId, requestHash, layout, directory } = accepted;
  return {
    exportId,
    ...(clientRequestId !== undefined ? { clientRequestId } : {}),
    requestHash,
    sources: body.sources,
    layout,
    archiveName: body.archiveName,
    compression: body.compression,
    ...(body.validator
      ? {
          validator: {
            url: body.validator.url,
            timeoutSeconds: body.validator.timeoutSeconds,
            signed: !!body.validator.secret,
          },
        }
      : {}),
    target: { serverId: body.target.serverId, directory },
    overwrite: body.overwrite,
    ...(body.webhookUrl !== undefined ? { webhookUrl: body.webhookUrl } : {}),
  };
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
