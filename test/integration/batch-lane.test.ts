import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import type { Server, Transfer } from '../../src/generated/prisma/client';
import { startBatchWorkflow } from '../../src/lib/transfer-start';
import { workflowIds, type TransferBatchTotals } from '../../src/workflows/contract';
import { startTestApi, type TestApi } from '../helpers/api-client';
import { createTestDeps, withDbHook, type TestDeps } from '../helpers/deps';
import { createTransferRow, localPathOf, createTestServer } from '../helpers/ingest-fixtures';
import { objectDigest } from '../helpers/storage';
import { listKeys, removeTree, writeTree } from '../helpers/ingest-tree';
import { cleanupServer, quiesceScans, registerServer } from '../helpers/servers';
import { waitFor } from '../helpers/wait';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';

const MiB = 1024 * 1024;
// Several batches from one listing, so overlapping scans have batches to race for.
const overrides = { TRANSFER_BATCH_FILES: '7', TRANSFER_BATCH_CONCURRENCY: '4' };

async function executions(deps: TestDeps, query: string): Promise<WorkflowExecutionInfo[]> {
  const found: WorkflowExecutionInfo[] = [];
  for await (const execution of deps.temporal.workflow.list({ query })) found.push(execution);
  return found;
}

interface TransferAnswer {
  id: string;
  status: string;
  sha256: string | null;
  error: string | null;
  workflowId: string;
  batchWorkflowId: string | null;
}

/**
 * The batch lane (servers with `smallFiles: "batch"`) keeps the guarantees of
 * the per-file lane: each file version carried once, verified before its
 * after-transfer action, a changed or unreadable file failing its own row.
 */
