import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { utimesSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { NativeConnection } from '@temporalio/worker';
import { workflowIds } from '../../src/workflows/contract';
import type { scanServer, ScanResult } from '../../src/workflows/scan';
import { startTestApi, type TestApi } from '../helpers/api-client';
import { createTestDeps, type TestDeps } from '../helpers/deps';
import { removeRemoteDir } from '../helpers/ingest-tree';
import { freePort } from '../helpers/processes';
import { cleanupServer, registerServer } from '../helpers/servers';
import { writeRemoteFile } from '../helpers/sftp';
import { waitFor } from '../helpers/wait';
import { withWorker } from '../helpers/worker';
import { quietRuntime, taskQueueFor } from '../helpers/workflows';

interface TransferAnswer {
  id: string;
  remotePath: string;
  status: string;
  error: string | null;
}

/** Files a scan cannot transfer are recorded once per version as `rejected`, with the reason, and counted. */
describe('scan: files whose name cannot be a key', () => {
  let deps: TestDeps;
  let api: TestApi;
  let metricsUrl: string;
  // Held open so that the runtime, and its metrics, outlive each test's worker.
  let runtimeHold: NativeConnection | undefined;
  const servers: { id: string; remoteDir: string }[] = [];
  const hourAgo = new Date(Date.now() - 3600_000);

  before(async () => {
    const port = await freePort();
    quietRuntime(`127.0.0.1:${port}`);
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    // Transfers go to a queue no worker polls: this file is about what the scan records.
    deps = await createTestDeps({ TEMPORAL_TASK_QUEUE: `no-worker-${randomUUID()}` });
    runtimeHold = await NativeConnection.connect({ address: deps.config.TEMPORAL_ADDRESS });
    api = await startTestApi(deps);
  });
  after(async () => {
    try {
      for (const s of servers) {
        await cleanupServer(api, deps, s.id, deps.config.TEMPORAL_TASK_QUEUE);
        removeRemoteDir(s.remoteDir);
      }
    } finally {
      await runtimeHold?.close();
      await api.close();
      await deps.close();
    }
  });

  function put(rel: string, data: string): void {
    utimesSync(writeRemoteFile(rel, data), hourAgo, hourAgo);
  }

  const scan = (serverId: string, taskQueue: string) =>
    deps.temporal.workflow.execute<typeof scanServer>('scanServer', {
      taskQueue,
      workflowId: workflowIds.scan(serverId),
      args: [{ serverId }],
    });

  async function rejectedCount(serverId: string): Promise<number> {
    const text = await (await fetch(metricsUrl)).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith('ferry_scan_rejected_files') && l.includes(serverId));
    return line ? Number(line.split(' ').at(-1)) : 0;
  }

  it('records a rejected transfer once per file version, visible in the API and counted', async (t) => {
    const server = await registerServer(api, { recursive: false });
    servers.push(server);
    put(`${server.remoteDir}/fine.csv`, 'fine');
    put(`${server.remoteDir}/bad\nname.csv`, 'newline in the name');
    const taskQueue = taskQueueFor(t.name);
    const [first, second] = await withWorker(deps, taskQueue, async (): Promise<[ScanResult, ScanResult]> => {
      const one = await scan(server.id, taskQueue);
      put(`${server.remoteDir}/late.csv`, 'after the first scan');
      return [one, await scan(server.id, taskQueue)];
    });
    assert.equal(first.rejected, 1);
    assert.equal(first.newVersions, 1, 'the rejected file is no new version to transfer');
    assert.equal(second.newVersions, 1);

    const listed = await api.call<{ transfers: TransferAnswer[] }>(
      'GET',
      `/v1/transfers?serverId=${server.id}&status=rejected`,
    );
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(
      listed.body.transfers.map((r) => [r.remotePath, r.status]),
      [[`${server.remoteDir}/bad\nname.csv`, 'rejected']],
    );
    assert.match(listed.body.transfers[0]?.error ?? '', /cannot be an object key.*control characters/);
    const rows = await deps.db.transfer.findMany({ where: { serverId: server.id, status: 'rejected' } });
    assert.equal(rows.length, 1, 'the second scan recorded nothing again');
    const retry = await api.call('POST', `/v1/transfers/${rows[0]?.id}/retry`);
    assert.equal(retry.status, 409, 'a rejected version is not retried: renaming the file makes a new one');
    await waitFor('the rejection in the worker metrics', async () => (await rejectedCount(server.id)) === 1);
  });

  it('offers a rejected version again once the server is changed so that its name makes a key', async (t) => {
    const long = 'n'.repeat(200);
    const server = await registerServer(api, { recursive: true, keyPrefix: 'p'.repeat(300) });
    servers.push(server);
    put(`${server.remoteDir}/${long}/${long}/${long}/${long}/deep.bin`, 'deep');
    const taskQueue = taskQueueFor(t.name);
    const first = await withWorker(deps, taskQueue, () => scan(server.id, taskQueue));
    assert.equal(first.rejected, 1);
    const rejected = await deps.db.transfer.findFirstOrThrow({ where: { serverId: server.id } });
    assert.equal(rejected.status, 'rejected');
    assert.match(rejected.error ?? '', /longer than 1024 bytes/);

    const patched = await api.call('PATCH', `/v1/servers/${server.id}`, { json: { keyPrefix: 'short/' } });
    assert.equal(patched.status, 200, patched.text);
    const second = await withWorker(deps, taskQueue, () => scan(server.id, taskQueue));
    assert.equal(second.newVersions, 1);
    const revived = await deps.db.transfer.findUniqueOrThrow({ where: { id: rejected.id } });
    assert.equal(revived.status, 'discovered');
    assert.equal(revived.objectKey, `short/${long}/${long}/${long}/${long}/deep.bin`);
    assert.equal(revived.error, null);
  });
});
