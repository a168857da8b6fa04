import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { lchownSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { transferWorkflowId } from '../../src/lib/workflow-ids';
import { progressQuery, workflowIds } from '../../src/workflows/contract';
import type { scanServer, ScanResult } from '../../src/workflows/scan';
import { startTestApi, type TestApi } from '../helpers/api-client';
import { createTestDeps, type TestDeps } from '../helpers/deps';
import { sftpAccount } from '../helpers/env';
import { removeRemoteDir } from '../helpers/ingest-tree';
import { cleanupServer, registerServer } from '../helpers/servers';
import { writeRemoteFile } from '../helpers/sftp';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';

/**
 * The scan alone: transfers are started on a task queue no worker polls, so
 * what the scan recorded and started can be inspected before anything moves.
 */
describe('scanServer records stable file versions and starts one transfer workflow each', () => {
  let deps: TestDeps;
  let api: TestApi;
  const servers: { id: string; remoteDir: string }[] = [];
  const account = sftpAccount();
  const hourAgo = new Date(Date.now() - 3600_000);

  before(async () => {
    deps = await createTestDeps({ TEMPORAL_TASK_QUEUE: `no-worker-${randomUUID()}` });
    api = await startTestApi(deps);
  });
  after(async () => {
    try {
      for (const s of servers) {
        await cleanupServer(api, deps, s.id, deps.config.TEMPORAL_TASK_QUEUE);
        removeRemoteDir(s.remoteDir);
      }
    } finally {
      await api.close();
      await deps.close();
    }
  });

  function put(rel: string, data: string, mtime: Date = hourAgo): void {
    const full = writeRemoteFile(rel, data);
    utimesSync(full, mtime, mtime);
  }

  async function scan(serverId: string, taskQueue: string): Promise<ScanResult> {
    return await deps.temporal.workflow.execute<typeof scanServer>('scanServer', {
      taskQueue,
      workflowId: workflowIds.scan(serverId),
      args: [{ serverId }],
    });
  }

  it('applies globs, minimum age, recursion and the archive directory, and skips symlinks', async (t) => {
    const dir = `scan-${randomUUID().slice(0, 8)}`;
    const created = await registerServer(api, {
      remoteDir: dir,
      include: ['*.csv'],
      exclude: ['sub/deep/**'],
      minAgeSeconds: 600,
      afterTransfer: 'move',
      archiveDir: `${dir}/archive`,
      keyPrefix: `scan/${dir}`,
    });
    servers.push(created);
    put(`${dir}/a.csv`, 'a');
    put(`${dir}/b.txt`, 'b');
    put(`${dir}/.hidden.csv`, 'hidden');
    put(`${dir}/sub/c ü.csv`, 'c');
    put(`${dir}/sub/deep/d.csv`, 'd');
    put(`${dir}/archive/e.csv`, 'e');
    put(`${dir}/young.csv`, 'young', new Date());
    const link = path.join(account.root, dir, 'link.csv');
    symlinkSync('a.csv', link);
    const owner = statSync(account.root);
    lchownSync(link, owner.uid, owner.gid);

    const taskQueue = taskQueueFor(t.name);
    const result = await withWorker(deps, taskQueue, () => scan(created.id, taskQueue));
    assert.deepEqual(
      { ...result },
      {
        serverId: created.id,
        outcome: 'scanned',
        listed: 6,
        young: 1,
        rejected: 0,
        newVersions: 3,
        pending: 3,
        started: 3,
        alreadyStarted: 0,
        abandoned: 0,
      },
    );

    const rows = await deps.db.transfer.findMany({
      where: { serverId: created.id },
      orderBy: { remotePath: 'asc' },
    });
    assert.deepEqual(
      rows.map((r) => [r.remotePath, r.objectKey, Number(r.size), r.status]),
      [
        [`${dir}/.hidden.csv`, `scan/${dir}/.hidden.csv`, 6, 'discovered'],
        [`${dir}/a.csv`, `scan/${dir}/a.csv`, 1, 'discovered'],
        [`${dir}/sub/c ü.csv`, `scan/${dir}/sub/c ü.csv`, 1, 'discovered'],
      ],
    );
    for (const row of rows) {
      assert.equal(row.bucket, 'ferry-test');
      assert.equal(row.mtimeMs, BigInt(Math.floor(hourAgo.getTime() / 1000) * 1000));
      assert.equal(row.workflowId, transferWorkflowId(created.id, row.remotePath, row.size, row.mtimeMs));
      const description = await deps.temporal.workflow.getHandle(row.workflowId).describe();
      assert.equal(description.type, 'transferFile');
      assert.equal(description.taskQueue, deps.config.TEMPORAL_TASK_QUEUE);
    }
  });

  it('records nothing new on a second scan, and a changed file as a new version', async (t) => {
    const created = await registerServer(api, { recursive: false });
    servers.push(created);
    put(`${created.remoteDir}/one.bin`, 'one');
    put(`${created.remoteDir}/two.bin`, 'two');
    put(`${created.remoteDir}/nested/not-listed.bin`, 'three');
    const taskQueue = taskQueueFor(t.name);
    await withWorker(deps, taskQueue, async () => {
      const first = await scan(created.id, taskQueue);
      assert.equal(first.newVersions, 2);
      assert.equal(first.started, 2);

      const again = await scan(created.id, taskQueue);
      assert.equal(again.newVersions, 0);
      assert.equal(again.started, 0);
      assert.equal(
        again.alreadyStarted,
        2,
        'rows still discovered are offered again, and Temporal de-duplicates',
      );

      put(`${created.remoteDir}/one.bin`, 'one, rewritten', new Date(Date.now() - 600_000));
      const changed = await scan(created.id, taskQueue);
      assert.equal(changed.newVersions, 1);
      assert.equal(changed.started, 1);
      const progress = await deps.temporal.workflow
        .getHandle(workflowIds.scan(created.id))
        .query(progressQuery);
      assert.deepEqual(progress, { done: 3, total: 3, phase: 'done' });
    });
    const versions = await deps.db.transfer.findMany({
      where: { serverId: created.id, remotePath: { endsWith: 'one.bin' } },
    });
    assert.deepEqual(versions.map((v) => Number(v.size)).sort(), [14, 3]);
  });

  it('fails without retrying, naming the directory, when remoteDir does not exist', async (t) => {
    const created = await registerServer(api, { remoteDir: `missing-${randomUUID()}` });
    servers.push(created);
    const taskQueue = taskQueueFor(t.name);
    const err = await withWorker(deps, taskQueue, () =>
      scan(created.id, taskQueue).then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    assert.ok(err instanceof WorkflowFailedError);
    const message = String((err.cause?.cause as Error | undefined)?.message);
    assert.match(message, new RegExp(`cannot list remote directory "${created.remoteDir}"`));
  });

  it('runs a scheduled scan as the canonical scan, and skips it while another scan of the server runs', async (t) => {
    const created = await registerServer(api);
    servers.push(created);
    put(`${created.remoteDir}/x.bin`, 'x');
    const taskQueue = taskQueueFor(t.name);
    await withWorker(deps, taskQueue, async () => {
      const scheduled = await deps.temporal.workflow.execute<typeof scanServer>('scanServer', {
        taskQueue,
        workflowId: `${workflowIds.scan(created.id)}-2026-01-01T00:00:00Z`,
        args: [{ serverId: created.id }],
      });
      assert.equal(scheduled.outcome, 'scanned');
      assert.equal(scheduled.newVersions, 1);
      const canonical = await deps.temporal.workflow.getHandle(workflowIds.scan(created.id)).describe();
      assert.equal(canonical.status.name, 'COMPLETED');

      // A canonical scan that cannot progress (no worker on its queue) stands for a long-running one.
      const stuck = await deps.temporal.workflow.start('scanServer', {
        taskQueue: `no-worker-${randomUUID()}`,
        workflowId: workflowIds.scan(created.id),
        args: [{ serverId: created.id }],
      });
      try {
        const skipped = await deps.temporal.workflow.execute<typeof scanServer>('scanServer', {
          taskQueue,
          workflowId: `${workflowIds.scan(created.id)}-2026-01-01T00:01:00Z`,
          args: [{ serverId: created.id }],
        });
        assert.equal(skipped.outcome, 'skipped');
      } finally {
        await stuck.terminate('test cleanup');
      }
    });
  });
});
