import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { chmodSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Server } from '../../src/generated/prisma/client';
import { workflowIds } from '../../src/workflows/contract';
import type { scanServer, ScanResult } from '../../src/workflows/scan';
import { createTestDeps, type TestDeps } from '../helpers/deps';
import { createTestServer, localPathOf, removeTestFiles, writeRandomFile } from '../helpers/ingest-fixtures';
import { removeTree } from '../helpers/ingest-tree';
import {
  batchRow,
  eventRow,
  exportRow,
  LONG_AGO,
  runPrune,
  setTimes,
  TEN_YEARS,
  transferRow,
  uploadRow,
} from '../helpers/retention';
import { waitFor } from '../helpers/wait';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';

const HOUR_AGO = new Date(Date.now() - 3600_000);

/**
 * Retention (docs/retention.md): the clean-up workflow, run through Temporal
 * by a real worker, removes exactly the rows of finished work older than the
 * retention, and never a transfer row the next scan needs to know a file by.
 */
describe('retention: pruneRecords', () => {
  const taskQueue = taskQueueFor('retention prune records');
  let deps: TestDeps;
  const servers: Server[] = [];
  const made: Record<'Upload' | 'Event' | 'Export' | 'Batch', string[]> = {
    Upload: [],
    Event: [],
    Export: [],
    Batch: [],
  };

  before(async () => {
    deps = await createTestDeps({ TEMPORAL_TASK_QUEUE: taskQueue });
  });
  after(async () => {
    try {
      await deps.db.batch.deleteMany({ where: { id: { in: made.Batch } } });
      await deps.db.export.deleteMany({ where: { id: { in: made.Export } } });
      await deps.db.event.deleteMany({ where: { id: { in: made.Event } } });
      await deps.db.upload.deleteMany({ where: { id: { in: made.Upload } } });
      for (const server of servers) {
        await removeTree(deps.s3, server);
        await deps.db.server.deleteMany({ where: { id: server.id } });
      }
      removeTestFiles();
    } finally {
      await deps.close();
    }
  });

  async function server(overrides: Partial<Server> = {}): Promise<Server> {
    const created = await createTestServer(deps, overrides);
    servers.push(created);
    return created;
  }

  /** A row made by `make`, last updated (and for transfers last seen) at `at`; `made` remembers it for clean-up. */
  async function aged(
    table: keyof typeof made | 'Transfer',
    at: Date,
    make: () => Promise<string>,
  ): Promise<string> {
    const id = await make();
    if (table !== 'Transfer') made[table].push(id);
    await setTimes(deps, table, [id], table === 'Transfer' ? ['updatedAt', 'seenAt'] : ['updatedAt'], at);
    return id;
  }

  async function remaining(table: 'transfer' | 'upload' | 'event' | 'export' | 'batch', ids: string[]) {
    const delegate = deps.db[table] as unknown as {
      findMany(args: unknown): Promise<{ id: string }[]>;
    };
    const rows = await delegate.findMany({ where: { id: { in: ids } }, select: { id: true } });
    return rows.map((r) => r.id).sort();
  }

  it('deletes the old rows in a final state with their children, and nothing else', async () => {
    const listed = await server();
    const neverListed = await server();
    await setTimes(deps, 'Server', [listed.id], ['listedAt'], new Date());
    const old = LONG_AGO;
    const now = new Date();

    const t = (s: Server, status: Parameters<typeof transferRow>[2], at = old) =>
      aged('Transfer', at, () => transferRow(deps, s.id, status));
    const goneTransfers = [
      await t(listed, 'completed'),
      await t(listed, 'skipped'),
      await t(listed, 'failed'),
      await t(listed, 'cancelled'),
      await t(listed, 'rejected'),
    ];
    const firstTransfer = goneTransfers[0] ?? '';
    await deps.db.transferAttempt.createMany({
      data: [1, 2, 3].map((attempt) => ({ transferId: firstTransfer, attempt, startOffset: 0n })),
    });
    const recentlyUpdated = await t(listed, 'failed');
    await setTimes(deps, 'Transfer', [recentlyUpdated], ['updatedAt'], now);
    const stillOnServer = await t(listed, 'completed');
    await setTimes(deps, 'Transfer', [stillOnServer], ['seenAt'], HOUR_AGO);
    const keptTransfers = [
      recentlyUpdated,
      stillOnServer,
      await t(listed, 'running'),
      await t(listed, 'discovered'),
      // No listing of this server has said the file is gone.
      await t(neverListed, 'completed'),
    ];

    const u = (status: Parameters<typeof uploadRow>[1], at = old) =>
      aged('Upload', at, () => uploadRow(deps, status));
    const goneUploads = [await u('completed'), await u('failed'), await u('cancelled'), await u('expired')];
    await deps.db.uploadChunk.createMany({
      data: [0, 1, 2, 3, 4].map((index) => ({
        uploadId: goneUploads[0] ?? '',
        index,
        size: 1n,
        sha256: 'x',
        stagingKey: `k${index}`,
      })),
    });
    const keptUploads = [
      await u('completed', now),
      await u('receiving'),
      await u('queued'),
      await u('processing'),
    ];

    const e = (status: Parameters<typeof eventRow>[1], at = old) =>
      aged('Event', at, () => eventRow(deps, status));
    const goneEvents = [await e('completed'), await e('failed'), await e('unmatched')];
    await deps.db.eventAction.createMany({
      data: [1, 2, 3].map((n) => ({
        eventId: goneEvents[0] ?? '',
        routeId: `00000000-0000-0000-0000-00000000000${n}`,
        routeName: `r${n}`,
        action: 'webhook' as const,
        status: 'completed' as const,
      })),
    });
    const keptEvents = [await e('completed', now), await e('received'), await e('running')];

    const x = (status: Parameters<typeof exportRow>[1], at = old) =>
      aged('Export', at, () => exportRow(deps, status));
    const standalone = [await x('completed'), await x('failed'), await x('cancelled')];
    await deps.db.exportEntry.createMany({
      data: [0, 1, 2].map((index) => ({
        exportId: standalone[0] ?? '',
        index,
        key: `k${index}`,
        etag: 'e',
        size: 1n,
        path: `p${index}`,
      })),
    });
    await deps.db.exportSecret.create({ data: { exportId: standalone[0] ?? '', validatorSecretEnc: 's' } });
    const inOldBatch = [await x('completed'), await x('failed')];
    const inRunningBatch = await x('completed');
    const inRecentBatch = await x('completed');
    const b = (status: Parameters<typeof batchRow>[1], exports: string[], at = old) =>
      aged('Batch', at, () => batchRow(deps, status, exports));
    // A cancelled batch whose exports never started: items without export rows.
    const goneBatches = [await b('completed', inOldBatch), await b('cancelled', [randomUUID()])];
    const keptBatches = [await b('running', [inRunningBatch]), await b('completed', [inRecentBatch], now)];
    const keptExports = [
      inRunningBatch,
      inRecentBatch,
      await x('completed', now),
      await x('running'),
      await x('queued'),
    ];

    const result = await withWorker(deps, taskQueue, () =>
      runPrune(deps, taskQueue, { retentionDays: TEN_YEARS, batchRows: 2 }),
    );

    assert.deepEqual(result.deleted, {
      Transfer: 5,
      TransferAttempt: 3,
      Upload: 4,
      UploadChunk: 5,
      Event: 3,
      EventAction: 3,
      Export: 5,
      ExportEntry: 3,
      ExportSecret: 1,
      Batch: 2,
      BatchItem: 3,
    });
    const all = <T>(gone: T[], kept: T[]) => [...gone, ...kept];
    assert.deepEqual(await remaining('transfer', all(goneTransfers, keptTransfers)), keptTransfers.sort());
    assert.deepEqual(await remaining('upload', all(goneUploads, keptUploads)), keptUploads.sort());
    assert.deepEqual(await remaining('event', all(goneEvents, keptEvents)), keptEvents.sort());
    const goneExports = [...standalone, ...inOldBatch];
    assert.deepEqual(await remaining('export', all(goneExports, keptExports)), keptExports.sort());
    assert.deepEqual(await remaining('batch', all(goneBatches, keptBatches)), keptBatches.sort());
    assert.equal(await deps.db.batchItem.count({ where: { batchId: { in: keptBatches } } }), 2);
  });

  const scan = (s: Server): Promise<ScanResult> =>
    deps.temporal.workflow.execute<typeof scanServer>('scanServer', {
      taskQueue,
      workflowId: workflowIds.scan(s.id),
      args: [{ serverId: s.id }],
    });
  const rowsOf = (s: Server) =>
    deps.db.transfer.findMany({ where: { serverId: s.id }, orderBy: { remotePath: 'asc' } });
  const prune = () => runPrune(deps, taskQueue, { retentionDays: TEN_YEARS, batchRows: 1 });

  /** Scans the server and waits for its transfers; then its rows and its last listing are made long ago. */
  async function transferredLongAgo(s: Server, files: number) {
    assert.equal((await scan(s)).newVersions, files);
    await waitFor('the transfers to complete', async () =>
      (await rowsOf(s)).every((r) => r.status === 'completed'),
    );
    const rows = await rowsOf(s);
    const timestamps = ['createdAt', 'updatedAt', 'finishedAt', 'seenAt'];
    await setTimes(
      deps,
      'Transfer',
      rows.map((r) => r.id),
      timestamps,
      LONG_AGO,
    );
    await setTimes(deps, 'Server', [s.id], ['listedAt'], LONG_AGO);
    assert.equal((await prune()).deleted.Transfer, 0, 'no listing since says a file is gone');
    return rows;
  }

  it('keeps the transfer row of a file still on the server: the next scan does not ingest it again', async () => {
    const s = await server();
    writeRandomFile(s, 'stays.csv', 1000);
    writeRandomFile(s, 'goes.csv', 2000);
    await withWorker(deps, taskQueue, async () => {
      const [goes, stays] = await transferredLongAgo(s, 2);
      assert.ok(goes && stays);

      rmSync(localPathOf(s, 'goes.csv'));
      const second = await scan(s);
      assert.deepEqual([second.newVersions, second.started], [0, 0]);
      assert.equal((await prune()).deleted.Transfer, 1, 'the file gone from the server');
      assert.deepEqual(
        (await rowsOf(s)).map((r) => [r.id, r.status]),
        [[stays.id, 'completed']],
      );

      const third = await scan(s);
      assert.deepEqual([third.newVersions, third.pending, third.started], [0, 0, 0]);
      assert.deepEqual(
        (await rowsOf(s)).map((r) => [r.id, r.status]),
        [[stays.id, 'completed']],
        'the file that stayed is not transferred again',
      );
    });
  });

  it('a listing that could not read a directory vouches for nothing: the rows of its files stay', async () => {
    const s = await server();
    writeRandomFile(s, 'top.csv', 1000);
    writeRandomFile(s, 'locked/inside.csv', 1000);
    const locked = path.dirname(localPathOf(s, 'locked/inside.csv'));
    await withWorker(deps, taskQueue, async () => {
      await transferredLongAgo(s, 2);
      chmodSync(locked, 0o000);
      try {
        assert.equal((await scan(s)).newVersions, 0);
        assert.equal((await prune()).deleted.Transfer, 0, 'nothing is known to be gone');
      } finally {
        chmodSync(locked, 0o755);
      }
      const { listedAt } = await deps.db.server.findUniqueOrThrow({ where: { id: s.id } });
      assert.deepEqual(listedAt, LONG_AGO, 'the incomplete listing did not count');
      assert.equal((await rowsOf(s)).length, 2);
    });
  });
});
