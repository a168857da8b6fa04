import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, rmSync, statSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { signWebhook } from '../../src/lib/webhook';
import { createTestDeps, type TestDeps } from '../helpers/deps';
import {
  createTestServer,
  removeTestFiles,
  createTransferRow,
  localPathOf,
  startTransfer,
  transferRow,
  writeRandomFile,
} from '../helpers/ingest-fixtures';
import { startWebhookReceiver } from '../helpers/webhook-receiver';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';
import { objectDigest } from '../helpers/storage';
import { MiB } from '../../src/lib/units';

const SECRET = 'whsec-test';

describe('transfer: after-transfer actions and webhooks', () => {
  let deps: TestDeps;
  let hooks: Awaited<ReturnType<typeof startWebhookReceiver>>;
  before(async () => {
    deps = await createTestDeps({ TRANSFER_PART_MIB: '5' });
    hooks = await startWebhookReceiver();
  });
  after(async () => {
    removeTestFiles();
    await hooks.close();
    await deps.close();
  });

  const withHook = () => ({ webhookUrl: hooks.url });

  function hookFor(transferId: string) {
    const hook = hooks.received.find((h) => h.json.transferId === transferId);
    assert.ok(hook, `a webhook for ${transferId}`);
    const timestamp = String(hook.headers['x-ferry-timestamp']);
    assert.equal(hook.headers['x-ferry-signature'], signWebhook(SECRET, timestamp, hook.body), 'signed');
    return hook.json;
  }

  it('deletes and moves the source only once the object is stored and verified', async (t) => {
    const deleting = await createTestServer(
      deps,
      { afterTransfer: 'delete', ...withHook() },
      { webhookSecret: SECRET },
    );
    const moving = await createTestServer(deps, {
      afterTransfer: 'move',
      archiveDir: `archive-${randomUUID()}`,
    });
    const deletedSha = writeRandomFile(deleting, 'in/delete-me.bin', 12 * MiB);
    const movedSha = writeRandomFile(moving, 'sub dir/move-me.bin', 700_000);
    const rows = [
      await createTransferRow(deps, deleting, 'in/delete-me.bin'),
      await createTransferRow(deps, moving, 'sub dir/move-me.bin'),
    ];
    const taskQueue = taskQueueFor(t.name);
    await withWorker(deps, taskQueue, async () => {
      const handles = await Promise.all(rows.map((row) => startTransfer(deps, row, taskQueue)));
      await Promise.all(handles.map((h) => h.result()));
    });
    const [deleted, moved] = rows as [(typeof rows)[0], (typeof rows)[0]];
    assert.equal((await objectDigest(deps, deleted.objectKey, deleted.bucket)).sha256, deletedSha);
    assert.equal(existsSync(localPathOf(deleting, 'in/delete-me.bin')), false, 'deleted from the server');
    assert.equal((await objectDigest(deps, moved.objectKey, moved.bucket)).sha256, movedSha);
    assert.equal(existsSync(localPathOf(moving, 'sub dir/move-me.bin')), false, 'moved away');
    const archived = `${localPathOf(moving, '')}/../${moving.archiveDir}/sub dir/move-me.bin`;
    assert.equal(statSync(archived).size, 700_000, 'kept its place below the archive directory');
    rmSync(`${localPathOf(moving, '')}/../${moving.archiveDir}`, { recursive: true, force: true });
    for (const row of rows) assert.equal((await transferRow(deps, row.id)).status, 'completed');

    const hook = hookFor(deleted.id);
    assert.equal(hook.event, 'transfer.completed');
    assert.equal(hook.sha256, deletedSha);
    assert.equal(hook.objectKey, deleted.objectKey);
  });

  it('leaves the source untouched when the upload fails, and reports the failure', async (t) => {
    const server = await createTestServer(
      deps,
      {
        afterTransfer: 'delete',
        bucket: `ferry-missing-${randomUUID().slice(0, 8)}`,
        ...withHook(),
      },
      { webhookSecret: SECRET },
    );
    writeRandomFile(server, 'keep-me.bin', 9 * MiB);
    const before = statSync(localPathOf(server, 'keep-me.bin'));
    const row = await createTransferRow(deps, server, 'keep-me.bin');
    const taskQueue = taskQueueFor(t.name);
    const failure = await withWorker(deps, taskQueue, async () => {
      const handle = await startTransfer(deps, row, taskQueue);
      return await handle.result().then(
        () => assert.fail('the transfer unexpectedly succeeded'),
        (e: unknown) => e,
      );
    });
    assert.ok(failure instanceof WorkflowFailedError);
    assert.ok(failure.cause instanceof ApplicationFailure);
    assert.equal(failure.cause.type, 'StorageRejected');
    const now = statSync(localPathOf(server, 'keep-me.bin'));
    assert.equal(now.size, before.size);
    assert.equal(now.mtimeMs, before.mtimeMs);
    const failed = await transferRow(deps, row.id);
    assert.equal(failed.status, 'failed');
    assert.match(failed.error ?? '', /NoSuchBucket/);
    const hook = hookFor(row.id);
    assert.equal(hook.event, 'transfer.failed');
    assert.match(String(hook.error), /NoSuchBucket/);
  });
});
