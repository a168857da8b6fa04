import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDeps, type TestDeps } from '../helpers/deps';
import {
  assertNoStagedLeft,
  batchCompletions,
  chunksOf,
  sha256,
  startUploadsApi,
  type UploadsApi,
} from '../helpers/uploads';
import { waitFor } from '../helpers/wait';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';
import { taskQueueFor } from '../helpers/workflows';
import { objectDigest } from '../helpers/storage';
import { MiB } from '../../src/lib/units';

describe('uploads: a worker killed during assembly', () => {
  const taskQueue = taskQueueFor('uploads-crash');
  let deps: TestDeps;
  let api: UploadsApi;
  const workers: WorkerProcess[] = [];

  async function spawnWorker(): Promise<WorkerProcess> {
    const worker = await startWorkerProcess(taskQueue, { TEMPORAL_TASK_QUEUE: taskQueue });
    workers.push(worker);
    return worker;
  }

  before(async () => {
    deps = await createTestDeps({ TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'error' });
    api = await startUploadsApi(deps);
  });
  after(async () => {
    for (const w of workers) await w.stop('SIGKILL');
    await api.close();
    await deps.close();
  });

  it('resumes on another worker after SIGKILL: finished batches are not redone and the object is exact', async () => {
    const first = await spawnWorker();
    // 4 MiB chunks are coalesced (streamed through the worker) into 16 parts, one batch each,
    // while the whole file is hashed: a few seconds of work to interrupt.
    const chunks = chunksOf(64, 4 * MiB);
    const whole = Buffer.concat(chunks);
    const { id, jobId } = await api.send({ filename: 'crash.bin', sha256: sha256(whole) }, chunks);

    // The history is kept by the Temporal server: watching it does not wait on the busy worker.
    await waitFor('a batch to complete', async () => (await batchCompletions(deps, jobId)).length >= 1, {
      intervalMs: 20,
    });
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = await deps.db.upload.findUniqueOrThrow({ where: { id } });
    assert.equal(atKill.status, 'processing', 'the kill came mid-assembly');
    assert.ok(atKill.multipartUploadId, 'its multipart upload is open');
    const doneAtKill = (await batchCompletions(deps, jobId)).length;
    assert.ok(doneAtKill < 16, `${doneAtKill} of 16 batches were done at the kill`);

    const second = await spawnWorker();
    const done = await api.waitForStatus(id, ['completed', 'failed'], 120_000);
    assert.equal(done.status, 'completed', `upload failed: ${done.error}`);
    assert.deepEqual(await objectDigest(deps, done.key), { sha256: sha256(whole), size: whole.length });
    await assertNoStagedLeft(deps, id);

    // Every batch completed exactly once: those done before the kill were not redone.
    const completedBy = await batchCompletions(deps, jobId);
    assert.equal(completedBy.length, 16, 'each of the 16 batches completed once');
    const byFirst = completedBy.filter((who) => who.startsWith(`${first.child.pid}@`)).length;
    const bySecond = completedBy.filter((who) => who.startsWith(`${second.child.pid}@`)).length;
    assert.ok(byFirst >= doneAtKill && bySecond >= 1, `killed worker ${byFirst}, new worker ${bySecond}`);
    assert.equal(byFirst + bySecond, 16);
  });
});