describe('batch lane for small files', () => {
  const taskQueue = taskQueueFor('batch lane for small files');
  let first: TestDeps;
  let second: TestDeps;
  let api: TestApi;
  const servers: Server[] = [];

  before(async () => {
    first = await createTestDeps({ ...overrides, TEMPORAL_TASK_QUEUE: taskQueue });
    second = await createTestDeps({ ...overrides, TEMPORAL_TASK_QUEUE: taskQueue });
    api = await startTestApi(first);
  });
  after(async () => {
    try {
      for (const server of servers) {
        await cleanupServer(api, first, server.id, taskQueue);
        await removeTree(first.s3, server);
      }
    } finally {
      await api.close();
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('carries each version once with two workers and overlapping scans: one row, one object', async () => {
    const registered = await registerServer(api, {
      scanIntervalSeconds: 1,
      minAgeSeconds: 0,
      smallFiles: 'batch',
    });
    const server = await first.db.server.findUniqueOrThrow({ where: { id: registered.id } });
    servers.push(server);
    const sizes: Record<string, number> = { 'big.bin': 6 * MiB };
    for (let i = 0; i < 40; i++) sizes[`in/f-${i}.bin`] = 1_000 + i * 97;
    const files = writeTree(server, sizes);
    const schedule = first.temporal.schedule.getHandle(workflowIds.scanSchedule(server.id));

    await withWorker(first, taskQueue, () =>
      withWorker(second, taskQueue, async () => {
        const requests = async () => {
          const answers = await Promise.all([
            ...Array.from({ length: 4 }, () => api.call('POST', `/v1/servers/${server.id}/scan`)),
            schedule.trigger(),
          ]);
          for (const a of answers) if (a) assert.equal(a.status, 202, a.text);
        };
        await waitFor(
          'every transfer to finish',
          async () => {
            await requests();
            const rows = await first.db.transfer.findMany({ where: { serverId: server.id } });
            return rows.length === files.length && rows.every((r) => r.status === 'completed');
          },
          { timeoutMs: 180_000, intervalMs: 300 },
        );
        await quiesceScans(first.temporal, server.id);
      }),
    );

    const rows = await first.db.transfer.findMany({ where: { serverId: server.id } });
    assert.equal(rows.length, files.length, 'one row per file version');
    assert.equal((await listKeys(first.s3, server.bucket, server.keyPrefix)).length, files.length);
    for (const file of files) {
      const row = rows.find((r) => r.remotePath === path.posix.join(server.remoteDir, file.rel));
      assert.ok(row, file.rel);
      assert.equal(row.sha256, file.sha256, file.rel);
      assert.equal((await objectDigest(first, row.objectKey, server.bucket)).sha256, file.sha256, file.rel);
      // Small files ride in batches; a file over the small-file bound gets its own workflow.
      if (file.rel === 'big.bin') assert.equal(row.batchWorkflowId, null);
      else assert.ok(row.batchWorkflowId?.startsWith(workflowIds.transferBatchPrefix(server.id)), file.rel);
    }

    const batchIds = new Set(rows.map((r) => r.batchWorkflowId).filter((id) => id !== null));
    await waitFor('visibility to list every execution', async () => {
      const found = await executions(first, `TaskQueue = '${taskQueue}' AND ExecutionStatus != 'Running'`);
      return batchIds.size > 0 && [...batchIds].every((id) => found.some((e) => e.workflowId === id));
    });
    const transfers = await executions(first, `TaskQueue = '${taskQueue}' AND WorkflowType = 'transferFile'`);
    assert.deepEqual(
      transfers.map((e) => e.workflowId),
      rows.filter((r) => r.batchWorkflowId === null).map((r) => r.workflowId),
      'only the large file ran as its own transfer workflow',
    );
    const batches = await executions(first, `TaskQueue = '${taskQueue}' AND WorkflowType = 'transferBatch'`);
    let claimed = 0;
    for (const batch of batches) {
      const totals = (await first.temporal.workflow
        .getHandle(batch.workflowId, batch.runId)
        .result()) as TransferBatchTotals;
      claimed += totals.claimed;
    }
    assert.equal(claimed, files.length - 1, 'each small version claimed by exactly one batch');
    assert.ok(batches.length >= Math.ceil((files.length - 1) / 7), `${batches.length} batches`);

    const small = rows.find((r) => r.batchWorkflowId !== null);
    assert.ok(small);
    const shown = await api.call<TransferAnswer>('GET', `/v1/transfers/${small.id}`);
    assert.equal(shown.status, 200, shown.text);
    assert.equal(
      shown.body.batchWorkflowId,
      small.batchWorkflowId,
      'the API names the batch that carried it',
    );
    assert.equal(shown.body.workflowId, small.workflowId);
  });

  it('verifies before deleting the source; a changed, unreadable or vanished file fails only its row, and its retry runs transferFile', async (t) => {
    const server = await createTestServer(first, { smallFiles: 'batch', afterTransfer: 'delete' });
    servers.push(server);
    const names = ['a', 'b', 'c', 'd', 'changing', 'unreadable', 'vanished'];
    const files = writeTree(server, Object.fromEntries(names.map((n, i) => [`${n}.bin`, 5_000 + i])));
    const rows = new Map<string, Transfer>();
    for (const n of names) rows.set(n, await createTransferRow(first, server, `${n}.bin`));
    const row = (n: string) => rows.get(n) ?? assert.fail(n);
    rmSync(localPathOf(server, 'vanished.bin'));
    chmodSync(localPathOf(server, 'unreadable.bin'), 0o000);

    // Seen from the database: when a verified SHA-256 is recorded, the source is still there and storage
    // already holds those bytes; the after-transfer action (delete) comes only after that.
    const checks: Promise<void>[] = [];
    const hooked = withDbHook(first, (model, method, args) => {
      const { where, data } = args as {
        where?: { id?: string };
        data?: { sha256?: string; status?: string };
      };
      if (model !== 'transfer' || method !== 'updateMany') return undefined;
      // The batch has loaded its rows: the file changes while the batch runs.
      if (data?.status === 'running' && existsSync(localPathOf(server, 'changing.bin')))
        appendFileSync(localPathOf(server, 'changing.bin'), 'more');
      if (!data?.sha256 || data.status !== undefined) return undefined;
      const verified = [...rows.values()].find((r) => r.id === where?.id);
      assert.ok(verified, 'a row of this batch');
      const check = (async () => {
        assert.ok(existsSync(localPathOf(server, path.posix.basename(verified.remotePath))), 'source kept');
        assert.equal((await objectDigest(first, verified.objectKey, server.bucket)).sha256, data.sha256);
      })();
      checks.push(check);
      return check;
    });

    const taskQueueHere = taskQueueFor(t.name);
    const totals = await withWorker(hooked, taskQueueHere, async () => {
      await startBatchWorkflow(first.temporal, { taskQueue: taskQueueHere, labelBucket: true }, server.id, [
        ...rows.values(),
      ]);
      const batchId = await waitFor('the claim', async () => (await reload(row('a'))).batchWorkflowId);
      return (await first.temporal.workflow.getHandle(batchId).result()) as TransferBatchTotals;
    });
    await Promise.all(checks);
    assert.equal(checks.length, 4, 'four files verified before their delete');
    assert.deepEqual(totals, { claimed: 7, completed: 4, skipped: 0, failed: 3 });

    for (const n of ['a', 'b', 'c', 'd']) {
      const done = await reload(row(n));
      const file = files.find((f) => f.rel === `${n}.bin`);
      assert.equal(done.status, 'completed', n);
      assert.equal(done.sha256, file?.sha256);
      assert.equal(existsSync(localPathOf(server, `${n}.bin`)), false, `${n} deleted after verification`);
    }
    const changing = await reload(row('changing'));
    assert.equal(changing.status, 'failed');
    assert.match(changing.error ?? '', /changed since it was listed/);
    assert.ok(existsSync(localPathOf(server, 'changing.bin')), 'a changed source is left alone');
    const unreadable = await reload(row('unreadable'));
    assert.equal(unreadable.status, 'failed');
    assert.match(unreadable.error ?? '', /permission denied/);
    assert.match((await reload(row('vanished'))).error ?? '', /no such file/);
    const keys = await listKeys(first.s3, server.bucket, server.keyPrefix);
    assert.deepEqual(keys.sort(), ['a', 'b', 'c', 'd'].map((n) => `${server.keyPrefix}${n}.bin`).sort());

    // A retried row runs as its own transferFile (on the API's task queue).
    chmodSync(localPathOf(server, 'unreadable.bin'), 0o644);
    await withWorker(first, taskQueue, async () => {
      const retried = await api.call<TransferAnswer>('POST', `/v1/transfers/${unreadable.id}/retry`);
      assert.equal(retried.status, 202, retried.text);
      await first.temporal.workflow.getHandle(unreadable.workflowId).result();
    });
    const again = await reload(unreadable);
    assert.equal(again.status, 'completed');
    assert.equal(again.batchWorkflowId, null, 'no longer carried by the batch');
    const described = await first.temporal.workflow.getHandle(unreadable.workflowId).describe();
    assert.equal(described.type, 'transferFile');
    const sha = files.find((f) => f.rel === 'unreadable.bin')?.sha256;
    assert.equal((await objectDigest(first, unreadable.objectKey, server.bucket)).sha256, sha);
  });

  async function reload(row: Transfer): Promise<Transfer> {
    return await first.db.transfer.findUniqueOrThrow({ where: { id: row.id } });
  }
});
