import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  checkpointParts,
  createTestServer,
  createTransferRow,
  startTransfer,
  transferRow,
  writeRandomFile,
} from '../helpers/ingest-fixtures';
import { withDbHook } from '../helpers/deps';
import { startPrivateSshd } from '../helpers/private-sshd';
import { useTransferDeps } from '../helpers/suite';
import { waitFor } from '../helpers/wait';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';
import { objectDigest, openMultipartUploads } from '../helpers/storage';
import { MiB } from '../../src/lib/units';

describe('transfer: SFTP server restarts', () => {
  // Few, small reads in flight: slow enough to stop the server in the middle of the file.
  const deps = useTransferDeps({
    TRANSFER_PART_MIB: '5',
    SFTP_READ_CONCURRENCY: '4',
    SFTP_READ_CHUNK_BYTES: '65536',
  });
  let sshd: Awaited<ReturnType<typeof startPrivateSshd>>;
  before(async () => {
    sshd = await startPrivateSshd();
  });
  after(async () => {
    await sshd.close();
  });

  it('completes with the right content when sshd is stopped mid-transfer and started again', async (t) => {
    const server = await createTestServer(deps, { port: sshd.port });
    const size = 60 * MiB + 3;
    const sha = writeRandomFile(server, 'during-restart.bin', size);
    const row = await createTransferRow(deps, server, 'during-restart.bin');
    const taskQueue = taskQueueFor(t.name);
    await withWorker(deps, taskQueue, async () => {
      const handle = await startTransfer(deps, row, taskQueue);
      await waitFor('two parts recorded', async () => checkpointParts(await transferRow(deps, row.id)) >= 2, {
        timeoutMs: 60_000,
        intervalMs: 20,
      });
      await sshd.stop();
      const stoppedAt = await transferRow(deps, row.id);
      assert.ok(stoppedAt.bytesDone < BigInt(size), 'sshd stopped before the end of the file');
      await waitFor('the transfer activity to fail and retry', async () => {
        const pending = (await handle.describe()).raw.pendingActivities ?? [];
        return (pending[0]?.attempt ?? 0) >= 2;
      });
      await sshd.start();

      const result = await handle.result();
      assert.equal(result.sha256, sha);
    });
    assert.equal((await objectDigest(deps, row.objectKey, row.bucket)).sha256, sha);
    assert.deepEqual(await openMultipartUploads(deps, row.objectKey, row.bucket), []);
    const attempts = await deps.db.transferAttempt.findMany({
      where: { transferId: row.id },
      orderBy: { attempt: 'asc' },
    });
    const resumed = attempts.at(-1);
    assert.ok(attempts.length >= 2 && resumed, 'a later attempt read the file again');
    assert.ok(resumed.startOffset > 0n, 'the later attempt resumed instead of starting over');
    const done = await transferRow(deps, row.id);
    assert.equal(done.status, 'completed');
    assert.ok(done.attempts >= 2);
  });

  it('fails over at once when the connection drops between two requests, instead of waiting forever', async (t) => {
    const server = await createTestServer(deps, { port: sshd.port });
    const sha = writeRandomFile(server, 'between-requests.bin', 12 * MiB + 3);
    const row = await createTransferRow(deps, server, 'between-requests.bin');
    // Hold the first attempt where it records its new multipart upload: it has stat'ed the
    // file on its connection, and opens the file on the same connection next.
    let heldOnce = false;
    let releaseHold = () => undefined as void;
    const holding = new Promise<void>((resolve) => (releaseHold = resolve));
    let holdReached = () => undefined as void;
    const reached = new Promise<void>((resolve) => (holdReached = resolve));
    const hooked = withDbHook(deps, (model, method, args) => {
      const { where, data } = args as { where?: { id?: string }; data?: { uploadId?: string } };
      if (heldOnce || model !== 'transfer' || method !== 'update' || where?.id !== row.id || !data?.uploadId)
        return undefined;
      heldOnce = true;
      holdReached();
      return holding;
    });
    const taskQueue = taskQueueFor(t.name);
    await withWorker(hooked, taskQueue, async () => {
      const handle = await startTransfer(deps, row, taskQueue);
      await reached;
      // The connection the attempt holds dies; a new sshd takes the port for the next attempt.
      await sshd.stop();
      await sshd.start();
      releaseHold();
      // ssh2 drops a request sent on a closed channel without an answer: without a guard the
      // attempt would wait for it until its 12-hour start-to-close timeout.
      const result = await Promise.race([
        handle.result(),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('the transfer hung on the dead connection')), 60_000).unref(),
        ),
      ]);
      assert.equal(result.sha256, sha);
    });
    assert.equal((await objectDigest(deps, row.objectKey, row.bucket)).sha256, sha);
    const done = await transferRow(deps, row.id);
    assert.equal(done.status, 'completed');
    assert.ok(done.attempts >= 2, 'the attempt on the dead connection failed and was retried');
  });
});
