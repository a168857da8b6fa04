import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ListPartsCommand } from '@aws-sdk/client-s3';
import {
  checkpointParts,
  createTestServer,
  createTransferRow,
  objectSha256,
  openUploads,
  startTransfer,
  transferRow,
  writeRandomFile,
} from '../helpers/ingest-fixtures';
import { useTransferDeps } from '../helpers/suite';
import { waitFor } from '../helpers/wait';
import { taskQueueFor } from '../helpers/worker';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';

const MiB = 1024 * 1024;
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
    assert.equal(await objectSha256(deps, row.bucket, row.objectKey), sha);
    assert.deepEqual(await openUploads(deps, row.bucket, row.objectKey), []);

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
});
