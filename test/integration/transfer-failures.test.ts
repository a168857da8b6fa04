import assert from 'node:assert/strict';
import { appendFileSync, rmSync, truncateSync, utimesSync } from 'node:fs';
import { describe, it } from 'node:test';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import {
  createTestServer,
  createTransferRow,
  localPathOf,
  startTransfer,
  transferRow,
  writeRandomFile,
} from '../helpers/ingest-fixtures';
import { withDbHook } from '../helpers/deps';
import { useTransferDeps } from '../helpers/suite';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';
import type { Transfer } from '../../src/generated/prisma/client';
import { createS3, isS3NotFound } from '../../src/lib/s3';
import { openMultipartUploads } from '../helpers/storage';
import { MiB } from '../../src/lib/units';

describe('transfer: failures that no retry can fix', () => {
  const deps = useTransferDeps({ TRANSFER_PART_MIB: '5' });

  it('fails once and for all on a wrong pinned host key, uploading nothing, saying why', async (t) => {
    const wrong = 'SHA256:' + Buffer.alloc(32, 9).toString('base64').replace(/=+$/, '');
    const server = await createTestServer(deps, { hostKeyFingerprint: wrong });
    writeRandomFile(server, 'pinned.bin', 12 * MiB);
    const row = await createTransferRow(deps, server, 'pinned.bin');
    const taskQueue = taskQueueFor(t.name);
    const { failure, history } = await withWorker(deps, taskQueue, async () => {
      const handle = await startTransfer(deps, row, taskQueue);
      const err = await handle.result().then(
        () => assert.fail('the transfer unexpectedly succeeded'),
        (e: unknown) => e,
      );
      return { failure: err, history: await handle.fetchHistory() };
    });
    assert.ok(failure instanceof WorkflowFailedError);
    assert.ok(failure.cause instanceof ApplicationFailure);
    assert.equal(failure.cause.type, 'HostKeyMismatch');
    assert.match(failure.cause.message, /host key mismatch/);

    // Attempts of transferToS3 as the history records them (notifyTransfer runs too, once).
    const events = history.events ?? [];
    const transferScheduled = new Set(
      events
        .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'transferToS3')
        .map((e) => String(e.eventId)),
    );
    const attempts = events
      .map((e) => e.activityTaskStartedEventAttributes)
      .filter((a) => a && transferScheduled.has(String(a.scheduledEventId)))
      .map((a) => a?.attempt);
    assert.deepEqual(attempts, [1], 'transferToS3 ran once, no retries');
    const failed = await transferRow(deps, row.id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.attempts, 1);
    assert.match(failed.error ?? '', /host key mismatch/);
    assert.ok(failed.error?.includes(wrong));
    const head = await deps.s3.send(new HeadObjectCommand({ Bucket: row.bucket, Key: row.objectKey })).then(
      () => 'exists',
      (e: unknown) => (isS3NotFound(e) ? 'missing' : e),
    );
    assert.equal(head, 'missing');
    assert.deepEqual(await openMultipartUploads(deps, row.objectKey, row.bucket), []);
  });

  it('fails at once, saying why, when storage refuses the credentials (a HEAD answers a bare 403)', async (t) => {
    const server = await createTestServer(deps);
    writeRandomFile(server, 'refused.bin', 8 * MiB);
    const row = await createTransferRow(deps, server, 'refused.bin');
    // A worker whose S3 secret is wrong. A file of two parts starts with a HEAD (is the object
    // stored already?), whose answer has no body for the SDK to name the error from.
    const { config, db, log, temporal } = deps;
    const s3 = createS3({ ...config, S3_SECRET_ACCESS_KEY: 'not-the-secret' });
    const refused = { config, db, log, temporal, s3, close: () => Promise.resolve(s3.destroy()) };
    const taskQueue = taskQueueFor(t.name);
    const failure = await withWorker(refused, taskQueue, async () => {
      const handle = await startTransfer(deps, row, taskQueue);
      return await handle.result().then(
        () => assert.fail('the transfer unexpectedly succeeded'),
        (e: unknown) => e,
      );
    });
    await refused.close();
    assert.ok(failure instanceof WorkflowFailedError);
    assert.ok(failure.cause instanceof ApplicationFailure);
    assert.equal(failure.cause.type, 'StorageRejected');
    const failed = await transferRow(deps, row.id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.attempts, 1, 'no retries');
    assert.match(failed.error ?? '', /HeadObject: object storage refused: HTTP 403/);
  });

  it('refuses a file that changed after it was listed, storing nothing', async (t) => {
    const server = await createTestServer(deps);
    const changes: Record<string, { size: number; change: (file: string) => void }> = {
      'one-part-rewritten.bin': {
        size: 100_000,
        change: () => writeRandomFile(server, 'one-part-rewritten.bin', 90_000),
      },
      // Same size, new bytes and mtime: only the stat after the read can tell.
      'one-part-same-size.bin': {
        size: 100_000,
        change: (file) => {
          writeRandomFile(server, 'one-part-same-size.bin', 100_000);
          const later = new Date(Date.now() + 60_000);
          utimesSync(file, later, later);
        },
      },
      'one-part-truncated.bin': { size: 100_000, change: (file) => truncateSync(file, 10_000) },
      'one-part-deleted.bin': { size: 100_000, change: (file) => rmSync(file) },
      'multipart-rewritten.bin': {
        size: 12 * MiB,
        change: () => writeRandomFile(server, 'multipart-rewritten.bin', 12 * MiB + 1),
      },
    };
    const rows: Transfer[] = [];
    for (const [rel, { size, change }] of Object.entries(changes)) {
      writeRandomFile(server, rel, size);
      rows.push(await createTransferRow(deps, server, rel));
      change(localPathOf(server, rel));
    }
    const taskQueue = taskQueueFor(t.name);
    const failures = await withWorker(deps, taskQueue, () =>
      Promise.all(
        rows.map(async (row) =>
          (await startTransfer(deps, row, taskQueue)).result().then(
            () => assert.fail(`${row.remotePath}: the transfer unexpectedly succeeded`),
            (e: unknown) => e,
          ),
        ),
      ),
    );
    for (const [i, row] of rows.entries()) {
      const failure = failures[i];
      assert.ok(failure instanceof WorkflowFailedError, row.remotePath);
      assert.ok(failure.cause instanceof ApplicationFailure, row.remotePath);
      assert.equal(failure.cause.type, 'SourceChanged', `${row.remotePath}: ${failure.cause.message}`);
      const failed = await transferRow(deps, row.id);
      assert.equal(failed.status, 'failed');
      assert.equal(failed.attempts, 1, `${row.remotePath}: not retried`);
      assert.ok(failed.error?.includes(row.remotePath), failed.error ?? '');
      const head = await deps.s3.send(new HeadObjectCommand({ Bucket: row.bucket, Key: row.objectKey })).then(
        () => 'exists',
        (e: unknown) => (isS3NotFound(e) ? 'missing' : e),
      );
      assert.equal(head, 'missing', `${row.remotePath}: nothing stored`);
      assert.deepEqual(await openMultipartUploads(deps, row.objectKey, row.bucket), []);
    }
  });

  it('does not commit a multipart file that grew while it was read, and aborts its upload', async (t) => {
    const server = await createTestServer(deps);
    writeRandomFile(server, 'growing.bin', 12 * MiB + 5);
    const row = await createTransferRow(deps, server, 'growing.bin');
    let appended = false;
    // Once the first part is stored (its checkpoint is written), the file grows.
    const growing = withDbHook(deps, (model, method, args) => {
      const parts = (args as { data?: { checkpoint?: { parts?: unknown[] } } }).data?.checkpoint?.parts;
      if (model === 'transfer' && method === 'update' && parts?.length === 1 && !appended) {
        appendFileSync(localPathOf(server, 'growing.bin'), 'more');
        appended = true;
      }
      return undefined;
    });
    const taskQueue = taskQueueFor(t.name);
    const failure = await withWorker(growing, taskQueue, async () =>
      (await startTransfer(deps, row, taskQueue)).result().then(
        () => assert.fail('the transfer unexpectedly succeeded'),
        (e: unknown) => e,
      ),
    );
    assert.ok(appended, 'the file grew during the transfer');
    assert.ok(failure instanceof WorkflowFailedError);
    assert.ok(failure.cause instanceof ApplicationFailure);
    assert.equal(failure.cause.type, 'SourceChanged');
    assert.match(failure.cause.message, /after reading/);
    assert.equal((await transferRow(deps, row.id)).status, 'failed');
    const head = await deps.s3.send(new HeadObjectCommand({ Bucket: row.bucket, Key: row.objectKey })).then(
      () => 'exists',
      (e: unknown) => (isS3NotFound(e) ? 'missing' : e),
    );
    assert.equal(head, 'missing');
    assert.deepEqual(await openMultipartUploads(deps, row.objectKey, row.bucket), []);
  });
});
