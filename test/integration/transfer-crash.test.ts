import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
} from '@aws-sdk/client-s3';
import {
  checkpointParts,
  createTestServer,
  createTransferRow,
  startTransfer,
  transferRow,
  writeRandomFile,
} from '../helpers/ingest-fixtures';
import { withDbHook } from '../helpers/deps';
import { useTransferDeps } from '../helpers/suite';
import { waitFor } from '../helpers/wait';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';
import { objectDigest, openMultipartUploads } from '../helpers/storage';
import { MiB } from '../../src/lib/units';

const PART = 5 * MiB;
const overrides = { TRANSFER_PART_MIB: '5' };

describe('transfer: crash of the worker', () => {
  const deps = useTransferDeps(overrides);
  const workers: WorkerProcess[] = [];
  after(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
  });

  it('resumes on another worker after SIGKILL and re-reads at most two parts', async (t) => {
    const server = await createTestServer(deps);
    const size = 320 * MiB + 777;
    const sha = writeRandomFile(server, 'large.bin', size);
    const row = await createTransferRow(deps, server, 'large.bin');
    const taskQueue = taskQueueFor(t.name);

    const first = await startWorkerProcess(taskQueue, overrides);
    workers.push(first);
    const handle = await startTransfer(deps, row, taskQueue);
    await waitFor('eight parts recorded', async () => checkpointParts(await transferRow(deps, row.id)) >= 8, {
      timeoutMs: 60_000,
      intervalMs: 20,
    });
    await first.stop('SIGKILL');

    const killed = await transferRow(deps, row.id);
    assert.ok(killed.uploadId, 'the multipart upload is recorded on the row');
    assert.ok(killed.bytesDone < BigInt(size), 'the worker died before the end of the file');
    // What storage holds now: the recorded parts, plus any uploaded but not yet recorded.
    const listed = await deps.s3.send(
      new ListPartsCommand({ Bucket: row.bucket, Key: row.objectKey, UploadId: killed.uploadId }),
    );
    const numbers = new Set((listed.Parts ?? []).map((p) => p.PartNumber));
    let stored = 0;
    while (numbers.has(stored + 1)) stored++;

    workers.push(await startWorkerProcess(taskQueue, overrides));
    const result = await handle.result();
    assert.equal(result.status, 'completed');
    assert.equal(result.sha256, sha);
    assert.equal((await objectDigest(deps, row.objectKey, row.bucket)).sha256, sha);
    assert.deepEqual(await openMultipartUploads(deps, row.objectKey, row.bucket), []);

    const attempts = await deps.db.transferAttempt.findMany({
      where: { transferId: row.id },
      orderBy: { attempt: 'asc' },
    });
    assert.deepEqual(
      attempts.map((a) => a.attempt),
      [1, 2],
    );
    assert.equal(attempts[0]?.startOffset, 0n);
    const resumedAt = Number(attempts[1]?.startOffset);
    assert.ok(
      resumedAt >= Number(killed.bytesDone),
      `resumed at ${resumedAt}, checkpoint was ${killed.bytesDone}`,
    );
    assert.ok(
      resumedAt >= stored * PART - 2 * PART,
      `resumed at ${resumedAt} although storage held ${stored} parts (${stored * PART} bytes)`,
    );
    const done = await transferRow(deps, row.id);
    assert.equal(done.status, 'completed');
    assert.equal(done.attempts, 2);
  });

  it('aborts the upload an attempt opened but died before recording, and no other', async (t) => {
    const server = await createTestServer(deps);
    const sha = writeRandomFile(server, 'lost.bin', 2 * PART + 3);
    const row = await createTransferRow(deps, server, 'lost.bin');
    // An older version of the file, still transferring, names its upload at the same key: kept.
    const older = await deps.db.transfer.create({
      data: {
        serverId: row.serverId,
        remotePath: row.remotePath,
        size: row.size,
        mtimeMs: row.mtimeMs - 60_000n,
        workflowId: `${row.workflowId}-older`,
        bucket: row.bucket,
        objectKey: row.objectKey,
        status: 'running',
        startedAt: new Date(),
      },
    });
    const created = await deps.s3.send(
      new CreateMultipartUploadCommand({ Bucket: row.bucket, Key: row.objectKey }),
    );
    const named = created.UploadId ?? '';
    await deps.db.transfer.update({ where: { id: older.id }, data: { uploadId: named } });

    // The first attempt dies where a killed worker would leave an upload no row names:
    // opened, its ID not yet recorded.
    let lost: string | undefined;
    const dying = withDbHook(deps, (model, method, args) => {
      const { where, data } = args as { where?: { id?: string }; data?: { uploadId?: string | null } };
      if (model !== 'transfer' || method !== 'update' || where?.id !== row.id) return undefined;
      if (!data?.uploadId || lost) return undefined;
      lost = data.uploadId;
      return Promise.reject(new Error('worker lost before recording its multipart upload'));
    });
    const taskQueue = taskQueueFor(t.name);
    try {
      const result = await withWorker(dying, taskQueue, async () =>
        (await startTransfer(deps, row, taskQueue)).result(),
      );
      assert.ok(lost, 'the first attempt opened an upload and died before recording it');
      assert.equal(result.status, 'completed');
      assert.equal((await objectDigest(deps, row.objectKey, row.bucket)).sha256, sha);
      assert.equal((await transferRow(deps, row.id)).attempts, 2);
      assert.deepEqual(
        await openMultipartUploads(deps, row.objectKey, row.bucket),
        [named],
        "the lost upload is aborted, the older version's is not",
      );
    } finally {
      await deps.s3
        .send(new AbortMultipartUploadCommand({ Bucket: row.bucket, Key: row.objectKey, UploadId: named }))
        .catch(() => undefined);
      await deps.db.transfer.delete({ where: { id: older.id } });
    }
  });
  it('ends completed, not skipped, when the attempt that stored the object died before recording it', async (t) => {
    const server = await createTestServer(deps);
    const sha = writeRandomFile(server, 'stored-then-lost.bin', MiB + 5);
    const row = await createTransferRow(deps, server, 'stored-then-lost.bin');
    // The first attempt stores the object, then dies where a killed worker would: before the row says so.
    let died = false;
    const dying = withDbHook(deps, (model, method, args) => {
      const { where, data } = args as { where?: { id?: string }; data?: { sha256?: string } };
      if (model !== 'transfer' || method !== 'update' || where?.id !== row.id) return undefined;
      if (!data?.sha256 || died) return undefined;
      died = true;
      return Promise.reject(new Error('worker lost between storing the object and recording it'));
    });
    const taskQueue = taskQueueFor(t.name);
    const result = await withWorker(dying, taskQueue, async () =>
      (await startTransfer(deps, row, taskQueue)).result(),
    );
    assert.ok(died, 'the first attempt stored the object and died before recording it');
    assert.equal(result.status, 'completed', 'Ferry did transfer the file: not a duplicate');
    const after = await transferRow(deps, row.id);
    assert.equal(after.status, 'completed');
    assert.equal(after.sha256, sha);
    assert.equal((await objectDigest(deps, row.objectKey, row.bucket)).sha256, sha);
  });
});
