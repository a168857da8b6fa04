import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import type { Server } from '../../src/generated/prisma/client';
import { workflowIds } from '../../src/workflows/contract';
import type { scanServer } from '../../src/workflows/scan';
import { startTestApi, type TestApi } from '../helpers/api-client';
import { createTestDeps, type TestDeps } from '../helpers/deps';
import { listKeys, removeTree, writeTree } from '../helpers/ingest-tree';
import { activitySpans, quiesceScans, registerServer, cleanupServer } from '../helpers/servers';
import { waitFor } from '../helpers/wait';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';
import { objectDigest } from '../helpers/storage';
import { MiB } from '../../src/lib/units';

async function executions(deps: TestDeps, query: string): Promise<WorkflowExecutionInfo[]> {
  const found: WorkflowExecutionInfo[] = [];
  for await (const execution of deps.temporal.workflow.list({ query })) found.push(execution);
  return found;
}

/**
 * Issue 3, test 2: two workers on one task queue, and scans requested over and
 * over (API, schedule triggers, and the schedule itself every second) while
 * the files are being transferred. Each file version must give exactly one
 * row, one object and one transfer execution; scans of the server never overlap.
 */
describe('two workers and overlapping scan requests', () => {
  const taskQueue = taskQueueFor('ingest two workers overlapping scans');
  let first: TestDeps;
  let second: TestDeps;
  let api: TestApi;
  let server: Server | undefined;

  before(async () => {
    first = await createTestDeps({ TEMPORAL_TASK_QUEUE: taskQueue });
    second = await createTestDeps({ TEMPORAL_TASK_QUEUE: taskQueue });
    api = await startTestApi(first);
  });
  after(async () => {
    try {
      if (server) {
        await cleanupServer(api, first, server.id, taskQueue);
        await removeTree(first.s3, server);
      }
    } finally {
      await api.close();
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('transfers each file version once: one row, one object, one workflow execution', async () => {
    const registered = await registerServer(api, { scanIntervalSeconds: 1, minAgeSeconds: 0 });
    server = await first.db.server.findUniqueOrThrow({ where: { id: registered.id } });
    const sizes: Record<string, number> = {};
    for (let i = 0; i < 24; i++) sizes[`batch/f-${i}.bin`] = i % 6 === 0 ? 6 * MiB + i : 10_000 + i;
    const files = writeTree(server, sizes);
    const schedule = first.temporal.schedule.getHandle(workflowIds.scanSchedule(registered.id));

    await withWorker(first, taskQueue, () =>
      withWorker(second, taskQueue, async () => {
        const requests = async () => {
          const answers = await Promise.all([
            ...Array.from({ length: 6 }, () => api.call('POST', `/v1/servers/${registered.id}/scan`)),
            schedule.trigger(),
            schedule.trigger(),
          ]);
          for (const a of answers) if (a) assert.equal(a.status, 202, a.text);
        };
        await requests();
        await waitFor('a row for every file', async () => {
          await requests();
          return (await first.db.transfer.count({ where: { serverId: registered.id } })) >= files.length;
        });
        await waitFor(
          'every transfer to finish',
          async () => {
            await requests();
            const open = await first.db.transfer.count({
              where: { serverId: registered.id, status: { not: 'completed' } },
            });
            return open === 0;
          },
          { timeoutMs: 180_000, intervalMs: 300 },
        );
        // One more scan once everything is in storage: nothing left to do.
        const last = await api.call<{ workflowId: string; runId: string }>(
          'POST',
          `/v1/servers/${registered.id}/scan`,
        );
        const result = await first.temporal.workflow
          .getHandle<typeof scanServer>(last.body.workflowId, last.body.runId)
          .result();
        assert.equal(result.newVersions, 0);
        assert.equal(result.started, 0);
        await quiesceScans(first.temporal, registered.id);
      }),
    );

    const rows = await first.db.transfer.findMany({ where: { serverId: registered.id } });
    assert.equal(rows.length, files.length, 'one row per file version');
    const keys = await listKeys(first.s3, server.bucket, server.keyPrefix);
    assert.equal(keys.length, files.length, 'one object per file version');
    for (const file of files) {
      const row = rows.find((r) => r.remotePath === path.posix.join(server?.remoteDir ?? '', file.rel));
      assert.ok(row, file.rel);
      assert.equal((await objectDigest(first, row.objectKey, server.bucket)).sha256, file.sha256, file.rel);
    }

    await waitFor('visibility to list every execution', async () => {
      const transfers = await executions(
        first,
        `TaskQueue = '${taskQueue}' AND WorkflowType = 'transferFile'`,
      );
      return transfers.length === files.length && transfers.every((e) => e.status.name === 'COMPLETED');
    });
    const transfers = await executions(first, `TaskQueue = '${taskQueue}' AND WorkflowType = 'transferFile'`);
    assert.deepEqual(
      transfers.map((e) => e.workflowId).sort(),
      rows.map((r) => r.workflowId).sort(),
      'each transfer workflow ID ran exactly once',
    );

    const allScans = await executions(first, `TaskQueue = '${taskQueue}' AND WorkflowType = 'scanServer'`);
    // A run still open here began after the workers stopped (a late schedule trigger): it never ran.
    const scans = allScans.filter(
      (s) => s.workflowId === workflowIds.scan(registered.id) && s.status.name !== 'RUNNING',
    );
    assert.ok(scans.length >= 2, `several scans ran (${scans.length})`);
    assert.ok(allScans.length > scans.length, 'the schedule started scans too (handed to the canonical ID)');
    // Temporal keeps one open execution per workflow ID; what matters is that listings never overlapped.
    const listings = [];
    for (const scan of scans) {
      listings.push(...(await activitySpans(first.temporal, scan.workflowId, scan.runId, 'listServerFiles')));
    }
    listings.sort((a, b) => a.start - b.start);
    assert.equal(listings.length, scans.length, 'one listing per scan');
    for (let i = 1; i < listings.length; i++) {
      const [before, current] = [listings[i - 1], listings[i]];
      assert.ok(
        before && current && current.start >= before.end,
        `listings overlap: ${JSON.stringify(listings)}`,
      );
    }
  });
});
