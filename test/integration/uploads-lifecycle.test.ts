import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useUploadsApi } from '../helpers/suite';
import { chunksOf, objectExists, sha256, stagedKeys } from '../helpers/uploads';
import { waitFor } from '../helpers/wait';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';
import { openMultipartUploads } from '../helpers/storage';
import { MiB } from '../../src/lib/units';

describe('uploads: expiry and cancellation', () => {
  const taskQueue = taskQueueFor('uploads-lifecycle');
  const { deps, api } = useUploadsApi(taskQueue);

  const workflowStatus = async (jobId: string): Promise<string> =>
    (await deps.temporal.workflow.getHandle(jobId).describe()).status.name;

  /** The row is closed by the workflow's last activity; the workflow itself closes right after. */
  const workflowClosed = (jobId: string): Promise<string> =>
    waitFor(`workflow ${jobId} to close`, async () => {
      const status = await workflowStatus(jobId);
      return status === 'RUNNING' ? undefined : status;
    });

  it('expires an upload not completed within its TTL and removes its staged chunks', async () => {
    await withWorker(deps, taskQueue, async () => {
      const created = await api.call('POST', '/v1/uploads', { filename: 'late.bin', ttlSeconds: 5 });
      const id = created.body.uploadId;
      assert.equal((await api.putChunk(id, 0, Buffer.from('some bytes'))).status, 201);
      assert.equal((await stagedKeys(deps, id)).length, 1);

      const row = await waitFor(
        'the timer to expire the row',
        async () => {
          const u = await deps.db.upload.findUniqueOrThrow({ where: { id } });
          return u.status === 'expired' ? u : undefined;
        },
        { timeoutMs: 30_000 },
      );
      assert.match(row.error ?? '', /not completed before it expired/);
      // The row turns `expired` first (so no chunk is accepted any more), then the chunks are removed.
      assert.equal(await workflowClosed(created.body.jobId), 'COMPLETED');
      assert.deepEqual(await stagedKeys(deps, id), []);
      assert.equal((await api.putChunk(id, 1, Buffer.from('more'))).status, 409);
      const complete = await api.call('POST', `/v1/uploads/${id}/complete`);
      assert.equal(complete.status, 409);
      assert.match(complete.failure.message, /expired/);
    });
  });

  it('cancels an upload before it is completed: staged chunks removed, workflow cancelled', async () => {
    await withWorker(deps, taskQueue, async () => {
      const created = await api.call('POST', '/v1/uploads', { filename: 'abandoned.bin' });
      const id = created.body.uploadId;
      for (const [i, c] of chunksOf(3, 1000).entries())
        assert.equal((await api.putChunk(id, i, c)).status, 201);

      const del = await api.call('DELETE', `/v1/uploads/${id}`);
      assert.equal(del.status, 202);
      assert.equal(del.body.cancelRequested, true);
      const done = await api.waitForStatus(id, ['cancelled']);
      assert.equal(done.error, null);
      // The row turns `cancelled` first (so no chunk is accepted any more), then the chunks are removed.
      assert.equal(await workflowClosed(created.body.jobId), 'CANCELLED');
      assert.deepEqual(await stagedKeys(deps, id), []);
      assert.equal((await api.putChunk(id, 3, Buffer.from('x'))).status, 409);
      assert.equal(
        (await api.call('DELETE', `/v1/uploads/${id}`)).status,
        200,
        'cancelling again is harmless',
      );
    });
  });

  it('cancels an upload whose workflow is gone (terminated), removing its staged chunks itself', async () => {
    // No worker: the workflow is terminated by an operator while the upload is receiving.
    const created = await api.call('POST', '/v1/uploads', { filename: 'orphan.bin' });
    const id = created.body.uploadId;
    for (const [i, c] of chunksOf(2, 1000).entries())
      assert.equal((await api.putChunk(id, i, c)).status, 201);
    await deps.temporal.workflow.getHandle(created.body.jobId).terminate('by an operator');
    const del = await api.call('DELETE', `/v1/uploads/${id}`);
    assert.equal(del.status, 202, JSON.stringify(del.body));
    assert.equal((await deps.db.upload.findUniqueOrThrow({ where: { id } })).status, 'cancelled');
    assert.deepEqual(await stagedKeys(deps, id), [], 'no chunk left staged');
  });

  it('reports progress while assembling and cancels mid-assembly, leaving no object or multipart upload', async () => {
    await withWorker(deps, taskQueue, async () => {
      // 1 MiB chunks are coalesced through the worker and the whole file is hashed: a few seconds of work.
      const chunks = chunksOf(160, MiB);
      const key = `uploads-test/${Date.now()}/cancelled.bin`;
      const whole = Buffer.concat(chunks);
      const { id, jobId } = await api.send({ filename: 'cancelled.bin', key, sha256: sha256(whole) }, chunks);

      const running = await waitFor(
        'the assembly to report progress',
        async () => {
          const got = await api.call('GET', `/v1/uploads/${id}`);
          assert.notEqual(got.body.status, 'completed', 'the assembly finished before it could be cancelled');
          return got.body.status === 'processing' && (got.body.progress ?? 0) > 0 ? got.body : undefined;
        },
        { intervalMs: 20 },
      );
      const progress = running.progress ?? 0;
      assert.ok(progress > 0 && progress < 1, `progress ${progress}`);
      assert.match(running.phase ?? '', /assembling/);
      assert.equal((await openMultipartUploads(deps, key)).length, 1, 'a multipart upload is open');

      assert.equal((await api.call('DELETE', `/v1/uploads/${id}`)).status, 202);
      const done = await api.waitForStatus(id, ['cancelled', 'completed', 'failed']);
      assert.equal(done.status, 'cancelled');
      assert.equal(await workflowClosed(jobId), 'CANCELLED');
      assert.equal(await objectExists(deps, key), false);
      assert.equal((await openMultipartUploads(deps, key)).length, 0);
      assert.deepEqual(await stagedKeys(deps, id), []);
      const job = await api.job(jobId);
      assert.deepEqual([job.status, job.workflow?.status], ['cancelled', 'CANCELLED']);
      assert.equal((await api.call('POST', `/v1/uploads/${id}/complete`)).status, 409);
    });
  });
});
