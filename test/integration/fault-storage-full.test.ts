import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { createTestDeps, type TestDeps } from '../helpers/deps';
import {
  createTestServer,
  createTransferRow,
  localPathOf,
  removeTestFiles,
  startTransfer,
  transferRow,
  writeRandomFile,
} from '../helpers/ingest-fixtures';
import { startPrivateMinio } from '../helpers/private-minio';
import { terminateOpenWorkflows } from '../helpers/servers';
import { objectDigest, openMultipartUploads } from '../helpers/storage';
import { chunksOf, objectExists, sha256, startUploadsApi } from '../helpers/uploads';
import { waitFor } from '../helpers/wait';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';
import { MiB } from '../../src/lib/units';

const sha256Of = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/**
 * Issue 16, "Faults": object storage runs out of space under a transfer. A
 * MinIO of the test's own keeps its data on a 64 MiB tmpfs (the tests run as
 * root: scripts/services.sh needs it for sshd), and a file beside MinIO's data
 * directory fills that filesystem until MinIO refuses writes for real
 * (XMinioStorageFull, HTTP 507: it keeps 1% of a drive free and wants twice a
 * part's size). Removing the file is "freeing space".
 */
describe('fault: object storage out of space', () => {
  const taskQueue = taskQueueFor('fault storage full');
  const mount = mkdtempSync(path.join(tmpdir(), 'ferry-full-'));
  const filler = path.join(mount, 'filler');
  let mounted = false;
  let minio: Awaited<ReturnType<typeof startPrivateMinio>> | undefined;
  let deps: TestDeps | undefined;

  before(async () => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', mount]);
    mounted = true;
    mkdirSync(path.join(mount, 'data'));
    minio = await startPrivateMinio({}, { dataDir: path.join(mount, 'data') });
    deps = await createTestDeps({
      S3_ENDPOINT: minio.endpoint,
      TEMPORAL_TASK_QUEUE: taskQueue,
      TRANSFER_PART_MIB: '5',
    });
  });
  after(async () => {
    try {
      removeTestFiles();
      if (deps) await terminateOpenWorkflows(deps.temporal, taskQueue);
      await deps?.close();
      await minio?.destroy();
    } finally {
      if (mounted) execFileSync('umount', [mount]);
      rmSync(mount, { recursive: true, force: true });
    }
  });

  /** Leaves `free` bytes free on the filesystem: less than MinIO needs for a part; undone after the test. */
  function fillUpTo(t: TestContext, free: number): void {
    const fs = statfsSync(mount);
    writeFileSync(filler, Buffer.alloc(fs.bavail * fs.bsize - free));
    t.after(() => rmSync(filler, { force: true }));
  }

  it('keeps retrying a transfer with a clear StorageFull error, leaving the source alone, and completes once space is freed', async (t) => {
    const d = deps as TestDeps;
    // Delete after transfer: the source may go only once the object is stored and verified.
    const server = await createTestServer(d, { afterTransfer: 'delete' });
    const size = 12 * MiB + 5;
    const sha = writeRandomFile(server, 'full.bin', size);
    const source = localPathOf(server, 'full.bin');
    const row = await createTransferRow(d, server, 'full.bin');
    fillUpTo(t, 4 * MiB);

    const result = await withWorker(d, taskQueue, async () => {
      const handle = await startTransfer(d, row, taskQueue);
      const failing = await waitFor(
        'the transfer activity to fail with StorageFull and be retried twice',
        async () => {
          const pending = (await handle.describe()).raw.pendingActivities?.[0];
          return (pending?.attempt ?? 0) >= 3 && pending?.lastFailure ? pending : undefined;
        },
        { timeoutMs: 60_000 },
      );
      // Retryable, and it says what is wrong and where.
      const info = failing.lastFailure?.applicationFailureInfo;
      assert.equal(info?.type, 'StorageFull');
      assert.ok(!info?.nonRetryable, 'the failure is retryable');
      assert.match(failing.lastFailure?.message ?? '', /object storage is full \(bucket ferry-test\)/);
      assert.equal((await handle.describe()).status.name, 'RUNNING');
      // The row shows it while the transfer waits for its next attempt.
      const shown = await waitFor('the failed attempt on the row', async () => {
        const r = await transferRow(d, row.id);
        return r.error ? r : undefined;
      });
      assert.equal(shown.status, 'running');
      assert.match(
        shown.error ?? '',
        /^attempt \d+ failed, retried with backoff: .*object storage is full \(bucket ferry-test\)/,
      );
      // Nothing stored, and the source untouched although the server says delete.
      assert.equal(await objectExists(d, row.objectKey), false);
      assert.equal(sha256Of(source), sha, 'the source file is still there, unchanged');

      rmSync(filler);
      return await handle.result();
    });

    assert.equal(result.status, 'completed');
    assert.equal(result.sha256, sha);
    assert.deepEqual(await objectDigest(d, row.objectKey, row.bucket), { sha256: sha, size });
    assert.deepEqual(await openMultipartUploads(d, row.objectKey, row.bucket), []);
    const done = await transferRow(d, row.id);
    assert.equal(done.status, 'completed');
    assert.equal(done.error, null);
    assert.ok(done.attempts >= 3, `completed on attempt ${done.attempts}`);
    // Deleted as the server says, now that the object is stored and verified.
    assert.throws(() => readFileSync(source), { code: 'ENOENT' });
  });

  it('answers a chunk it has no room for 507 storage_full, recording nothing, and takes it once space is freed', async (t) => {
    const d = deps as TestDeps;
    const api = await startUploadsApi(d);
    t.after(() => api.close());
    const [chunk] = chunksOf(1, 6 * MiB) as [Buffer];
    const created = await api.call('POST', '/v1/uploads', { filename: 'full.bin', sha256: sha256(chunk) });
    assert.equal(created.status, 201);
    const id = created.body.uploadId;
    fillUpTo(t, 4 * MiB);

    const refused = await api.putChunk(id, 0, chunk);
    assert.equal(refused.status, 507);
    assert.equal(refused.failure.code, 'storage_full');
    assert.match(refused.failure.message, /object storage is full/);
    assert.equal(refused.headers.get('retry-after'), '30');
    assert.deepEqual((await api.call('GET', `/v1/uploads/${id}`)).body.receivedChunks, []);

    rmSync(filler);
    // MinIO looks at its drive's free space at most once a second.
    const stored = await waitFor('the chunk to be taken', async () => {
      const again = await api.putChunk(id, 0, chunk);
      return again.status === 201 ? again : undefined;
    });
    assert.equal(stored.body.duplicate, false);
    assert.deepEqual((await api.call('GET', `/v1/uploads/${id}`)).body.receivedChunks, [0]);
  });
});
