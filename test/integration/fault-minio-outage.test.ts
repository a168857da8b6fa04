import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { startTestApi } from '../helpers/api-client';
import { exportDir, putObjects, removeExportDirs, settledExport, unzipTestOk } from '../helpers/exports';
import type { WorkflowHandle } from '@temporalio/client';
import { createTestDeps, type TestDeps } from '../helpers/deps';
import {
  checkpointParts,
  createTestServer,
  createTransferRow,
  removeTestFiles,
  startTransfer,
  transferRow,
  writeRandomFile,
} from '../helpers/ingest-fixtures';
import { startPrivateMinio } from '../helpers/private-minio';
import { terminateOpenWorkflows } from '../helpers/servers';
import { bucketContents, objectDigest } from '../helpers/storage';
import {
  assertNoStagedLeft,
  batchCompletions,
  chunksOf,
  sha256,
  startUploadsApi,
  type UploadsApi,
} from '../helpers/uploads';
import { waitFor } from '../helpers/wait';
import {
  startWorkerProcess,
  unlessWorkerDies as unlessDies,
  type WorkerProcess,
} from '../helpers/worker-process';
import { taskQueueFor } from '../helpers/workflows';
import { MiB } from '../../src/lib/units';

const OUTAGE_MS = 60_000;

/** Whether some activity of the workflow has failed and is being tried again. */
async function retrying(handle: WorkflowHandle): Promise<boolean> {
  const pending = (await handle.describe()).raw.pendingActivities ?? [];
  return pending.some((a) => (a.attempt ?? 0) >= 2);
}

/**
 * Issue 16, "Faults": object storage stops for a minute under a transfer and
 * an upload's assembly. A MinIO of the test's own (the shared one serves the
 * other tests) is stopped while both are mid-way and started again on the
 * same port and data after 60 s; a real worker in a process of its own works
 * throughout. Both jobs must end `completed` with the right bytes, leaving no
 * multipart upload, staged chunk or stray object behind.
 */
