import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { Context } from '@temporalio/activity';
import type { Db } from '../../lib/db';
import { FerryError } from '../../lib/errors';
import { mapPaths } from '../../lib/export-layout';
import { keyFilter } from '../../lib/export-layout';
import { Failure, nonRetryable, type ExportLayout, type ExportSources } from '../../workflows/contract';
import { runningExport } from './store';

export interface SourceObject {
  key: string;
  etag: string;
  size: number;
}

/** HEADs run at once when sources are listed by key. */
const HEAD_CONCURRENCY = 16;
/** Rows per INSERT when recording the resolved set. */
const INSERT_BATCH = 10_000;

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

/** The objects of a key list, with their current ETag and size; missing keys are named. */
export async function headKeys(
  s3: S3Client,
  bucket: string,
  keys: readonly string[],
  signal?: AbortSignal,
): Promise<{ found: SourceObject[]; missing: string[] }> {
  const found: (SourceObject | undefined)[] = new Array<SourceObject | undefined>(keys.length);
  const missing: string[] = [];
  let next = 0;
  const lane = async () => {
    while (next < keys.length) {
      const index = next++;
      const key = keys[index] as string;
      try {
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), {
          abortSignal: signal,
        });
        found[index] = { key, etag: head.ETag ?? '', size: Number(head.ContentLength ?? 0) };
      } catch (err) {
        if (!isNotFound(err)) throw err;
        missing.push(key);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(HEAD_CONCURRENCY, keys.length) }, lane));
  return { found: found.filter((o): o is SourceObject => o !== undefined), missing };
}

/** Lists a prefix page by page, keeping the keys the globs select; `limit` stops early (the API's check). */
export async function listPrefix(
  s3: S3Client,
  sources: Extract<ExportSources, { prefix: string }>,
  options: { limit?: number; onPage?: (count: number) => void; signal?: AbortSignal } = {},
): Promise<SourceObject[]> {
  const wanted = keyFilter(sources.prefix, sources.include, sources.exclude);
  const objects: SourceObject[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: sources.bucket, Prefix: sources.prefix, ContinuationToken: token }),
      { abortSignal: options.signal },
    );
    for (const o of page.Contents ?? []) {
      if (o.Key === undefined || !wanted(o.Key)) continue;
      objects.push({ key: o.Key, etag: o.ETag ?? '', size: Number(o.Size ?? 0) });
      if (options.limit !== undefined && objects.length >= options.limit) return objects;
    }
    options.onPage?.(objects.length);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

async function resolveObjects(
  s3: S3Client,
  sources: ExportSources,
  signal: AbortSignal,
): Promise<SourceObject[]> {
  const ctx = Context.current();
  if ('keys' in sources) {
    const { found, missing } = await headKeys(s3, sources.bucket, sources.keys, signal);
    if (missing.length) {
      const named = missing.slice(0, 10).join(', ');
      throw nonRetryable(
        Failure.ExportSourcesEmpty,
        `${missing.length} source key(s) do not exist: ${named}`,
      );
    }
    return found;
  }
  const objects = await listPrefix(s3, sources, { onPage: (n) => ctx.heartbeat(n), signal });
  if (objects.length === 0) {
    throw nonRetryable(
      Failure.ExportSourcesEmpty,
      `no object under "${sources.prefix}" matches the export's globs`,
    );
  }
  return objects;
}

/** Archive paths of the objects; a collision or an escaping path fails the export for good. */
function pathsOf(layout: ExportLayout, objects: SourceObject[]): string[] {
  try {
    const { paths, collision } = mapPaths(
      layout,
      objects.map((o) => o.key),
    );
    if (collision) {
      throw nonRetryable(
        Failure.LayoutCollision,
        `"${collision.keys[0]}" and "${collision.keys[1]}" both map to "${collision.path}" in the archive`,
      );
    }
    return paths;
  } catch (err) {
    if (err instanceof FerryError) throw nonRetryable(Failure.LayoutCollision, err.message);
    throw err;
  }
}

/**
 * Resolves an export's sources once: the objects, their ETags and sizes and
 * their archive paths are recorded; a retry (or a resumed workflow) finds
 * them recorded and keeps them, so the archive is made of exactly that set.
 */
export async function resolveSources(db: Db, s3: S3Client, exportId: string) {
  const row = await runningExport(db, exportId);
  if (row.entryCount !== null) return { entries: row.entryCount, totalBytes: Number(row.totalBytes ?? 0) };
  const { sources, layout } = row.request as unknown as { sources: ExportSources; layout: ExportLayout };
  const objects = await resolveObjects(s3, sources, Context.current().cancellationSignal);
  const paths = pathsOf(layout, objects);
  const totalBytes = objects.reduce((n, o) => n + o.size, 0);
  const ctx = Context.current();
  await db.$transaction(
    async (tx) => {
      await tx.exportEntry.deleteMany({ where: { exportId } });
      // One INSERT of arrays per batch: row-by-row parameters cost seconds per thousand rows on a busy machine.
      for (let i = 0; i < objects.length; i += INSERT_BATCH) {
        const batch = objects.slice(i, i + INSERT_BATCH);
        ctx.heartbeat(i);
        await tx.$executeRaw`
          INSERT INTO "ExportEntry" ("exportId", "index", "key", "etag", "size", "path")
          SELECT ${exportId}::uuid, * FROM unnest(
            ${batch.map((_, j) => i + j)}::int[],
            ${batch.map((o) => o.key)}::text[],
            ${batch.map((o) => o.etag)}::text[],
            ${batch.map((o) => String(o.size))}::bigint[],
            ${paths.slice(i, i + INSERT_BATCH)}::text[])`;
      }
      await tx.export.update({
        where: { id: exportId },
        data: { entryCount: objects.length, totalBytes: BigInt(totalBytes) },
      });
    },
    { timeout: 120_000 },
  );
  return { entries: objects.length, totalBytes };
}
