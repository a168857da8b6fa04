import { createHash, randomUUID } from 'node:crypto';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { headKeys, listPrefix, type SourceObject } from '../../activities/exports/resolve';
import { checkTemplate, mapPaths } from '../../lib/export-layout';
import { ValidationError } from '../../lib/errors';
import { normalizeKeyPrefix, normalizeObjectKey } from '../../lib/keys';
import type { OutboundPolicy } from '../../lib/outbound';
import { assertBucketAllowed } from '../../lib/storage-policy';
import type { ExportInput, ExportLayout } from '../../workflows/contract';
import type { ApiDeps } from '../deps';
import { assertOutboundUrl } from '../outbound';
import type { CreateExportBody } from './schema';

/*
 * What an export request becomes before anything starts: its ID and request
 * hash (idempotency), the checks that make a bad request a 400, and the
 * workflow input. Shared by single exports and batches.
 */

/** Objects looked at, at request time, for a prefix: enough to catch a wrong prefix or an obvious collision. */
const PREFIX_SAMPLE = 1000;

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
export async function checkRequest(
  deps: ApiDeps,
  body: CreateExportBody,
  layout: ExportLayout,
): Promise<void> {
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
