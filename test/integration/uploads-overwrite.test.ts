import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, it } from 'node:test';
import { useUploadsApi } from '../helpers/suite';
import { objectDigest } from '../helpers/storage';
import { chunksOf, sha256 } from '../helpers/uploads';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';
import { MiB } from '../../src/lib/units';

/** An upload replaces an object already at its key only when its request says `overwrite: true`. */
describe('uploads: no overwrite unless asked', () => {
  const taskQueue = taskQueueFor('uploads-overwrite');
  const { deps, api } = useUploadsApi(taskQueue);

  const existing = Buffer.from('an object someone else stored');
  async function storeExisting(key: string): Promise<void> {
    await deps.s3.send(new PutObjectCommand({ Bucket: deps.config.FERRY_BUCKET, Key: key, Body: existing }));
  }

  it('answers 409 when the key holds an object at creation', async () => {
    const key = `overwrite/${randomUUID()}/taken.bin`;
    await storeExisting(key);
    const refused = await api.call('POST', '/v1/uploads', { filename: 'taken.bin', key });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.match(refused.failure.message, /overwrite/);
  });

  it('fails assembly, object untouched, when one appeared at the key after creation (one part and several)', async () => {
    for (const chunks of [[Buffer.from('tiny')], chunksOf(2, 5 * MiB)]) {
      const key = `overwrite/${randomUUID()}/raced.bin`;
      const created = await api.call('POST', '/v1/uploads', { filename: 'raced.bin', key });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const id = created.body.uploadId;
      for (const [i, chunk] of chunks.entries()) assert.equal((await api.putChunk(id, i, chunk)).status, 201);
      // Someone writes the key between creation and assembly.
      await storeExisting(key);
      await withWorker(deps, taskQueue, async () => {
        assert.equal((await api.call('POST', `/v1/uploads/${id}/complete`, {})).status, 202);
        const done = await api.waitForStatus(id, ['completed', 'failed'], 120_000);
        assert.equal(done.status, 'failed');
        assert.match(done.error ?? '', /already exists/);
      });
      assert.equal((await objectDigest(deps, key, deps.config.FERRY_BUCKET)).sha256, sha256(existing));
    }
  });

  it('replaces the object when the request says overwrite: true', async () => {
    const key = `overwrite/${randomUUID()}/replaced.bin`;
    await storeExisting(key);
    const chunks = chunksOf(1, 1000);
    await withWorker(deps, taskQueue, async () => {
      const { id } = await api.send({ filename: 'replaced.bin', key, overwrite: true }, chunks);
      const done = await api.waitForStatus(id, ['completed', 'failed'], 120_000);
      assert.equal(done.status, 'completed', done.error ?? '');
    });
    assert.equal(
      (await objectDigest(deps, key, deps.config.FERRY_BUCKET)).sha256,
      sha256(Buffer.concat(chunks)),
    );
  });
});
