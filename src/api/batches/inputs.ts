import { assertBucketAllowed } from '../../lib/storage-policy';
import { randomUUID } from 'node:crypto';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { FerryError, ValidationError } from '../../lib/errors';
import { normalizeRemotePath } from '../../lib/keys';
import { encryptSecret } from '../../lib/secrets';
import { sealedIn } from '../../lib/sealed-fields';
import type { ExportInput } from '../../workflows/contract';
import type { ApiDeps } from '../deps';
import type { CreateExportBody } from '../exports/schema';
import { assertExportUrls, exportInputOf, normalizeLayout, requestHashOf } from '../exports/request';

export interface PreparedExport {
  input: ExportInput;
  /** The validator's secret, encrypted (stored under the export's ID, never in the input). */
  validatorSecretEnc: string | null;
}

/** Runs a check on one export of the batch; its 400 names the export (`exports.<i>…`). */
function ofExport<T>(index: number, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof FerryError && err.status === 400) {
      throw new ValidationError(`exports[${index}]: ${err.message}`, err.details);
    }
    throw err;
  }
}

/**
 * The batch's exports as their workflows will be started, each checked as
 * POST /v1/exports checks one where that costs nothing per object: layout
 * and target path, and (once per distinct value) that the server and the
 * bucket exist. Objects are looked up when each export starts (its resolve
 * step): a missing key or a collision fails that export, not the batch.
 */
export async function prepareBatchExports(
  deps: ApiDeps,
  bodies: CreateExportBody[],
): Promise<PreparedExport[]> {
  const prepared = bodies.map((body, i) =>
    ofExport(i, () => {
      assertExportUrls(body, deps.config.outbound);
      const exportId = randomUUID();
      const input = exportInputOf(body, {
        exportId,
        requestHash: requestHashOf(body),
        layout: normalizeLayout(body.layout),
        directory: normalizeRemotePath(body.target.directory, 'target.directory'),
      });
      const secret = body.validator?.secret;
      return {
        input,
        validatorSecretEnc: secret
          ? encryptSecret(
              deps.config.secretKey,
              secret,
              sealedIn('ExportSecret', exportId, 'validatorSecretEnc'),
            )
          : null,
      };
    }),
  );
  await checkServers(deps, [...new Set(bodies.map((b) => b.target.serverId))]);
  await checkBuckets(deps, [...new Set(bodies.map((b) => b.sources.bucket))]);
  return prepared;
}

async function checkServers({ db }: ApiDeps, ids: string[]): Promise<void> {
  const found = await db.server.findMany({ where: { id: { in: ids } }, select: { id: true } });
  const known = new Set(found.map((s) => s.id));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length) {
    throw new ValidationError(`target server(s) do not exist: ${unknown.slice(0, 10).join(', ')}`, {
      unknownServers: unknown,
    });
  }
}

async function checkBuckets({ s3, config }: ApiDeps, buckets: string[]): Promise<void> {
  for (const bucket of buckets) assertBucketAllowed(config, 'sources.bucket', bucket);
  for (const bucket of buckets) {
    try {
      await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || status === 403) {
        throw new ValidationError(`bucket ${bucket} does not exist or is not readable`);
      }
      throw err;
    }
  }
}
