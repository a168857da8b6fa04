import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { startTestApi } from '../helpers/api-client';
import { withDbHook } from '../helpers/deps';
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
 * jobs API"), on real services: an API that dies between starting a job's
 * workflow and writing its row, and one export asked for twice and served by
 * two workers.
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

  it('an export whose API died after starting its workflow is still a job, and runs to its end', async () => {
    const key = await sourceObject('orphan.txt');
    const dir = exportDir();
    // The API's own write of the row never happens: as if its process died right after the start.
    const dying = withDbHook(suite.deps, (model, method) =>
      model === 'export' && method === 'upsert' ? new Promise(() => undefined) : undefined,
    );
    const api = await startTestApi(dying);
    const answered = fetch(`${api.url}/v1/exports`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-token', 'content-type': 'application/json' },
      body: JSON.stringify(exportBody(key, 'orphan.zip', dir.relative)),
    }).catch(() => null);
    try {
      const done = await withWorker(suite.deps, suite.taskQueue, async () => {
        const exportId = await waitFor('the export row, written by its workflow', async () => {
          const row = await suite.deps.db.export.findFirst({ where: { archiveName: 'orphan.zip' } });
          return row?.id;
        });
        const settled = await settledExport(suite.api, exportId);
        // The row closes just before its workflow does.
        await waitFor('the export workflow to close', async () => {
          const job = await suite.api.call<JobAnswer>('GET', `/v1/jobs/${settled.jobId}`);
          return job.body.workflow?.status !== 'RUNNING';
        });
        return settled;
      });
      assert.equal(done.status, 'completed', done.error ?? '');
      const job = await suite.api.call<JobAnswer>('GET', `/v1/jobs/${done.jobId}`);
      assert.deepEqual(
        [job.body.kind, job.body.status, job.body.workflow?.status],
        ['export', 'completed', 'COMPLETED'],
      );
      assert.deepEqual(remoteListing(dir.local), ['orphan.zip']);
    } finally {
      await api.close();
      await answered;
    }
  });

  it('a batch whose API died before its commit leaves no job at all', async () => {
    const key = await sourceObject('never.txt');
    const dir = exportDir();
    const started: string[] = [];
    // Temporal starts the batch workflow, then the process "dies": the transaction never commits.
    const real = suite.deps.temporal;
    const temporal = new Proxy(real, {
      get(target, prop) {
        if (prop !== 'workflow') return Reflect.get(target, prop, target) as unknown;
        return new Proxy(target.workflow, {
          get(wf, p) {
            if (p !== 'start') return Reflect.get(wf, p, wf) as unknown;
            return async (...args: Parameters<Client['workflow']['start']>) => {
              const handle = await wf.start(...args);
              started.push(handle.workflowId);
              throw new Error('the API process died here');
            };
          },
        });
      },
    });
    const { config, db, s3, log } = suite.deps;
    const api = await startTestApi({ config, db, s3, log, temporal });
    try {
      const res = await api.call('POST', '/v1/exports/batch', {
        json: { exports: [exportBody(key, 'never.zip', dir.relative)], concurrency: 1 },
      });
      assert.equal(res.status, 503, res.text);
      const [workflowId] = started;
      assert.ok(workflowId, 'the batch workflow was started');
      const batchId = workflowId.replace(/^ferry-export-batch-/, '');
      assert.equal(await db.batch.count({ where: { id: batchId } }), 0, 'no batch row');
      assert.equal(await db.batchItem.count({ where: { batchId } }), 0, 'no export waits in it');
      assert.equal((await suite.api.call('GET', `/v1/jobs/${workflowId}`)).status, 404, 'no job');
      // Its workflow finds no batch to run: it keeps asking (then ends as BatchMissing), starting nothing.
      await withWorker(suite.deps, suite.taskQueue, async () => {
        await waitFor('the batch workflow to look for its row twice', async () => {
          const d = await real.workflow.getHandle(workflowId).describe();
          return (d.raw.pendingActivities?.[0]?.attempt ?? 0) >= 2;
        });
      });
      assert.equal(await db.export.count({ where: { archiveName: 'never.zip' } }), 0);
    } finally {
      await api.close();
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
