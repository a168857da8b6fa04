import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Server } from '../../src/generated/prisma/client';
import type { scanServer } from '../../src/workflows/scan';
import { listKeys, writeTree } from '../helpers/ingest-tree';
import { quiesceScans, registerServer } from '../helpers/servers';
import { useIngestApi } from '../helpers/suite';
import { waitFor } from '../helpers/wait';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';
import { objectDigest } from '../helpers/storage';
import { MiB } from '../../src/lib/units';

interface TransferAnswer {
  id: string;
  remotePath: string;
  status: string;
  sha256: string | null;
  objectKey: string;
  progress: { done: number; total: number | null; live: boolean };
}

/**
 * Issue 3, test 1: a server registered and scanned through the API; every
 * file of a nested tree (spaces, non-ASCII names, an empty file, one over
 * 100 MiB) ends up as one object whose SHA-256 equals the source's.
 */
describe('SFTP ingest end to end, through the API', () => {
  const taskQueue = taskQueueFor('ingest end to end');
  const { deps, api, track } = useIngestApi(taskQueue);
  let server: Server | undefined;

  it('transfers a nested tree so that every object has its source SHA-256', async () => {
    const registered = await registerServer(api, { recursive: true, minAgeSeconds: 0 });
    server = await deps.db.server.findUniqueOrThrow({ where: { id: registered.id } });
    track(server);
    const sizes: Record<string, number> = {
      'top.txt': 1234,
      'empty.dat': 0,
      'with  two  spaces.txt': 77,
      'a/b/c/deep file.bin': 300_000,
      'a/b/naïve café.csv': 10_000,
      '日本語/データ 1.json': 5_000,
      'Ελληνικά/αρχείο.txt': 4_096,
      'big/large.bin': 100 * MiB + 12_345,
    };
    for (let i = 0; i < 20; i++) sizes[`many/part-${String(i).padStart(2, '0')}.dat`] = 1_000 + i * 4_099;
    const files = writeTree(server, sizes);

    await withWorker(deps, taskQueue, async () => {
      const scan = await api.call<{ workflowId: string; runId: string }>(
        'POST',
        `/v1/servers/${registered.id}/scan`,
      );
      assert.equal(scan.status, 202, scan.text);
      assert.equal(scan.body.workflowId, registered.scanWorkflowId);
      const result = await deps.temporal.workflow
        .getHandle<typeof scanServer>(scan.body.workflowId, scan.body.runId)
        .result();
      assert.equal(result.newVersions, files.length);
      assert.equal(result.started, files.length);

      const big = await deps.db.transfer.findFirstOrThrow({
        where: { serverId: registered.id, remotePath: { endsWith: 'large.bin' } },
      });
      let sawLiveProgress = false;
      await waitFor(
        'every transfer to finish',
        async () => {
          const shown = await api.call<TransferAnswer>('GET', `/v1/transfers/${big.id}`);
          if (shown.body.progress.live) sawLiveProgress = true;
          const open = await deps.db.transfer.count({
            where: { serverId: registered.id, status: { in: ['discovered', 'running'] } },
          });
          return open === 0;
        },
        { timeoutMs: 300_000, intervalMs: 50 },
      );
      assert.ok(sawLiveProgress, 'GET /v1/transfers/:id showed the workflow’s live progress while it ran');
      await quiesceScans(deps.temporal, registered.id);
    });

    const listed = await api.call<{ transfers: TransferAnswer[] }>(
      'GET',
      `/v1/transfers?serverId=${registered.id}&limit=500`,
    );
    assert.equal(listed.body.transfers.length, files.length);
    const byPath = new Map(listed.body.transfers.map((t) => [t.remotePath, t]));
    for (const file of files) {
      const shown = byPath.get(path.posix.join(server.remoteDir, file.rel));
      assert.ok(shown, `a transfer for ${file.rel}`);
      assert.equal(shown.status, 'completed', `${file.rel}: ${JSON.stringify(shown)}`);
      assert.equal(shown.objectKey, `${server.keyPrefix}${file.rel}`);
      assert.equal(shown.sha256, file.sha256, `${file.rel}: recorded SHA-256`);
      assert.equal(
        (await objectDigest(deps, shown.objectKey, server.bucket)).sha256,
        file.sha256,
        `${file.rel}: object`,
      );
    }
    const keys = await listKeys(deps.s3, server.bucket, server.keyPrefix);
    assert.deepEqual(keys.sort(), files.map((f) => `${server?.keyPrefix}${f.rel}`).sort());
  });
});
