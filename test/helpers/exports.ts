import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { TestApi } from './api-client';
import { sftpAccount } from './env';
import { connectTestSftp } from './sftp';
import { waitFor } from './wait';

const run = promisify(execFile);

export { putObjects, removePrefix } from '../../bench/lib/objects';

/** A directory of the SFTP account that one test delivers into; removed by `removeExportDirs`. */
const dirs = new Set<string>();
export function exportDir(): { relative: string; local: string } {
  const relative = `exports-${randomUUID().slice(0, 8)}`;
  const local = path.join(sftpAccount().root, relative);
  dirs.add(local);
  return { relative, local };
}

export function removeExportDirs(): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}

/** Files in a delivery directory (the temporary names start with "."). */
export function remoteListing(local: string): string[] {
  try {
    return readdirSync(local).sort();
  } catch {
    return [];
  }
}

/** A ustar header for a regular file (names up to 100 bytes, which is all the tests need). */
function tarHeader(name: string, size: number): Buffer {
  const header = Buffer.alloc(512);
  if (Buffer.byteLength(name) > 100) throw new Error(`tar name over 100 bytes: ${name}`);
  header.write(name, 0, 100, 'utf8');
  header.write('0000644\0', 100); // mode
  header.write('0000000\0', 108); // uid
  header.write('0000000\0', 116); // gid
  header.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136); // mtime
  header.write('        ', 148); // checksum, counted as spaces
  header.write('0', 156); // regular file
  header.write('ustar\0' + '00', 257);
  const sum = header.reduce((n, b) => n + b, 0);
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return header;
}

/**
 * Many small objects at once: MinIO's "snowball" upload (a tar PUT with
 * `X-Amz-Meta-Snowball-Auto-Extract: true`) stores each tar entry as an
 * object of its own (the key is the entry's name), an order of magnitude
 * faster than one PutObject each. The objects are ordinary objects
 * (listing, ETag, GetObject). A few tars go at once.
 */
export async function putObjectsInBulk(
  s3: S3Client,
  bucket: string,
  objects: { key: string; body: string }[],
  tars = 8,
): Promise<void> {
  const per = Math.ceil(objects.length / tars);
  await Promise.all(
    Array.from({ length: tars }, async (_, t) => {
      const parts: Buffer[] = [];
      for (const o of objects.slice(t * per, (t + 1) * per)) {
        const body = Buffer.from(o.body);
        parts.push(tarHeader(o.key, body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512));
      }
      parts.push(Buffer.alloc(1024)); // end of archive
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `bulk-${randomUUID()}.tar`,
          Body: Buffer.concat(parts),
          Metadata: { 'snowball-auto-extract': 'true' },
        }),
      );
    }),
  );
}

/** Fetches a delivered file back over SFTP into a local temporary file. */
export async function fetchOverSftp(remotePath: string): Promise<string> {
  const local = path.join(tmpdir(), `ferry-export-${randomUUID()}.zip`);
  const client = await connectTestSftp('key');
  try {
    await client.fastGet(remotePath, local);
  } finally {
    await client.end();
  }
  return local;
}

/**
 * What Python's zipfile (not Ferry's code) reads in an archive: each entry's
 * name, size and SHA-256, after `testzip()` checked every CRC.
 */
export async function readArchive(
  file: string,
): Promise<{ entries: Record<string, { size: number; sha256: string }>; zip64: boolean }> {
  const script = `
import hashlib, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    bad = z.testzip()
    if bad is not None:
        sys.exit("bad entry: " + bad)
    out = {}
    for info in z.infolist():
        h = hashlib.sha256()
        with z.open(info) as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        out[info.filename] = {"size": info.file_size, "sha256": h.hexdigest()}
with open(sys.argv[1], "rb") as f:
    f.seek(0, 2)
    f.seek(max(0, f.tell() - 65536 - 98))
    tail = f.read()
print(json.dumps({"entries": out, "zip64": b"PK\\x06\\x06" in tail}))
`;
  const { stdout } = await run('python3', ['-c', script, file], { maxBuffer: 256 * 1024 * 1024 });
  return JSON.parse(stdout) as { entries: Record<string, { size: number; sha256: string }>; zip64: boolean };
}

/** Info-ZIP's verdict on an archive. */
export async function unzipTestOk(file: string): Promise<boolean> {
  try {
    await run('unzip', ['-tqq', file], { maxBuffer: 64 * 1024 * 1024 });
    return true;
  } catch {
    return false;
  }
}

export interface ExportAnswer {
  exportId: string;
  jobId: string;
  status: string;
  phase: string | null;
  error: string | null;
  errorType: string | null;
  validatorReasons: string[] | null;
  remotePath: string | null;
  archiveSize: number | null;
  archiveSha256: string | null;
  entries: number | null;
  progress: {
    entriesDone: number;
    entriesTotal: number | null;
    bytesDone: number;
    bytesTotal: number | null;
  } | null;
}

export async function getExport(api: TestApi, exportId: string): Promise<ExportAnswer> {
  const res = await api.call<ExportAnswer>('GET', `/v1/exports/${exportId}`);
  if (res.status !== 200) throw new Error(`GET export answered ${res.status}: ${res.text}`);
  return res.body;
}

/** Waits until the export's row is closed (completed, failed or cancelled). */
export async function settledExport(
  api: TestApi,
  exportId: string,
  timeoutMs = 120_000,
): Promise<ExportAnswer> {
  return await waitFor(
    `export ${exportId} to finish`,
    async () => {
      const e = await getExport(api, exportId);
      return ['completed', 'failed', 'cancelled'].includes(e.status) ? e : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
}
