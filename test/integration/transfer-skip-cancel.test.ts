import assert from 'node:assert/strict';
import { utimesSync } from 'node:fs';
import { describe, it } from 'node:test';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import type { Server } from '../../src/generated/prisma/client';
import {
  checkpointParts,
  createTestServer,
  createTransferRow,
  localPathOf,
  startTransfer,
  transferRow,
  writeRandomFile,
} from '../helpers/ingest-fixtures';
import { createTestDeps, withDbHook } from '../helpers/deps';
import { useTransferDeps } from '../helpers/suite';
import { waitFor } from '../helpers/wait';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';
import { objectDigest, openMultipartUploads } from '../helpers/storage';
import { MiB } from '../../src/lib/units';

describe('transfer: identical objects and cancellation', () => {
  const deps = useTransferDeps({ TRANSFER_PART_MIB: '5' });

  /** Gives each file a new version (new mtime, after `change`), then transfers those versions. */
  async function transferNewVersions(
    server: Server,
    files: Record<string, number>,
    taskQueue: string,
    change?: (rel: string, size: number) => void,
  ) {
    for (const [rel, size] of Object.entries(files)) {
      change?.(rel, size);
      const later = new Date(Date.now() + 60_000);
      utimesSync(localPathOf(server, rel), later, later);
    }
    const rows = await Promise.all(Object.keys(files).map((rel) => createTransferRow(deps, server, rel)));
    return await Promise.all(
      rows.map(async (row) => ({ row, result: await (await startTransfer(deps, row, taskQueue)).result() })),
    );
  }

  it('skips a new version whose content is already stored, leaving the object as it is', async (t) => {
    const server = await createTestServer(deps);
    const files = { 'multi.bin': 12 * MiB + 5, 'single.bin': 100_000 };
    for (const [rel, size] of Object.entries(files)) writeRandomFile(server, rel, size);
    const first = await Promise.all(Object.keys(files).map((rel) => createTransferRow(deps, server, rel)));
    const taskQueue = taskQueueFor(t.name);
    await withWorker(deps, taskQueue, async () => {
      await Promise.all(first.map(async (row) => (await startTransfer(deps, row, taskQueue)).result()));
      const stored = await Promise.all(
        first.map((row) => deps.s3.send(new HeadObjectCommand({ Bucket: row.bucket, Key: row.objectKey }))),
      );
      // Touched, not changed: a new version (new mtime) with the same bytes under the same key.
      const second = await transferNewVersions(server, files, taskQueue);
      for (const [i, { row, result }] of second.entries()) {
        assert.equal(result.status, 'skipped', row.remotePath);
        const again = await deps.s3.send(new HeadObjectCommand({ Bucket: row.bucket, Key: row.objectKey }));
        assert.equal(again.ETag, stored[i]?.ETag, 'the object was not written again');
        assert.deepEqual(again.LastModified, stored[i]?.LastModified);
        const skipped = await transferRow(deps, row.id);
        assert.equal(skipped.status, 'skipped');
        assert.equal(skipped.sha256, (await transferRow(deps, first[i]?.id ?? '')).sha256);
        assert.deepEqual(await openMultipartUploads(deps, row.objectKey, row.bucket), []);
      }
    });
  });

  it('replaces the stored object when a new version of the file has other bytes', async (t) => {
    const server = await createTestServer(deps);
    const files = { 'multi.bin': 12 * MiB + 5, 'single.bin': 100_000 };
    for (const [rel, size] of Object.entries(files)) writeRandomFile(server, rel, size);
    const taskQueue = taskQueueFor(t.name);
    await withWorker(deps, taskQueue, async () => {
      const first = await Promise.all(Object.keys(files).map((rel) => createTransferRow(deps, server, rel)));
      await Promise.all(first.map(async (row) => (await startTransfer(deps, row, taskQueue)).result()));
      const rewritten = new Map<string, string>();
      const second = await transferNewVersions(server, files, taskQueue, (rel, size) =>
        rewritten.set(rel, writeRandomFile(server, rel, size)),
      );
      for (const { row, result } of second) {
        const want = rewritten.get(row.remotePath.slice(server.remoteDir.length + 1));
        assert.ok(want, row.remotePath);
        assert.equal(result.status, 'completed', row.remotePath);
        assert.equal(result.sha256, want);
        assert.equal(
          (await objectDigest(deps, row.objectKey, row.bucket)).sha256,
          want,
          'the object holds the new bytes',
        );
        assert.equal((await transferRow(deps, row.id)).sha256, want);
      }
    });
  });

  it('stops promptly when cancelled and aborts its multipart upload', async (t) => {
    // One small read in flight: the transfer is still running when the cancel
    // reaches it (heartbeats carry it, flushed every 2 s): 256 MiB take > 5 s.
    const slow = await createTestDeps({
      TRANSFER_PART_MIB: '5',
      SFTP_READ_CONCURRENCY: '1',
      SFTP_READ_CHUNK_BYTES: '32768',
    });
    t.after(() => slow.close());
    const server = await createTestServer(slow);
    writeRandomFile(server, 'cancel-me.bin', 256 * MiB);
    const row = await createTransferRow(slow, server, 'cancel-me.bin');
    const taskQueue = taskQueueFor(t.name);
    await withWorker(slow, taskQueue, async () => {
      const handle = await startTransfer(slow, row, taskQueue);
      await waitFor('a part recorded', async () => checkpointParts(await transferRow(slow, row.id)) >= 1, {
        timeoutMs: 60_000,
        intervalMs: 20,
      });
      const { uploadId } = await transferRow(slow, row.id);
      assert.ok(uploadId);
      const cancelledAt = Date.now();
      await handle.cancel();
      const err = await handle.result().then(
        () => assert.fail('the transfer was not cancelled'),
        (e: unknown) => e,
      );
      const stoppedAfter = Date.now() - cancelledAt;
      assert.ok(err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure, String(err));
      assert.ok(stoppedAfter < 10_000, `stopped ${stoppedAfter} ms after the cancel`);
    });
    const cancelled = await transferRow(slow, row.id);
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.uploadId, null);
    assert.ok(cancelled.bytesDone < 256n * BigInt(MiB));
    assert.deepEqual(await openMultipartUploads(slow, row.objectKey, row.bucket), []);
  });

  it('finishes a transfer whose cancel arrived as the object was being stored, and records it', async (t) => {
    const server = await createTestServer(deps);
    writeRandomFile(server, 'late-cancel.bin', 12 * MiB + 5);
    const row = await createTransferRow(deps, server, 'late-cancel.bin');
    const taskQueue = taskQueueFor(t.name);
    let handle: Awaited<ReturnType<typeof startTransfer>> | undefined;
    let cancelSent = false;
    // The activity records the SHA-256 only once the object is stored and
    // verified: the cancel is sent just then, so the activity returns success
    // to a workflow that is already being cancelled.
    const late = withDbHook(deps, (model, method, args) => {
      if (model !== 'transfer' || method !== 'update' || !hasSha256(args) || !handle) return undefined;
      cancelSent = true;
      return handle.cancel();
    });
    await withWorker(late, taskQueue, async () => {
      handle = await startTransfer(deps, row, taskQueue);
      const result = await handle.result();
      assert.equal(result.status, 'completed');
    });
    assert.ok(cancelSent, 'the cancel was sent while the object was being recorded');
    const done = await transferRow(deps, row.id);
    assert.equal(done.status, 'completed', 'the row says what storage holds');
    const head = await deps.s3.send(new HeadObjectCommand({ Bucket: row.bucket, Key: row.objectKey }));
    assert.equal(head.ContentLength, 12 * MiB + 5);
  });
});

function hasSha256(args: unknown): boolean {
  return typeof (args as { data?: { sha256?: unknown } } | undefined)?.data?.sha256 === 'string';
}
