import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createTestDeps, type TestDeps } from '../helpers/deps';
import { connectTestSftp, writeRemoteFile } from '../helpers/sftp';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';

describe('foundation: real services', () => {
  let deps: TestDeps;
  before(async () => {
    deps = await createTestDeps();
  });
  after(async () => {
    await deps.close();
  });

  it('runs a workflow on the Temporal dev server with real activities', async (t) => {
    const taskQueue = taskQueueFor(t.name);
    const result: unknown = await withWorker(deps, taskQueue, () =>
      deps.temporal.workflow.execute('healthCheck', { taskQueue, workflowId: `health-${randomUUID()}` }),
    );
    assert.deepEqual(result, { database: 'ok', objectStorage: 'ok' });
  });

  it('round-trips a multipart upload with per-part SHA-256 through MinIO', async () => {
    const Bucket = deps.config.FERRY_BUCKET;
    const Key = `foundation/${randomUUID()}.bin`;
    const parts = [randomBytes(5 * 1024 * 1024), randomBytes(1234)];
    const { UploadId } = await deps.s3.send(
      new CreateMultipartUploadCommand({ Bucket, Key, ChecksumAlgorithm: 'SHA256' }),
    );
    const done = await Promise.all(
      parts.map(async (body, i) => {
        const ChecksumSHA256 = createHash('sha256').update(body).digest('base64');
        const r = await deps.s3.send(
          new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: i + 1, Body: body, ChecksumSHA256 }),
        );
        return { PartNumber: i + 1, ETag: r.ETag, ChecksumSHA256 };
      }),
    );
    await deps.s3.send(
      new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: done } }),
    );
    const got = await deps.s3.send(new GetObjectCommand({ Bucket, Key }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    assert.ok(bytes.equals(Buffer.concat(parts)));
  });

  for (const auth of ['key', 'password'] as const) {
    it(`lists a directory and reads a file through OpenSSH, logging in by ${auth}`, async () => {
      const dir = `foundation-${randomUUID()}`;
      const content = randomBytes(300_000);
      writeRemoteFile(`${dir}/payload ü.bin`, content);
      const sftp = await connectTestSftp(auth);
      try {
        const listing = await sftp.list(dir);
        assert.deepEqual(
          listing.map((e) => [e.name, e.size]),
          [['payload ü.bin', content.length]],
        );
        const read = (await sftp.get(`${dir}/payload ü.bin`)) as Buffer;
        assert.ok(read.equals(content));
      } finally {
        await sftp.end();
      }
    });
  }

  it('writes and reads a row through Prisma over the pg adapter', async () => {
    const name = `foundation-${randomUUID()}`;
    const created = await deps.db.server.create({
      data: {
        name,
        host: 'h',
        username: 'u',
        hostKeyFingerprint: 'SHA256:x',
        bucket: 'b',
        include: ['*.csv'],
      },
    });
    const read = await deps.db.server.findUniqueOrThrow({ where: { name } });
    assert.equal(read.id, created.id);
    assert.deepEqual(read.include, ['*.csv']);
    assert.equal(read.afterTransfer, 'keep');
    await deps.db.server.delete({ where: { id: created.id } });
  });
});
