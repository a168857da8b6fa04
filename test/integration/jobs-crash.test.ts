import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startDyingApi } from '../helpers/dying-api';
import { exportDir, putObjects, remoteListing, settledExport } from '../helpers/exports';
import { useExportSuite } from '../helpers/exports-suite';
import { waitFor } from '../helpers/wait';
import { withWorker } from '../helpers/worker';

interface JobAnswer {
  kind: string;
  status: string;
  workflow: { status: string } | null;
}

/**
 * The failure points of the task queues Ferry replaces (docs/exports.md, "The
 * jobs API"), on real services: an API process SIGKILLed between starting a
 * job's workflow and writing (or committing) its row, and one export asked
 * for twice and served by two workers.
 */
describe('jobs: no job queued forever, no job run twice', () => {
  const suite = useExportSuite('jobs-crash');

  async function sourceObject(name: string): Promise<string> {
    const key = `${suite.prefix}${name}`;
    await putObjects(suite.deps.s3, suite.deps.config.FERRY_BUCKET, [{ key, body: `contents of ${name}` }]);
    return key;
  }

  const exportBody = (key: string, archiveName: string, directory: string) => ({
    sources: { bucket: suite.deps.config.FERRY_BUCKET, keys: [key] },
    archiveName,
    target: { serverId: suite.server.id, directory },
  });

  /** POSTs to an API that dies on the way: there is no answer. */
  async function postToDying(url: string, path: string, body: unknown): Promise<number | null> {
    return await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-token', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then(
      (r) => r.status,
      () => null,
    );
  }

  it('an export whose API process was SIGKILLed right after starting its workflow is still a job, and runs to its end', async () => {
    const key = await sourceObject('orphan.txt');
    const dir = exportDir();
    const api = await startDyingApi({ TEMPORAL_TASK_QUEUE: suite.taskQueue });
    try {
      const answer = await postToDying(api.url, '/v1/exports', exportBody(key, 'orphan.zip', dir.relative));
      const { workflowId, signal } = await api.died();
      assert.equal(answer, null, 'the API died before answering');
      assert.equal(signal, 'SIGKILL');
      assert.ok(workflowId, 'the export workflow was started');
      const exportId = workflowId.replace(/^ferry-export-/, '');
      // No worker polls this file's task queue yet: whatever exists was written by the API before it died.
      assert.equal(await suite.deps.db.export.count({ where: { id: exportId } }), 0, 'the API wrote no row');

      const done = await withWorker(suite.deps, suite.taskQueue, async () => {
        const settled = await settledExport(suite.api, exportId);
        // The row closes just before its workflow does.
        await waitFor('the export workflow to close', async () => {
          const job = await suite.api.call<JobAnswer>('GET', `/v1/jobs/${workflowId}`);
          return job.body.workflow?.status !== 'RUNNING';
        });
        return settled;
      });
      assert.equal(done.status, 'completed', done.error ?? '');
      const job = await suite.api.call<JobAnswer>('GET', `/v1/jobs/${workflowId}`);
      assert.deepEqual(
        [job.body.kind, job.body.status, job.body.workflow?.status],
        ['export', 'completed', 'COMPLETED'],
      );
      const active = await suite.api.call<{ jobs: { jobId: string }[] }>(
        'GET',
        '/v1/jobs?status=active&limit=100',
      );
      assert.ok(!active.body.jobs.some((j) => j.jobId === workflowId), 'not left active');
      assert.deepEqual(remoteListing(dir.local), ['orphan.zip']);
    } finally {
      await api.stop();
    }
  });

  it('a batch whose API process was SIGKILLed before its commit leaves no job at all', async () => {
    const key = await sourceObject('never.txt');
    const dir = exportDir();
    const { db, temporal } = suite.deps;
    const api = await startDyingApi({ TEMPORAL_TASK_QUEUE: suite.taskQueue });
    try {
      const answer = await postToDying(api.url, '/v1/exports/batch', {
        exports: [exportBody(key, 'never.zip', dir.relative)],
        concurrency: 1,
      });
      const { workflowId, signal } = await api.died();
      assert.equal(answer, null, 'the API died before answering');
      assert.equal(signal, 'SIGKILL');
      assert.ok(workflowId, 'the batch workflow was started');
      const batchId = workflowId.replace(/^ferry-export-batch-/, '');
      // Its transaction died with its connection: nothing of the batch was committed, nothing can be.
      assert.equal(await db.batch.count({ where: { id: batchId } }), 0, 'no batch row');
      assert.equal(await db.batchItem.count({ where: { batchId } }), 0, 'no export waits in it');
      assert.equal((await suite.api.call('GET', `/v1/jobs/${workflowId}`)).status, 404, 'no job');
      // Its workflow finds no batch to run: it keeps asking (then ends as BatchMissing), starting nothing.
      await withWorker(suite.deps, suite.taskQueue, async () => {
        await waitFor('the batch workflow to look for its row twice', async () => {
          const d = await temporal.workflow.getHandle(workflowId).describe();
          return (d.raw.pendingActivities?.[0]?.attempt ?? 0) >= 2;
        });
      });
      assert.equal(await db.export.count({ where: { archiveName: 'never.zip' } }), 0);
    } finally {
      await api.stop();
    }
  });

  it('one export asked for twice at once and served by two workers: one workflow, one archive, one delivery', async () => {
    const key = await sourceObject('twice.txt');
    const dir = exportDir();
    const body = exportBody(key, 'twice.zip', dir.relative);
    const headers = { 'idempotency-key': `twice-${suite.prefix}` };
    const post = () =>
      fetch(`${suite.api.url}/v1/exports`, {
        method: 'POST',
        headers: { authorization: 'Bearer test-token', 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { exportId: string; jobId: string },
      }));
    const [a, b] = await Promise.all([post(), post()]);
    assert.deepEqual([a.status, b.status], [202, 202]);
    assert.equal(a.body.exportId, b.body.exportId);
    const done = await withWorker(suite.deps, suite.taskQueue, () =>
      withWorker(suite.deps, suite.taskQueue, () => settledExport(suite.api, a.body.exportId)),
    );
    assert.equal(done.status, 'completed', done.error ?? '');
    let runs = 0;
    for await (const _ of suite.deps.temporal.workflow.list({ query: `WorkflowId = '${a.body.jobId}'` }))
      runs++;
    assert.equal(runs, 1, 'one workflow execution');
    assert.equal(await suite.deps.db.export.count({ where: { archiveName: 'twice.zip' } }), 1);
    assert.deepEqual(remoteListing(dir.local), ['twice.zip'], 'one delivery, no temporary file left');
  });
});
