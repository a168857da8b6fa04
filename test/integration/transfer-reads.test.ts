import assert from 'node:assert/strict';
import { utimesSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { Server } from '../../src/generated/prisma/client';
import {
  createTestServer,
  createTransferRow,
  localPathOf,
  startTransfer,
  transferRow,
  writeRandomFile,
} from '../helpers/ingest-fixtures';
import { useTransferDeps } from '../helpers/suite';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';
import { objectDigest, openMultipartUploads } from '../helpers/storage';
import { MiB } from '../../src/lib/units';

type Callback = (err: unknown, ...results: unknown[]) => void;
interface SftpMethods {
  open: (this: SftpMethods, path: string, flags: unknown, ...rest: unknown[]) => unknown;
  read: (
    this: SftpMethods,
    handle: Buffer,
    buf: Buffer,
    off: number,
    len: number,
    pos: number,
    cb: Callback,
  ) => unknown;
}

/**
 * Counts the bytes the real SFTP server answers to READs, per remote path,
 * by wrapping ssh2's SFTP client methods in this process (the test worker
 * runs here). The server and the transfers are untouched.
 */
function countReads() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- ssh2 exports its SFTP class only there
  const proto = (require('ssh2/lib/protocol/SFTP.js') as { SFTP: { prototype: SftpMethods } }).SFTP.prototype;
  const { open, read } = proto;
  const pathOfHandle = new Map<string, string>();
  const bytes = new Map<string, number>();
  proto.open = function (this: SftpMethods, path, flags, ...rest) {
    const cb = rest.pop() as Callback;
    return open.call(this, path, flags, ...rest, (err: unknown, handle: Buffer) => {
      if (!err) pathOfHandle.set(handle.toString('hex'), path);
      cb(err, handle);
    });
  };
  proto.read = function (this: SftpMethods, handle, buf, off, len, pos, cb) {
    return read.call(this, handle, buf, off, len, pos, (err: unknown, n: unknown, ...more: unknown[]) => {
      const path = pathOfHandle.get(handle.toString('hex'));
      if (!err && path !== undefined && typeof n === 'number') bytes.set(path, (bytes.get(path) ?? 0) + n);
      cb(err, n, ...more);
    });
  };
  return {
    bytesReadFrom: (path: string) => bytes.get(path) ?? 0,
    restore: () => Object.assign(proto, { open, read }),
  };
}

/**
 * How much of its source a transfer reads. A new version of a file the size
 * of the stored object may be the same bytes: a file of more than two parts
 * is still read once (no hashing pass first, which a crash would restart
 * from byte 0), and compared before its upload is completed.
 */
describe('transfer: reads of the source', () => {
  const deps = useTransferDeps({ TRANSFER_PART_MIB: '5' });
  let reads: ReturnType<typeof countReads>;
  before(() => {
    reads = countReads();
  });
  after(() => {
    reads.restore();
  });

  async function transferVersion(server: Server, rel: string, taskQueue: string, minutesLater: number) {
    const later = new Date(Date.now() + minutesLater * 60_000);
    utimesSync(localPathOf(server, rel), later, later);
    const row = await createTransferRow(deps, server, rel);
    return { row, result: await (await startTransfer(deps, row, taskQueue)).result() };
  }

  it('reads a multi-part file once when the stored object is the same size, same bytes or not', async (t) => {
    const server = await createTestServer(deps);
    const rel = 'daily.bin';
    const size = 12 * MiB + 5; // three parts of 5 MiB
    writeRandomFile(server, rel, size);
    const remotePath = `${server.remoteDir}/${rel}`;
    const taskQueue = taskQueueFor(t.name);
    await withWorker(deps, taskQueue, async () => {
      const first = await transferVersion(server, rel, taskQueue, 1);
      assert.equal(first.result.status, 'completed');
      const ref = { Bucket: first.row.bucket, Key: first.row.objectKey };
      const stored = await deps.s3.send(new HeadObjectCommand(ref));
      assert.equal(reads.bytesReadFrom(remotePath), size);

      // Touched: same bytes. Read once, not uploaded over the stored object.
      const touched = await transferVersion(server, rel, taskQueue, 2);
      assert.equal(touched.result.status, 'skipped');
      assert.equal((await transferRow(deps, touched.row.id)).status, 'skipped');
      const again = await deps.s3.send(new HeadObjectCommand(ref));
      assert.equal(again.ETag, stored.ETag);
      assert.deepEqual(again.LastModified, stored.LastModified);
      assert.deepEqual(
        await openMultipartUploads(deps, ref.Key, ref.Bucket),
        [],
        'its multipart upload was aborted',
      );
      assert.equal(reads.bytesReadFrom(remotePath), 2 * size, 'read once');

      // Same size, other bytes: read once, stored.
      const sha = writeRandomFile(server, rel, size);
      const changed = await transferVersion(server, rel, taskQueue, 3);
      assert.equal(changed.result.status, 'completed');
      assert.equal((await objectDigest(deps, ref.Key, ref.Bucket)).sha256, sha);
      assert.equal(reads.bytesReadFrom(remotePath), 3 * size, 'read once, no hashing pass first');
    });
  });
});
