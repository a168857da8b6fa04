import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GetObjectTaggingCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import {
  createTestServer,
  createTransferRow,
  startTransfer,
  transferRow,
  writeRandomFile,
} from '../helpers/ingest-fixtures';
import { useTransferDeps } from '../helpers/suite';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';
import { objectDigest, openMultipartUploads } from '../helpers/storage';
import { MiB } from '../../src/lib/units';

describe('transfer: content fidelity', () => {
  // Small parts keep the >100 MiB file a real multipart upload of many parts.
  const deps = useTransferDeps({ TRANSFER_PART_MIB: '8' });

  it('stores every file byte for byte, records its SHA-256 in the row and the object tag', async (t) => {
    const server = await createTestServer(deps);
    const files: Record<string, number> = {
      'top.csv': 1234,
      'nested/deeper/with space.bin': 300_000,
      'nested/Ünïcödé données/日本語 ファイル.txt': 70_000,
      'nested/empty.dat': 0,
      'one-part-exactly.bin': 8 * MiB,
      'large/over 100 MiB.bin': 101 * MiB + 12_345,
    };
    const expected = new Map(
      Object.entries(files).map(([rel, size]) => [rel, writeRandomFile(server, rel, size)]),
    );
    const rows = await Promise.all(Object.keys(files).map((rel) => createTransferRow(deps, server, rel)));
    const taskQueue = taskQueueFor(t.name);
    const results = await withWorker(deps, taskQueue, async () => {
      const handles = await Promise.all(rows.map((row) => startTransfer(deps, row, taskQueue)));
      return await Promise.all(handles.map((h) => h.result()));
    });

    for (const [i, row] of rows.entries()) {
      const rel = Object.keys(files)[i] as string;
      const sha = expected.get(rel);
      assert.equal(results[i]?.status, 'completed', rel);
      assert.equal(results[i]?.sha256, sha, rel);
      assert.equal(
        (await objectDigest(deps, row.objectKey, row.bucket)).sha256,
        sha,
        `object content of ${rel}`,
      );
      const head = await deps.s3.send(new HeadObjectCommand({ Bucket: row.bucket, Key: row.objectKey }));
      assert.equal(head.ContentLength, files[rel], rel);
      const tags = await deps.s3.send(
        new GetObjectTaggingCommand({ Bucket: row.bucket, Key: row.objectKey }),
      );
      const after = await transferRow(deps, row.id);
      assert.equal(tags.TagSet?.find((tag) => tag.Key === 'sha256')?.Value, after.sha256, rel);
      assert.equal(after.sha256, sha, rel);
      assert.equal(after.status, 'completed', rel);
      assert.equal(after.bytesDone, BigInt(files[rel] ?? -1), rel);
      assert.equal(after.uploadId, null, rel);
      assert.deepEqual(await openMultipartUploads(deps, row.objectKey, row.bucket), [], rel);
    }
    assert.equal(rows[5]?.objectKey, `${server.keyPrefix}large/over 100 MiB.bin`);
  });

  it('answers the progress query with bytes done and total', async (t) => {
    const server = await createTestServer(deps);
    const size = 40 * MiB;
    writeRandomFile(server, 'progress.bin', size);
    const row = await createTransferRow(deps, server, 'progress.bin');
    const taskQueue = taskQueueFor(t.name);
    const progress = await withWorker(deps, taskQueue, async () => {
      const handle = await startTransfer(deps, row, taskQueue);
      await handle.result();
      return await handle.query<{ done: number; total: number | null; phase: string }>('progress');
    });
    assert.deepEqual(progress, { done: size, total: size, phase: 'completed' });
  });
});
