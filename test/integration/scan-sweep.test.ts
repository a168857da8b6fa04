import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { AbortMultipartUploadCommand, CreateMultipartUploadCommand } from '@aws-sdk/client-s3';
import type { Transfer } from '../../src/generated/prisma/client';
import { createSweepActivity } from '../../src/activities/scan/sweep';
import { joinKey } from '../../src/lib/keys';
import { workflowIds } from '../../src/shared';
import type { scanServer } from '../../src/workflows/scan';
import {
  createTestServer,
  createTransferRow,
  openUploads,
  startTransfer,
  transferRow,
  writeRandomFile,
} from '../helpers/ingest-fixtures';
import { useTransferDeps } from '../helpers/suite';
import { taskQueueFor, withWorker } from '../helpers/worker';

/**
 * A transfer whose workflow is terminated from outside Ferry never records
 * its end nor aborts its multipart upload. The next scan of its server does.
 * The transfer workflows here run on a task queue no worker polls, so each
 * stays exactly as the test leaves it.
 */
describe('scan: transfers abandoned by their workflow', () => {
  const idle = `no-worker-${randomUUID()}`;
  const deps = useTransferDeps({ TEMPORAL_TASK_QUEUE: idle });

  /** The state a transfer is in mid-way: `running`, with an open multipart upload on its row. */
  async function midTransfer(row: Transfer): Promise<string> {
    const out = await deps.s3.send(
      new CreateMultipartUploadCommand({
        Bucket: row.bucket,
        Key: row.objectKey,
        ChecksumAlgorithm: 'SHA256',
      }),
    );
    const uploadId = out.UploadId ?? '';
    await deps.db.transfer.update({ where: { id: row.id }, data: { status: 'running', uploadId } });
    return uploadId;
  }

  it('marks them failed, saying why, and aborts their uploads; leaves running ones alone', async (t) => {
    const server = await createTestServer(deps);
    const rows: Record<string, Transfer> = {};
    for (const name of ['terminated', 'gone', 'alive']) {
      writeRandomFile(server, `${name}.bin`, 1000);
      rows[name] = await createTransferRow(deps, server, `${name}.bin`);
    }
    const { terminated, gone, alive } = rows as Record<'terminated' | 'gone' | 'alive', Transfer>;
    const uploads = {
      terminated: await midTransfer(terminated),
      gone: await midTransfer(gone), // its workflow was never started (or its history was deleted)
      alive: await midTransfer(alive),
    };
    await (await startTransfer(deps, terminated, idle)).terminate('by an operator');
    const aliveHandle = await startTransfer(deps, alive, idle);
    try {
      const taskQueue = taskQueueFor(t.name);
      const result = await withWorker(deps, taskQueue, () =>
        deps.temporal.workflow.execute<typeof scanServer>('scanServer', {
          taskQueue,
          workflowId: workflowIds.scan(server.id),
          args: [{ serverId: server.id }],
        }),
      );
      assert.equal(result.abandoned, 2);
      assert.equal(result.unnamedUploads, 0, 'uploads younger than an hour are left alone');

      for (const [row, why] of [
        [terminated, /workflow was terminated/],
        [gone, /workflow no longer exists/],
      ] as const) {
        const swept = await transferRow(deps, row.id);
        assert.equal(swept.status, 'failed', row.remotePath);
        assert.match(swept.error ?? '', why);
        assert.match(swept.error ?? '', /retry/);
        assert.equal(swept.uploadId, null);
        assert.deepEqual(await openUploads(deps, row.bucket, row.objectKey), [], 'upload aborted');
      }
      const untouched = await transferRow(deps, alive.id);
      assert.equal(untouched.status, 'running');
      assert.equal(untouched.uploadId, uploads.alive);
      assert.deepEqual(await openUploads(deps, alive.bucket, alive.objectKey), [uploads.alive]);
    } finally {
      await aliveHandle.terminate('test over');
      await deps.db.transfer.update({ where: { id: alive.id }, data: { status: 'failed' } });
      await deps.s3.send(
        new AbortMultipartUploadCommand({
          Bucket: alive.bucket,
          Key: alive.objectKey,
          UploadId: uploads.alive,
        }),
      );
    }
  });

  it("aborts an old upload that no transfer names at a retried transfer's key, and only that", async () => {
    const server = await createTestServer(deps);
    writeRandomFile(server, 'unnamed.bin', 1000);
    writeRandomFile(server, 'named.bin', 1000);
    const unnamed = await createTransferRow(deps, server, 'unnamed.bin');
    const named = await createTransferRow(deps, server, 'named.bin');
    const open = async (key: string) =>
      (await deps.s3.send(new CreateMultipartUploadCommand({ Bucket: server.bucket, Key: key }))).UploadId ??
      '';
    // A worker killed between creating the upload and recording its ID leaves this one; the retry made attempt 2.
    const lost = await open(unnamed.objectKey);
    await deps.db.transfer.update({ where: { id: unnamed.id }, data: { status: 'completed', attempts: 2 } });
    const recorded = await open(named.objectKey);
    await deps.db.transfer.update({
      where: { id: named.id },
      data: { status: 'discovered', attempts: 2, uploadId: recorded },
    });
    const foreignKey = joinKey(server.keyPrefix, 'not-a-transfer.bin');
    const foreign = await open(foreignKey);
    try {
      // The scan passes an hour; 0 here makes every upload old enough.
      const swept = await createSweepActivity(deps)({ serverId: server.id, unnamedUploadAgeSeconds: 0 });
      assert.deepEqual(swept, { abandoned: 0, unnamedUploads: 1 });
      assert.deepEqual(
        await openUploads(deps, server.bucket, unnamed.objectKey),
        [],
        'the lost upload is aborted',
      );
      assert.deepEqual(await openUploads(deps, server.bucket, named.objectKey), [recorded]);
      assert.deepEqual(
        await openUploads(deps, server.bucket, foreignKey),
        [foreign],
        'not a transfer key: kept',
      );
    } finally {
      for (const [Key, UploadId] of [
        [named.objectKey, recorded],
        [foreignKey, foreign],
        [unnamed.objectKey, lost],
      ]) {
        await deps.s3
          .send(new AbortMultipartUploadCommand({ Bucket: server.bucket, Key, UploadId }))
          .catch(() => undefined);
      }
    }
  });
});
