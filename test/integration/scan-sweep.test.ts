import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { AbortMultipartUploadCommand, CreateMultipartUploadCommand } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import { createActivities } from '../../src/activities';
import { createSweepActivity } from '../../src/activities/scan/sweep';
import { createS3 } from '../../src/lib/s3';
import type { Transfer } from '../../src/generated/prisma/client';
import { workflowIds } from '../../src/workflows/contract';
import type { scanServer } from '../../src/workflows/scan';
import {
  createTestServer,
  createTransferRow,
  startTransfer,
  transferRow,
  writeRandomFile,
} from '../helpers/ingest-fixtures';
import { useTransferDeps } from '../helpers/suite';
import { waitFor } from '../helpers/wait';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';
import { openMultipartUploads } from '../helpers/storage';

/** `client`, recording the IDs of the workflows it describes. */
function recordingDescribes(client: Client): { temporal: Client; described: string[] } {
  const described: string[] = [];
  const workflow = Object.create(client.workflow) as Client['workflow'];
  workflow.getHandle = (workflowId: string) => {
    const handle = client.workflow.getHandle(workflowId);
    return {
      ...handle,
      describe: () => {
        described.push(workflowId);
        return handle.describe();
      },
    };
  };
  return { temporal: Object.create(client, { workflow: { value: workflow } }) as Client, described };
}

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
    const uploadId = await openUpload(row);
    await deps.db.transfer.update({ where: { id: row.id }, data: { status: 'running', uploadId } });
    return uploadId;
  }

  async function openUpload(row: Transfer): Promise<string> {
    const out = await deps.s3.send(
      new CreateMultipartUploadCommand({
        Bucket: row.bucket,
        Key: row.objectKey,
        ChecksumAlgorithm: 'SHA256',
      }),
    );
    return out.UploadId ?? '';
  }

  it('marks them failed, saying why, and aborts their uploads, named or not; leaves running ones alone', async (t) => {
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
    // Its last attempt died after opening another upload, before recording it: nothing names that one.
    await openUpload(terminated);
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

      for (const [row, why] of [
        [terminated, /workflow was terminated/],
        [gone, /workflow no longer exists/],
      ] as const) {
        const swept = await transferRow(deps, row.id);
        assert.equal(swept.status, 'failed', row.remotePath);
        assert.match(swept.error ?? '', why);
        assert.match(swept.error ?? '', /retry/);
        assert.equal(swept.uploadId, null);
        assert.deepEqual(await openMultipartUploads(deps, row.objectKey, row.bucket), [], 'upload aborted');
      }
      const untouched = await transferRow(deps, alive.id);
      assert.equal(untouched.status, 'running');
      assert.equal(untouched.uploadId, uploads.alive);
      assert.deepEqual(await openMultipartUploads(deps, alive.objectKey, alive.bucket), [uploads.alive]);
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

  it('leaves a row it cannot clean up for the next scan, and settles the others', async () => {
    const server = await createTestServer(deps);
    const rows: Transfer[] = [];
    for (const name of ['stuck', 'ended']) {
      writeRandomFile(server, `${name}.bin`, 1000);
      rows.push(await createTransferRow(deps, server, `${name}.bin`));
    }
    const [stuck, ended] = rows as [Transfer, Transfer];
    // Storage refuses to abort the stuck row's upload (MinIO: InvalidBucketName, a 400), as it
    // would for a bucket the credentials may no longer touch.
    await deps.db.transfer.update({
      where: { id: stuck.id },
      data: { status: 'running', bucket: 'Not_A_Bucket', uploadId: 'upload-of-stuck' },
    });
    const endedUpload = await midTransfer(ended);
    // Neither workflow was started: both rows are abandoned ("no longer exists").
    const { config, db, s3, log, temporal } = deps;
    const swept = await createSweepActivity({ config, db, s3, log, temporal })({ serverId: server.id });
    assert.deepEqual(swept, { abandoned: 1 });
    const left = await transferRow(deps, stuck.id);
    assert.equal(left.status, 'running', 'left for the next scan');
    assert.equal(left.uploadId, 'upload-of-stuck', 'still names its upload');
    assert.equal((await transferRow(deps, ended.id)).status, 'failed');
    assert.deepEqual(
      await openMultipartUploads(deps, ended.objectKey, ended.bucket),
      [],
      `${endedUpload} aborted`,
    );
    await deps.db.transfer.update({ where: { id: stuck.id }, data: { status: 'failed' } });
  });

  it('keeps the error of a failed transfer whose upload storage would not abort; the next sweep aborts it', async () => {
    const server = await createTestServer(deps);
    writeRandomFile(server, 'left.bin', 1000);
    const row = await createTransferRow(deps, server, 'left.bin');
    const uploadId = await midTransfer(row);
    const { config, db, log, temporal, s3 } = deps;
    // Storage refuses every request of this worker (wrong secret: 403) while the transfer ends.
    const refusing = createS3({ ...config, S3_SECRET_ACCESS_KEY: 'not-the-secret' });
    try {
      await createActivities({ config, db, log, temporal, s3: refusing }).markTransfer({
        transferId: row.id,
        status: 'failed',
        error: 'PutObject: storage away',
      });
    } finally {
      refusing.destroy();
    }
    const failed = await transferRow(deps, row.id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error, 'PutObject: storage away', 'the error reached the row');
    assert.equal(failed.uploadId, uploadId, 'still names the upload it could not abort');
    assert.deepEqual(await openMultipartUploads(deps, row.objectKey, row.bucket), [uploadId]);

    await createSweepActivity({ config, db, s3, log, temporal })({ serverId: server.id });
    const swept = await transferRow(deps, row.id);
    assert.equal(swept.uploadId, null);
    assert.equal(swept.status, 'failed');
    assert.equal(swept.error, 'PutObject: storage away');
    assert.deepEqual(await openMultipartUploads(deps, row.objectKey, row.bucket), [], 'aborted by the sweep');
  });

  it('records the failure a failed transfer workflow closed with, when it could not record it itself', async (t) => {
    const server = await createTestServer(deps);
    writeRandomFile(server, 'failed.bin', 1000);
    const row = await createTransferRow(deps, server, 'failed.bin');
    await deps.db.transfer.update({ where: { id: row.id }, data: { status: 'running' } });
    // A run of this row's workflow that fails without touching the row: it was given another,
    // missing, transfer's ID (as a workflow whose database was away when it failed leaves it).
    const missing = randomUUID();
    const taskQueue = taskQueueFor(t.name);
    await withWorker(deps, taskQueue, async () => {
      const handle = await deps.temporal.workflow.start('transferFile', {
        taskQueue,
        workflowId: row.workflowId,
        args: [{ transferId: missing }],
      });
      await assert.rejects(handle.result());
    });
    const { config, db, s3, log, temporal } = deps;
    const swept = await createSweepActivity({ config, db, s3, log, temporal })({ serverId: server.id });
    assert.deepEqual(swept, { abandoned: 1 });
    const failed = await transferRow(deps, row.id);
    assert.equal(failed.status, 'failed');
    assert.match(failed.error ?? '', new RegExp(`workflow failed \\(transfer ${missing} does not exist\\)`));
  });

  it('asks about a running row only when visibility does not list its workflow as running', async () => {
    const server = await createTestServer(deps);
    const rows: Transfer[] = [];
    for (const name of ['listed', 'ended']) {
      writeRandomFile(server, `${name}.bin`, 1000);
      const row = await createTransferRow(deps, server, `${name}.bin`);
      await deps.db.transfer.update({ where: { id: row.id }, data: { status: 'running' } });
      rows.push(row);
    }
    const [listed, ended] = rows as [Transfer, Transfer];
    const listedHandle = await startTransfer(deps, listed, idle);
    await (await startTransfer(deps, ended, idle)).terminate('by an operator');
    try {
      // Visibility trails the workflows by a moment: wait until it shows both as they are.
      for (const [row, status] of [
        [listed, 'Running'],
        [ended, 'Terminated'],
      ] as const) {
        const query = `WorkflowId = '${row.workflowId}' AND ExecutionStatus = '${status}'`;
        await waitFor(`${row.remotePath} listed as ${status}`, async () => {
          for await (const wf of deps.temporal.workflow.list({ query })) return wf.workflowId;
          return undefined;
        });
      }
      const { temporal, described } = recordingDescribes(deps.temporal);
      // Listed, not spread: \`deps\` is a deferred proxy (helpers/suite.ts).
      const { config, db, s3, log } = deps;
      const swept = await createSweepActivity({ config, db, s3, log, temporal })({ serverId: server.id });
      assert.deepEqual(swept, { abandoned: 1 });
      assert.deepEqual(described, [ended.workflowId], 'the listed workflow is not described');
      assert.equal((await transferRow(deps, ended.id)).status, 'failed');
      assert.equal((await transferRow(deps, listed.id)).status, 'running');
    } finally {
      await listedHandle.terminate('test over');
      await deps.db.transfer.update({ where: { id: listed.id }, data: { status: 'failed' } });
    }
  });
});
