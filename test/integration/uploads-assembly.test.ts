import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
} from '@aws-sdk/client-s3';
import { after, before, describe, it } from 'node:test';
import { signWebhook } from '../../src/lib/webhook';
import { createTestDeps, type TestDeps, withDbHook } from '../helpers/deps';
import {
  chunksOf,
  objectExists,
  sha256,
  assertNoStagedLeft,
  startUploadsApi,
  type UploadsApi,
} from '../helpers/uploads';
import { waitFor } from '../helpers/wait';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';
import { objectDigest, openMultipartUploads } from '../helpers/storage';
import { MiB } from '../../src/lib/units';

const WEBHOOK_SECRET = 'uploads-webhook-secret';

interface Hook {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A webhook receiver on loopback that keeps what it gets. */
async function startReceiver() {
  const hooks: Hook[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (b: Buffer) => (body += b.toString()));
    req.on('end', () => {
      hooks.push({ headers: req.headers, body });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { hooks, url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('uploads: assembly into one object', () => {
  const taskQueue = taskQueueFor('uploads-assembly');
  let deps: TestDeps;
  let api: UploadsApi;
  before(async () => {
    deps = await createTestDeps({
      TEMPORAL_TASK_QUEUE: taskQueue,
      FERRY_WEBHOOK_SECRET: WEBHOOK_SECRET,
      LOG_LEVEL: 'error',
    });
    api = await startUploadsApi(deps);
  });
  after(async () => {
    await api.close();
    await deps.close();
  });

  /** Uploads `chunks`, waits for the outcome and checks the object byte for byte against the source. */
  async function assemble(
    name: string,
    chunks: Buffer[],
    extra: Record<string, unknown> = {},
    order?: number[],
  ) {
    const whole = Buffer.concat(chunks);
    const { id, jobId } = await api.send({ filename: name, size: whole.length, ...extra }, chunks, order);
    const done = await api.waitForStatus(id, ['completed', 'failed'], 120_000);
    assert.equal(done.status, 'completed', `upload failed: ${done.error}`);
    assert.equal(jobId, done.jobId);
    assert.deepEqual(await objectDigest(deps, done.key), {
      sha256: sha256(whole),
      size: whole.length,
    });
    await assertNoStagedLeft(deps, id);
    assert.equal(done.progress, 1);
    return done;
  }

  const sizes: [string, Buffer[]][] = [
    ['an empty file (no chunks)', []],
    ['a 1-byte file', chunksOf(1, 1)],
    ['a 5 MiB file in one chunk', chunksOf(1, 5 * MiB)],
    ['a file of 5 MiB + 1 byte in two chunks', [...chunksOf(1, 5 * MiB), ...chunksOf(1, 1)]],
  ];
  for (const [what, chunks] of sizes) {
    it(`assembles ${what}, copying chunks server-side`, async (t) => {
      await withWorker(deps, taskQueue, async () => {
        const whole = Buffer.concat(chunks);
        const done = await assemble(t.name, chunks, { sha256: sha256(whole) });
        assert.equal(done.sha256, sha256(whole));
        assert.equal(done.assembly.bytesCoalesced, 0, 'single-chunk parts are copied, not streamed');
        assert.equal(done.assembly.copiedParts, chunks.length);
        assert.equal(done.assembly.bytesVerified, whole.length);
      });
    });
  }

  it('coalesces 40 chunks of 1 MiB sent in reverse order into parts of at least 5 MiB', async () => {
    await withWorker(deps, taskQueue, async () => {
      const chunks = chunksOf(40, MiB);
      const order = chunks.map((_, i) => 39 - i);
      const done = await assemble('forty.bin', chunks, {}, order);
      assert.deepEqual(done.receivedChunks, [...Array(40).keys()]);
      assert.equal(done.assembly.copiedParts, 0);
      assert.equal(done.assembly.coalescedParts, 3, '16 + 16 + 8 MiB');
      assert.equal(done.assembly.bytesCoalesced, 40 * MiB);
      assert.equal(done.assembly.bytesThroughWorker, 40 * MiB, 'no checksum given: nothing is verified');
    });
  });

  it('copies 3 chunks of 64 MiB with UploadPartCopy: no byte passes through the worker', async () => {
    await withWorker(deps, taskQueue, async () => {
      const done = await assemble('big.bin', chunksOf(3, 64 * MiB), { contentType: 'application/x-test' });
      assert.equal(done.assembly.copiedParts, 3);
      assert.equal(done.assembly.bytesCopied, 192 * MiB);
      assert.equal(done.assembly.bytesThroughWorker, 0);
      const head = await deps.s3.send(
        new HeadObjectCommand({ Bucket: deps.config.FERRY_BUCKET, Key: done.key }),
      );
      assert.match(head.ETag ?? '', /-3"$/, 'S3 assembled the object from 3 parts');
      assert.equal(head.ContentType, 'application/x-test');
      assert.equal(head.Metadata?.['ferry-upload-id'], done.uploadId);
    });
  });

  it('tops a run of small chunks up from the next big chunk and copies the rest of it by range', async () => {
    await withWorker(deps, taskQueue, async () => {
      const chunks = [
        ...chunksOf(1, MiB),
        ...chunksOf(1, 2 * MiB),
        ...chunksOf(1, 12 * MiB),
        ...chunksOf(1, 3 * MiB),
      ];
      const done = await assemble('mixed.bin', chunks);
      assert.deepEqual(
        [done.assembly.coalescedParts, done.assembly.copiedParts, done.assembly.bytesCoalesced],
        [1, 2, 5 * MiB],
        '1+2+2 MiB coalesced, 10 MiB copied by range, 3 MiB copied',
      );
    });
  });

  it('stores the SHA-256 with the object and sends a signed upload.completed webhook', async () => {
    const receiver = await startReceiver();
    try {
      await withWorker(deps, taskQueue, async () => {
        const chunks = chunksOf(2, 3 * MiB);
        const whole = Buffer.concat(chunks);
        const done = await assemble('hooked.csv', chunks, {
          sha256: sha256(whole),
          webhookUrl: receiver.url,
        });
        const head = await deps.s3.send(
          new HeadObjectCommand({ Bucket: deps.config.FERRY_BUCKET, Key: done.key }),
        );
        assert.equal(head.Metadata?.sha256, sha256(whole));
        const hook = await waitFor('the webhook', () => receiver.hooks[0]);
        const ts = String(hook.headers['x-ferry-timestamp']);
        assert.equal(hook.headers['x-ferry-signature'], signWebhook(WEBHOOK_SECRET, ts, hook.body));
        const event = JSON.parse(hook.body) as Record<string, unknown>;
        assert.deepEqual(
          [event.event, event.uploadId, event.key],
          ['upload.completed', done.uploadId, done.key],
        );
      });
    } finally {
      await receiver.close();
    }
  });

  it('fails an upload whose whole-file SHA-256 does not match, leaving no object behind', async () => {
    const receiver = await startReceiver();
    try {
      await withWorker(deps, taskQueue, async () => {
        const chunks = chunksOf(3, 6 * MiB);
        const key = `uploads-test/${Date.now()}/wrong-sum.bin`;
        const body = {
          filename: 'wrong-sum.bin',
          key,
          sha256: sha256(Buffer.from('other')),
          webhookUrl: receiver.url,
        };
        const { id } = await api.send(body, chunks);
        const done = await api.waitForStatus(id, ['completed', 'failed'], 60_000);
        assert.equal(done.status, 'failed');
        assert.match(done.error ?? '', /SHA-256 mismatch/);
        assert.equal(await objectExists(deps, key), false);
        assert.equal((await openMultipartUploads(deps, key)).length, 0, 'the multipart upload is aborted');
        await assertNoStagedLeft(deps, id);
        const hook = await waitFor('the webhook', () => receiver.hooks[0]);
        assert.equal((JSON.parse(hook.body) as { event: string }).event, 'upload.failed');
        const job = await api.job(done.jobId);
        assert.deepEqual([job.kind, job.status], ['upload', 'failed']);
      });
    } finally {
      await receiver.close();
    }
  });

  it('does not assemble into an aborted upload that a stray earlier attempt recorded first', async () => {
    // While prepare opens its multipart upload, a stray attempt (stalled past its heartbeat,
    // its upload since aborted as lost) records its own on the row first: prepare must not
    // take that one as the winner.
    let strayRecorded: string | undefined;
    const racing = withDbHook(deps, (model, method, args) => {
      const { where, data } = args as { where?: { id?: string }; data?: { multipartUploadId?: string } };
      if (model !== 'upload' || method !== 'updateMany' || !data?.multipartUploadId || strayRecorded)
        return undefined;
      return (async () => {
        const row = await deps.db.upload.findUniqueOrThrow({ where: { id: where?.id ?? '' } });
        const ref = { Bucket: row.bucket, Key: row.objectKey };
        const stray = await deps.s3.send(new CreateMultipartUploadCommand(ref));
        await deps.s3.send(new AbortMultipartUploadCommand({ ...ref, UploadId: stray.UploadId }));
        strayRecorded = stray.UploadId;
        await deps.db.upload.update({ where: { id: row.id }, data: { multipartUploadId: strayRecorded } });
      })();
    });
    await withWorker(racing, taskQueue, async () => {
      const key = `uploads-test/${Date.now()}/raced.bin`;
      const chunks = chunksOf(2, 6 * MiB);
      const { id } = await api.send({ filename: 'raced.bin', key }, chunks);
      const done = await api.waitForStatus(id, ['completed', 'failed'], 60_000);
      assert.ok(strayRecorded, 'the stray attempt recorded its aborted upload first');
      assert.equal(done.status, 'completed', `upload failed: ${done.error}`);
      assert.deepEqual(await objectDigest(deps, key), {
        sha256: sha256(Buffer.concat(chunks)),
        size: 12 * MiB,
      });
      assert.equal((await openMultipartUploads(deps, key)).length, 0);
    });
  });

  it('aborts the multipart upload an attempt opened but died before recording', async () => {
    // The first prepare dies where a killed worker would leave an upload nothing names: opened, not recorded.
    let lost: string | undefined;
    const dying = withDbHook(deps, (model, method, args) => {
      const data = (args as { data?: { multipartUploadId?: string | null } }).data;
      if (model !== 'upload' || method !== 'updateMany' || !data?.multipartUploadId || lost) return undefined;
      lost = data.multipartUploadId;
      return Promise.reject(new Error('worker lost before recording its multipart upload'));
    });
    await withWorker(dying, taskQueue, async () => {
      const key = `uploads-test/${Date.now()}/lost.bin`;
      const chunks = chunksOf(2, 6 * MiB);
      const { id } = await api.send({ filename: 'lost.bin', key }, chunks);
      const done = await api.waitForStatus(id, ['completed', 'failed'], 60_000);
      assert.equal(done.status, 'completed', `upload failed: ${done.error}`);
      assert.ok(lost, 'the first attempt opened an upload and died before recording it');
      assert.deepEqual(await objectDigest(deps, key), {
        sha256: sha256(Buffer.concat(chunks)),
        size: 12 * MiB,
      });
      assert.equal((await openMultipartUploads(deps, key)).length, 0, 'the lost upload is aborted');
    });
  });
});
