import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import {
  exportDir,
  fetchOverSftp,
  putObjects,
  readArchive,
  remoteListing,
  settledExport,
  unzipTestOk,
} from '../helpers/exports';
import { useExportSuite } from '../helpers/exports-suite';
import { waitFor } from '../helpers/wait';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';

const MiB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
// Small parts (6 MiB) so the build is several parts long and a kill lands mid-way.
const overrides = { EXPORT_MEMORY_MIB: '24', LOG_LEVEL: 'error' };

describe('exports: worker killed mid-way', () => {
  const suite = useExportSuite('exports-crash', overrides);
  const workers: WorkerProcess[] = [];
  after(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
  });

  it('completes after SIGKILL during the build and again during delivery: one valid file, no temporary left', async () => {
    const objects = Array.from({ length: 8 }, (_, i) => ({
      key: `${suite.prefix}crash/part-${i}.bin`,
      body: randomBytes(16 * MiB + i),
    }));
    await putObjects(suite.deps.s3, suite.deps.config.FERRY_BUCKET, objects);
    const dir = exportDir();
    workers.push(await startWorkerProcess(suite.taskQueue, overrides));
    const res = await suite.api.call<{ exportId: string }>('POST', '/v1/exports', {
      json: {
        sources: { bucket: suite.deps.config.FERRY_BUCKET, prefix: `${suite.prefix}crash/` },
        layout: 'flatten',
        archiveName: 'crash.zip',
        target: { serverId: suite.server.id, directory: dir.relative },
      },
    });
    assert.equal(res.status, 202, res.text);
    const { exportId } = res.body;
    const row = () => suite.deps.db.export.findUniqueOrThrow({ where: { id: exportId } });

    const building = await waitFor(
      'the build to have stored a part',
      async () => {
        const r = await row();
        if (r.phase !== 'building' || !r.multipartUploadId || !r.stagingKey) return undefined;
        const open = await suite.deps.s3.send(
          new ListMultipartUploadsCommand({ Bucket: r.bucket, Prefix: r.stagingKey }),
        );
        return open.Uploads?.length ? r : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 50 },
    );
    await workers[0]?.stop('SIGKILL');
    workers.push(await startWorkerProcess(suite.taskQueue, overrides));

    const tempSize = () => {
      const temp = remoteListing(dir.local).find((f) => f.endsWith('.ferry-part'));
      return temp ? statSync(path.join(dir.local, temp)).size : 0;
    };
    await waitFor('the delivery to have written 16 MiB', () => tempSize() >= 16 * MiB, {
      timeoutMs: 120_000,
      intervalMs: 20,
    });
    await workers[1]?.stop('SIGKILL');
    workers.push(await startWorkerProcess(suite.taskQueue, overrides));

    const done = await settledExport(suite.api, exportId, 180_000);
    assert.equal(done.status, 'completed', done.error ?? '');
    assert.deepEqual(remoteListing(dir.local), ['crash.zip'], 'one file and no temporary file');
    const local = await fetchOverSftp(done.remotePath ?? '');
    try {
      assert.equal(await unzipTestOk(local), true, 'unzip -t accepts the delivered archive');
      const archive = await readArchive(local);
      for (const o of objects) {
        assert.deepEqual(archive.entries[path.basename(o.key)], {
          size: o.body.length,
          sha256: sha256(o.body),
        });
      }
    } finally {
      rmSync(local, { force: true });
    }
    const open = await suite.deps.s3.send(
      new ListMultipartUploadsCommand({ Bucket: building.bucket, Prefix: building.stagingKey ?? '' }),
    );
    assert.deepEqual(open.Uploads ?? [], [], 'the abandoned multipart upload was aborted');
  });
});
