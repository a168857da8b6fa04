import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { isS3NotFound } from '../../src/lib/s3';
import {
  exportDir,
  fetchOverSftp,
  putObjects,
  remoteListing,
  settledExport,
  unzipTestOk,
} from '../helpers/exports';
import { useExportSuite } from '../helpers/exports-suite';
import { startPrivateSshd } from '../helpers/private-sshd';
import { waitFor } from '../helpers/wait';
import { withWorker } from '../helpers/worker';
import { MiB } from '../../src/lib/units';

describe('exports: SFTP server restarts and cancellation during delivery', () => {
  const suite = useExportSuite('exports-sshd-restart', { EXPORT_MEMORY_MIB: '24', LOG_LEVEL: 'error' });
  let sshd: Awaited<ReturnType<typeof startPrivateSshd>>;
  before(async () => {
    sshd = await startPrivateSshd();
    await suite.deps.db.server.update({ where: { id: suite.server.id }, data: { port: sshd.port } });
  });
  after(async () => {
    await sshd.close();
  });

  /** Puts one 96 MiB object and POSTs its export into a fresh target directory. */
  async function startBigExport(name: string) {
    const key = `${suite.prefix}${name}/big.bin`;
    await putObjects(suite.deps.s3, suite.deps.config.FERRY_BUCKET, [{ key, body: randomBytes(96 * MiB) }]);
    const dir = exportDir();
    const res = await suite.api.call<{ exportId: string; jobId: string }>('POST', '/v1/exports', {
      json: {
        sources: { bucket: suite.deps.config.FERRY_BUCKET, keys: [key] },
        archiveName: `${name}.zip`,
        target: { serverId: suite.server.id, directory: dir.relative },
      },
    });
    assert.equal(res.status, 202, res.text);
    return { dir, ...res.body };
  }

  it('completes with one valid file when sshd is stopped mid-delivery and started again', async () => {
    await withWorker(suite.deps, suite.taskQueue, async () => {
      const { dir, exportId, jobId } = await startBigExport('restart');
      const tempSize = () => {
        const temp = remoteListing(dir.local).find((f) => f.endsWith('.ferry-part'));
        return temp ? statSync(path.join(dir.local, temp)).size : 0;
      };
      await waitFor('the delivery to have written 8 MiB', () => tempSize() >= 8 * MiB, {
        timeoutMs: 120_000,
        intervalMs: 20,
      });
      await sshd.stop();
      const handle = suite.deps.temporal.workflow.getHandle(jobId);
      await waitFor('the delivery to fail and retry', async () => {
        const pending = (await handle.describe()).raw.pendingActivities ?? [];
        return (pending[0]?.attempt ?? 0) >= 2;
      });
      await sshd.start();
      const done = await settledExport(suite.api, exportId);
      assert.equal(done.status, 'completed', done.error ?? '');
      assert.deepEqual(remoteListing(dir.local), ['restart.zip'], 'one file and no temporary file');
      const local = await fetchOverSftp(done.remotePath ?? '');
      try {
        assert.equal(await unzipTestOk(local), true, 'unzip -t accepts the delivered archive');
      } finally {
        rmSync(local, { force: true });
      }
    });
  });

  it('cancels a running delivery promptly and removes the temporary file and the staged zip', async () => {
    await withWorker(suite.deps, suite.taskQueue, async () => {
      const { dir, exportId, jobId } = await startBigExport('cancel');
      await waitFor(
        'the delivery to have started writing',
        () => remoteListing(dir.local).some((f) => f.endsWith('.ferry-part')),
        {
          timeoutMs: 120_000,
          intervalMs: 20,
        },
      );
      // With the server down the delivery cannot finish before the cancel lands, whatever the speed.
      await sshd.stop();
      const cancel = await suite.api.call('DELETE', `/v1/exports/${exportId}`);
      assert.equal(cancel.status, 202, cancel.text);
      await sshd.start();
      const done = await settledExport(suite.api, exportId);
      assert.equal(done.status, 'cancelled');
      await assert.rejects(suite.deps.temporal.workflow.getHandle(jobId).result());
      assert.deepEqual(remoteListing(dir.local), [], 'no temporary and no final file');
      const row = await suite.deps.db.export.findUniqueOrThrow({ where: { id: exportId } });
      await assert.rejects(
        suite.deps.s3.send(new HeadObjectCommand({ Bucket: row.bucket, Key: row.stagingKey ?? '' })),
        (err) => isS3NotFound(err),
        'the staged zip is removed',
      );
    });
  });
});