describe('fault: MinIO stopped for 60 s during a transfer and an assembly (and during an export build)', () => {
  const taskQueue = taskQueueFor('fault minio outage');
  let minio: Awaited<ReturnType<typeof startPrivateMinio>> | undefined;
  let deps: TestDeps | undefined;
  let api: UploadsApi | undefined;
  let worker: WorkerProcess | undefined;
  /** Fails, with what it printed, should the worker die: it must ride the outage out. */
  const unlessWorkerDies = <T>(p: Promise<T>): Promise<T> => unlessDies(worker as WorkerProcess, p);

  before(async () => {
    minio = await startPrivateMinio();
    const overrides = {
      S3_ENDPOINT: minio.endpoint,
      TEMPORAL_TASK_QUEUE: taskQueue,
      TRANSFER_PART_MIB: '5',
      // Few, small reads in flight: slow enough for storage to stop in the middle of the file.
      SFTP_READ_CONCURRENCY: '4',
      SFTP_READ_CHUNK_BYTES: '65536',
      LOG_LEVEL: 'warn',
    };
    deps = await createTestDeps(overrides);
    api = await startUploadsApi(deps);
    worker = await startWorkerProcess(taskQueue, overrides);
  });
  after(async () => {
    try {
      await worker?.stop('SIGKILL');
      await api?.close();
      if (deps) await terminateOpenWorkflows(deps.temporal, taskQueue);
      removeTestFiles();
      await deps?.close();
    } finally {
      await minio?.destroy();
    }
  });

  it('finishes both, completed and exact, once storage is back', async () => {
    const d = deps as TestDeps;
    const uploads = api as UploadsApi;
    const storage = minio as NonNullable<typeof minio>;

    // The upload's chunks are staged while storage is up: 32 × 4 MiB, coalesced through the
    // worker into 8 parts (one batch each) while the whole file is hashed.
    const chunks = chunksOf(32, 4 * MiB);
    const whole = Buffer.concat(chunks);
    const created = await uploads.call('POST', '/v1/uploads', {
      filename: 'outage.bin',
      sha256: sha256(whole),
    });
    assert.equal(created.status, 201);
    const uploadId = created.body.uploadId;
    for (const [i, chunk] of chunks.entries()) {
      assert.equal((await uploads.putChunk(uploadId, i, chunk)).status, 201);
    }

    const server = await createTestServer(d);
    const size = 160 * MiB + 11;
    const sha = writeRandomFile(server, 'outage.bin', size);
    const row = await createTransferRow(d, server, 'outage.bin');
    const transfer = await startTransfer(d, row, taskQueue);
    await waitFor(
      'two parts of the transfer recorded',
      async () => checkpointParts(await transferRow(d, row.id)) >= 2,
      {
        timeoutMs: 60_000,
        intervalMs: 20,
      },
    );
    const completed = await uploads.call('POST', `/v1/uploads/${uploadId}/complete`, {
      chunkCount: chunks.length,
    });
    assert.equal(completed.status, 202);
    const jobId = completed.body.jobId;
    const assembly = d.temporal.workflow.getHandle(jobId);
    await waitFor(
      'a batch of the assembly to complete',
      async () => (await batchCompletions(d, jobId)).length >= 1,
      {
        timeoutMs: 60_000,
        intervalMs: 20,
      },
    );

    await storage.stop();
    const stoppedAt = Date.now();
    const atStop = await transferRow(d, row.id);
    assert.equal(atStop.status, 'running');
    assert.ok(atStop.bytesDone < BigInt(size), 'storage stopped before the end of the file');
    const uploadAtStop = await d.db.upload.findUniqueOrThrow({ where: { id: uploadId } });
    assert.equal(uploadAtStop.status, 'processing', 'storage stopped mid-assembly');
    assert.ok((await batchCompletions(d, jobId)).length < 8, 'some batches were left to do');

    // Both notice: their activities fail and are retried (with backoff) while storage is away.
    await unlessWorkerDies(
      waitFor('the transfer to retry', () => retrying(transfer), { timeoutMs: OUTAGE_MS }),
    );
    await unlessWorkerDies(
      waitFor('the assembly to retry', () => retrying(assembly), { timeoutMs: OUTAGE_MS }),
    );
    assert.equal((await transfer.describe()).status.name, 'RUNNING');
    assert.equal((await assembly.describe()).status.name, 'RUNNING');
    // The fault itself: storage stays away for its full minute.
    await sleep(stoppedAt + OUTAGE_MS - Date.now());
    await storage.restart();

    const result = await unlessWorkerDies(transfer.result());
    assert.equal(result.status, 'completed');
    assert.equal(result.sha256, sha);
    const upload = await unlessWorkerDies(
      uploads.waitForStatus(uploadId, ['completed', 'failed', 'cancelled'], 300_000),
    );
    assert.equal(upload.status, 'completed', `upload ended ${upload.status}: ${upload.error}`);

    // Storage agrees with both rows: the two objects, exact, and nothing else.
    assert.deepEqual(await objectDigest(d, row.objectKey, row.bucket), { sha256: sha, size });
    assert.deepEqual(await objectDigest(d, upload.key), { sha256: sha256(whole), size: whole.length });
    await assertNoStagedLeft(d, uploadId);
    assert.deepEqual(await bucketContents(d), { objects: [row.objectKey, upload.key].sort(), uploads: [] });

    const done = await transferRow(d, row.id);
    assert.equal(done.status, 'completed');
    assert.equal(done.sha256, sha);
    assert.equal(done.error, null);
    const attempts = await d.db.transferAttempt.findMany({
      where: { transferId: row.id },
      orderBy: { attempt: 'asc' },
    });
    const last = attempts.at(-1);
    assert.ok(attempts.length >= 2 && last, 'a later attempt finished the file');
    assert.ok(last.startOffset > 0n, 'the later attempt resumed instead of starting over');
    assert.equal((await batchCompletions(d, jobId)).length, 8, 'each batch completed once');
  });

  it('an export whose build loses storage mid-object builds again once it is back, and the worker lives', async () => {
    const d = deps as TestDeps;
    const storage = minio as NonNullable<typeof minio>;
    const api = await startTestApi(d);
    try {
      const prefix = `outage-export-${randomUUID().slice(0, 8)}/`;
      const objects = Array.from({ length: 12 }, (_, i) => ({
        key: `${prefix}part-${i}.bin`,
        body: randomBytes(16 * MiB),
      }));
      await putObjects(d.s3, d.config.FERRY_BUCKET, objects);
      const server = await createTestServer(d);
      const target = exportDir();
      const started = await api.call<{ exportId: string }>('POST', '/v1/exports', {
        json: {
          sources: { bucket: d.config.FERRY_BUCKET, prefix },
          layout: 'flatten',
          archiveName: 'outage.zip',
          compression: 'store',
          target: { serverId: server.id, directory: target.relative },
        },
      });
      assert.equal(started.status, 202, started.text);
      const { exportId } = started.body;
      // The row's phase, not the live progress query: a busy worker may answer queries late.
      const phase = async () => (await d.db.export.findUnique({ where: { id: exportId } }))?.phase;
      await waitFor('the build to start', async () => (await phase()) === 'building', {
        timeoutMs: 60_000,
        intervalMs: 10,
      });
      await storage.stop();
      assert.equal(await phase(), 'building', 'storage stopped before the build ended');
      await sleep(10_000);
      await storage.restart();

      const done = await unlessWorkerDies(settledExport(api, exportId, 300_000));
      assert.equal(done.status, 'completed', `export ended ${done.status}: ${done.error}`);
      assert.equal(done.entries, objects.length);
      const file = path.join(target.local, 'outage.zip');
      assert.ok(await unzipTestOk(file), 'the delivered archive is whole');
    } finally {
      removeExportDirs();
      await api.close();
    }
  });
});
