import assert from 'node:assert/strict';
import { utimesSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { Server } from '../../src/generated/prisma/client';
import { createTestDeps, type TestDeps } from '../helpers/deps';
import { servicesEnv } from '../helpers/env';
import {
  createTestServer,
  createTransferRow,
  localPathOf,
  removeTestFiles,
  startTransfer,
  transferRow,
  writeRandomFile,
} from '../helpers/ingest-fixtures';
import {
  type NoConditionalWritesStore,
  startNoConditionalWritesStore,
} from '../helpers/no-conditional-writes';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';
import { objectDigest } from '../helpers/storage';

/**
 * A file of one part is stored with `PutObject` + `If-None-Match: *`, so an
 * identical object is found without a HEAD first. Stores that do not
 * implement conditional writes answer 501; Ferry then looks, and writes
 * unconditionally only when the stored object is not already this content.
 */
describe('transfer: object storage without conditional writes', () => {
  let store: NoConditionalWritesStore | undefined;
  let deps: TestDeps;

  before(async () => {
    store = await startNoConditionalWritesStore(servicesEnv.S3_ENDPOINT ?? 'http://127.0.0.1:9000');
    deps = await createTestDeps({ S3_ENDPOINT: store.endpoint });
  });
  after(async () => {
    removeTestFiles();
    await deps?.close();
    await store?.close();
  });

  async function transferNow(server: Server, rel: string, taskQueue: string) {
    const row = await createTransferRow(deps, server, rel);
    const result = await (await startTransfer(deps, row, taskQueue)).result();
    return { row, result };
  }

  let versions = 0;
  /** A new version of the file (a later mtime, distinct for each call), optionally with new bytes. */
  function newVersion(server: Server, rel: string, bytes?: number): string | undefined {
    const sha = bytes === undefined ? undefined : writeRandomFile(server, rel, bytes);
    const later = new Date(Date.now() + ++versions * 60_000);
    utimesSync(localPathOf(server, rel), later, later);
    return sha;
  }

  it('stores a new file, skips an identical version and replaces a changed one', async (t) => {
    const server = await createTestServer(deps);
    const rel = 'small.bin';
    const firstSha = writeRandomFile(server, rel, 100_000);
    const taskQueue = taskQueueFor(t.name);
    await withWorker(deps, taskQueue, async () => {
      const refusedBefore = store?.refused() ?? 0;
      const first = await transferNow(server, rel, taskQueue);
      assert.equal(first.result.status, 'completed');
      assert.equal(store?.refused(), refusedBefore + 1, 'the conditional write was refused with 501');
      assert.equal((await objectDigest(deps, first.row.objectKey, first.row.bucket)).sha256, firstSha);
      const firstRow = await transferRow(deps, first.row.id);
      assert.equal(firstRow.status, 'completed');
      assert.equal(firstRow.sha256, firstSha);
      const ref = { Bucket: first.row.bucket, Key: first.row.objectKey };
      const stored = await deps.s3.send(new HeadObjectCommand(ref));

      newVersion(server, rel);
      const touched = await transferNow(server, rel, taskQueue);
      assert.equal(touched.result.status, 'skipped');
      assert.equal(store?.refused(), refusedBefore + 2);
      const again = await deps.s3.send(new HeadObjectCommand(ref));
      assert.equal(again.ETag, stored.ETag, 'the identical object was not written again');
      assert.deepEqual(again.LastModified, stored.LastModified);
      assert.equal((await transferRow(deps, touched.row.id)).status, 'skipped');

      const changedSha = newVersion(server, rel, 100_000);
      const changed = await transferNow(server, rel, taskQueue);
      assert.equal(changed.result.status, 'completed');
      assert.equal(store?.refused(), refusedBefore + 3);
      assert.equal((await objectDigest(deps, ref.Key, ref.Bucket)).sha256, changedSha);
      const changedRow = await transferRow(deps, changed.row.id);
      assert.equal(changedRow.status, 'completed');
      assert.equal(changedRow.sha256, changedSha);
    });
  });
});
