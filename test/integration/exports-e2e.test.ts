import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { isS3NotFound } from '../../src/lib/s3';
import { workflowIds } from '../../src/workflows/contract';
import {
  exportDir,
  fetchOverSftp,
  getExport,
  putObjects,
  readArchive,
  remoteListing,
  settledExport,
} from '../helpers/exports';
import { useExportSuite } from '../helpers/exports-suite';
import { startValidator, type TestValidator } from '../helpers/validator';
import { waitFor } from '../helpers/wait';
import { withWorker } from '../helpers/worker';

const MiB = 1024 * 1024;
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('exports: S3 objects to a validated zip on SFTP', () => {
  // A failed export's staged zip is kept 2 s here, so the test sees its cleanup happen.
  const suite = useExportSuite('exports-e2e', { EXPORT_KEEP_FAILED_SECONDS: '2', LOG_LEVEL: 'error' });
  const secret = 'validator-secret';
  let validator: TestValidator;
  before(async () => {
    validator = await startValidator({ secret });
  });
  after(async () => {
    await validator.close();
  });

  function body(dir: string, extra: Record<string, unknown> = {}) {
    return {
      sources: { bucket: suite.deps.config.FERRY_BUCKET, prefix: `${suite.prefix}set1/` },
      layout: { mode: 'strip', prefix: `${suite.prefix}set1/` },
      archiveName: 'export.zip',
      compression: 'store',
      validator: { url: validator.url, secret, timeoutSeconds: 60 },
      target: { serverId: suite.server.id, directory: dir },
      ...extra,
    };
  }

  it('delivers 200 objects (nested, spaces, non-ASCII, empty, one over 100 MiB) byte for byte at their layout paths', async () => {
    const base = `${suite.prefix}set1/`;
    const objects: { key: string; body: Buffer }[] = [];
    for (let i = 0; i < 196; i++) {
      const dir = ['a', 'a/b', 'deep/er/still', 'with space', 'données/été'][i % 5];
      objects.push({
        key: `${base}${dir}/file ${i} ünïcødé.txt`,
        body: randomBytes(1 + ((i * 7919) % 20_000)),
      });
    }
    objects.push({ key: `${base}empty.txt`, body: Buffer.alloc(0) });
    objects.push({ key: `${base}日本語/名前.csv`, body: Buffer.from('a,b\n1,2\n') });
    objects.push({ key: `${base}top level.bin`, body: randomBytes(4096) });
    objects.push({ key: `${base}big/large.bin`, body: randomBytes(101 * MiB + 123) });
    await putObjects(suite.deps.s3, suite.deps.config.FERRY_BUCKET, objects);
    const dir = exportDir();

    await withWorker(suite.deps, suite.taskQueue, async () => {
      const res = await suite.api.call<{ exportId: string; jobId: string }>('POST', '/v1/exports', {
        json: body(dir.relative),
      });
      assert.equal(res.status, 202, res.text);
      assert.equal(res.body.jobId, workflowIds.export(res.body.exportId));
      const seen = await waitFor('progress while it runs', async () => {
        const e = await getExport(suite.api, res.body.exportId);
        return e.progress && e.progress.entriesTotal === 200 ? e : e.status === 'completed' ? e : undefined;
      });
      assert.ok(seen.progress === null || seen.progress.entriesTotal === 200);
      const done = await settledExport(suite.api, res.body.exportId);
      assert.equal(done.status, 'completed', done.error ?? '');
      assert.equal(done.entries, 200);
      assert.equal(done.remotePath, `${dir.relative}/export.zip`);
      assert.deepEqual(remoteListing(dir.local), ['export.zip'], 'one file, no temporary file left');

      const local = await fetchOverSftp(done.remotePath ?? '');
      try {
        const archive = await readArchive(local);
        assert.equal(Object.keys(archive.entries).length, 200);
        for (const o of objects) {
          const path = o.key.slice(base.length);
          assert.deepEqual(archive.entries[path], { size: o.body.length, sha256: sha256(o.body) }, path);
        }
      } finally {
        rmSync(local, { force: true });
      }
      const checked = validator.requests.at(-1);
      assert.ok(checked, 'the validator was called');
      assert.equal(checked.unzipOk, true, 'unzip -t accepted the archive');
      assert.equal(checked.signatureOk, true, 'signature verified');
      assert.equal(checked.sha256, done.archiveSha256);
      assert.equal(checked.size, done.archiveSize);
      const staged = await suite.deps.db.export.findUniqueOrThrow({ where: { id: done.exportId } });
      await assert.rejects(
        suite.deps.s3.send(new HeadObjectCommand({ Bucket: staged.bucket, Key: staged.stagingKey ?? '' })),
        (err) => isS3NotFound(err),
        'the staged zip is removed after delivery',
      );
    });
  });

  it('fails with the validator reasons, delivers nothing and removes the staged zip after its keep time', async () => {
    const key = `${suite.prefix}set2/only.txt`;
    await putObjects(suite.deps.s3, suite.deps.config.FERRY_BUCKET, [{ key, body: 'hello' }]);
    const dir = exportDir();
    validator.mode = 'reject';
    await withWorker(suite.deps, suite.taskQueue, async () => {
      const res = await suite.api.call<{ exportId: string }>('POST', '/v1/exports', {
        json: body(dir.relative, {
          sources: { bucket: suite.deps.config.FERRY_BUCKET, keys: [key] },
          layout: 'flatten',
          compression: 'deflate',
        }),
      });
      assert.equal(res.status, 202, res.text);
      const done = await settledExport(suite.api, res.body.exportId);
      assert.equal(done.status, 'failed');
      assert.equal(done.errorType, 'ValidatorRejected');
      assert.deepEqual(done.validatorReasons, ['missing manifest.json', 'file names must be ASCII']);
      assert.match(done.error ?? '', /missing manifest\.json/);
      assert.deepEqual(remoteListing(dir.local), [], 'nothing reached the SFTP server');

      const row = await suite.deps.db.export.findUniqueOrThrow({ where: { id: done.exportId } });
      // The row is closed before the workflow starts the cleanup and ends.
      await assert.rejects(suite.deps.temporal.workflow.getHandle(row.workflowId).result());
      const cleanup = suite.deps.temporal.workflow.getHandle(workflowIds.exportStagingCleanup(done.exportId));
      await cleanup.result();
      await assert.rejects(
        suite.deps.s3.send(new HeadObjectCommand({ Bucket: row.bucket, Key: row.stagingKey ?? '' })),
        (err) => isS3NotFound(err),
        'the staged zip is gone once its keep time is over',
      );
    });
    validator.mode = 'check';
  });

  it('retries a validator that answers 5xx, then refuses connections, and completes once it is back', async () => {
    const key = `${suite.prefix}set3/only.txt`;
    await putObjects(suite.deps.s3, suite.deps.config.FERRY_BUCKET, [{ key, body: 'retry me' }]);
    const dir = exportDir();
    validator.mode = 'error';
    const before = validator.requests.length;
    await withWorker(suite.deps, suite.taskQueue, async () => {
      const res = await suite.api.call<{ exportId: string; jobId: string }>('POST', '/v1/exports', {
        json: body(dir.relative, {
          sources: { bucket: suite.deps.config.FERRY_BUCKET, keys: [key] },
          layout: 'keep',
        }),
      });
      assert.equal(res.status, 202, res.text);
      await waitFor('two 5xx answers', () => validator.requests.length >= before + 2, { timeoutMs: 60_000 });
      await validator.stop();
      const handle = suite.deps.temporal.workflow.getHandle(res.body.jobId);
      const attemptNow = async () => (await handle.describe()).raw.pendingActivities?.[0]?.attempt ?? 0;
      const refusedFrom = await attemptNow();
      await waitFor(
        'an attempt against the stopped validator',
        async () => (await attemptNow()) > refusedFrom + 1,
        {
          timeoutMs: 60_000,
        },
      );
      validator.mode = 'check';
      await validator.start();
      const done = await settledExport(suite.api, res.body.exportId);
      assert.equal(done.status, 'completed', done.error ?? '');
      assert.deepEqual(remoteListing(dir.local), ['export.zip']);
      assert.equal(validator.requests.at(-1)?.answered, 200);
    });
  });
});
