import { Transform, type Readable } from 'node:stream';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CancelledFailure, Context } from '@temporalio/activity';
import { ZipFile } from 'yazl';
import './zip-crc';
import type { Db } from '../../lib/db';
import { EntryReader, type ReadyEntry } from './entries';
import { PartWriter, abortMultipart, openMultipart, partSizeFor } from './archive-parts';
import type { ExportReporter } from './progress';
import { runningExport, type ExportRow } from './store';

export interface BuiltArchive {
  stagingKey: string;
  archiveSize: number;
  archiveSha256: string;
}

export interface BuildDeps {
  db: Db;
  s3: S3Client;
  stagingPrefix: string;
  partBytes: number;
}

export function stagingKeyOf(prefix: string, exportId: string, archiveName: string): string {
  return `${prefix}exports/${exportId}/${archiveName}`;
}

/**
 * Feeds the zip one entry at a time: the next entry is added only when yazl
 * asks for the current one's stream, so entries do not pile up ahead of the
 * archive; the reader fetches a bounded number of small objects ahead.
 */
function feedZip(
  zip: ZipFile,
  deps: { db: Db; s3: S3Client; row: ExportRow; signal: AbortSignal },
  onBytes: (n: number, entryDone: boolean) => void,
  fail: (err: unknown) => void,
): void {
  const { row, signal } = deps;
  const entries = new EntryReader(deps.db, deps.s3, { exportId: row.id, bucket: row.bucket }, signal);
  const compress = (row.request as { compression?: string }).compression === 'deflate';
  const add = ({ entry, open }: ReadyEntry) => {
    zip.addReadStreamLazy(
      entry.path,
      { size: Number(entry.size), compress, mtime: row.createdAt, mode: 0o100644 },
      (cb) => {
        open()
          .then((body) => {
            const counter = new Transform({
              transform(chunk: Buffer, _enc, done) {
                onBytes(chunk.length, false);
                done(null, chunk);
              },
              flush(done) {
                onBytes(0, true);
                done();
              },
            });
            body.on('error', (err) => counter.destroy(err));
            // yazl pipes the stream on without listening for its errors: an S3 read
            // failing mid-object must fail the build, not crash the worker.
            counter.on('error', fail);
            cb(null, body.pipe(counter));
            return entries.next().then((following) => (following ? add(following) : zip.end()));
          })
          .catch(fail);
      },
    );
  };
  entries
    .next()
    .then((first) => (first ? add(first) : zip.end()))
    .catch(fail);
}

/**
 * Builds the archive into a fresh multipart upload at the staging key. A
 * build interrupted by a crash starts over on a new upload (the recorded one
 * is aborted first), so a staged archive is always one whole build.
 */
export async function buildArchive(
  deps: BuildDeps,
  exportId: string,
  report: ExportReporter,
): Promise<BuiltArchive> {
  const { db, s3 } = deps;
  const row = await runningExport(db, exportId);
  if (row.stagingKey && row.archiveSha256 && row.archiveSize !== null && !row.multipartUploadId) {
    const head = await s3.send(new HeadObjectCommand({ Bucket: row.bucket, Key: row.stagingKey }));
    if (Number(head.ContentLength) === Number(row.archiveSize)) {
      return {
        stagingKey: row.stagingKey,
        archiveSize: Number(row.archiveSize),
        archiveSha256: row.archiveSha256,
      };
    }
  }
  const stagingKey = stagingKeyOf(deps.stagingPrefix, exportId, row.archiveName);
  if (row.multipartUploadId)
    await abortMultipart(s3, row.bucket, row.stagingKey ?? stagingKey, row.multipartUploadId);
  const uploadId = await openMultipart(s3, row.bucket, stagingKey);
  await db.export.update({
    where: { id: exportId },
    data: { stagingKey, multipartUploadId: uploadId, archiveSha256: null, archiveSize: null },
  });

  const signal = Context.current().cancellationSignal;
  const estimate = Number(row.totalBytes ?? 0) + (row.entryCount ?? 0) * 200;
  const writer = new PartWriter(
    s3,
    { bucket: row.bucket, key: stagingKey, uploadId },
    partSizeFor(deps.partBytes, estimate),
    signal,
  );
  const zip = new ZipFile();
  let failure: Error | undefined;
  const fail = (err: unknown) => {
    failure ??= err instanceof Error ? err : new Error(String(err));
    (zip.outputStream as Readable).destroy(err instanceof Error ? err : new Error(String(err)));
  };
  const onAbort = () => fail(new CancelledFailure('export cancelled'));
  signal.addEventListener('abort', onAbort);
  zip.on('error', fail);
  let entriesDone = 0;
  let bytesDone = 0;
  feedZip(
    zip,
    { db, s3, row, signal },
    (n, entryDone) => {
      bytesDone += n;
      if (entryDone) entriesDone++;
      report.update({ phase: 'building', entriesDone, bytesDone }, { entriesDone, bytesDone });
    },
    fail,
  );
  try {
    for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) await writer.write(chunk);
  } catch (err) {
    throw failure ?? err;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (failure !== undefined) throw failure;
  const archiveSha256 = await writer.finish();
  const head = await s3.send(new HeadObjectCommand({ Bucket: row.bucket, Key: stagingKey }));
  if (Number(head.ContentLength) !== writer.size) {
    throw new Error(`staged archive is ${head.ContentLength} bytes, ${writer.size} were written`);
  }
  await db.export.update({
    where: { id: exportId },
    data: { multipartUploadId: null, archiveSize: BigInt(writer.size), archiveSha256 },
  });
  return { stagingKey, archiveSize: writer.size, archiveSha256 };
}
