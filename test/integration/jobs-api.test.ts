import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Server } from '../../src/generated/prisma/client';
import { workflowIds } from '../../src/workflows/contract';
import { startTestApi, type TestApi } from '../helpers/api-client';
import { createTestDeps, type TestDeps } from '../helpers/deps';
import {
  createTestServer,
  createTransferRow,
  removeTestFiles,
  startTransfer,
  writeRandomFile,
} from '../helpers/ingest-fixtures';
import { terminateOpenWorkflows } from '../helpers/servers';
import { sha256 } from '../helpers/uploads';
import { waitFor } from '../helpers/wait';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';

interface JobAnswer {
  jobId: string;
  kind: string;
  status: string;
  workflowId: string;
  resourceId: string;
  resource: string;
  error: string | null;
  createdAt: string;
  workflow?: { status: string } | null;
  cancelRequested?: boolean;
}
interface ListAnswer {
  jobs: JobAnswer[];
  nextCursor: string | null;
}

/**
 * The jobs API over real rows and workflows. Listing rows are made in the
 * database with creation times after any other test's (so they are the
 * newest jobs); cancellations go through real workflows, cancelled while no
 * worker serves their queue and then run to their end by one.
 */
describe('jobs API: every kind of job in one list, one view and one cancel', () => {
  const taskQueue = taskQueueFor('jobs-api');
  let deps: TestDeps;
  let api: TestApi;
  let server: Server;
  const uploads: string[] = [];
  const batches: string[] = [];
  // Newer than every row another test (or an earlier run of this one) made.
  const base = Date.UTC(2100, 0, 1) + Date.now();
  let n = 0;
  const nextTime = () => new Date(base + ++n * 1000);

  before(async () => {
    deps = await createTestDeps({ TEMPORAL_TASK_QUEUE: taskQueue });
    api = await startTestApi(deps);
    server = await createTestServer(deps);
  });
  after(async () => {
    try {
      await terminateOpenWorkflows(deps.temporal, taskQueue);
      await deps.db.upload.deleteMany({ where: { id: { in: uploads } } });
      await deps.db.batch.deleteMany({ where: { id: { in: batches } } });
      await deps.db.server.delete({ where: { id: server.id } });
      removeTestFiles();
    } finally {
      await api.close();
      await deps.close();
    }
  });

  async function transferRow(status: 'discovered' | 'running' | 'completed' | 'skipped' | 'failed') {
    const t = await deps.db.transfer.create({
      data: {
        serverId: server.id,
        remotePath: `${server.remoteDir}/listed-${n}.bin`,
        size: 10n,
        mtimeMs: 1_700_000_000_000n,
        workflowId: `ferry-transfer-${server.id}-${randomUUID().replace(/-/g, '')}`,
        status,
        bucket: server.bucket,
        objectKey: `${server.keyPrefix}listed-${n}.bin`,
        error: status === 'failed' ? 'disk on fire' : null,
        createdAt: nextTime(),
      },
    });
    return { jobId: t.workflowId, kind: 'transfer', resourceId: t.id };
  }

  async function uploadRow(status: 'receiving' | 'queued' | 'processing' | 'completed' | 'expired') {
    const id = randomUUID();
    uploads.push(id);
    await deps.db.upload.create({
      data: {
        id,
        filename: 'listed.bin',
        bucket: deps.config.FERRY_BUCKET,
        objectKey: `jobs-test/${id}`,
        status,
        workflowId: workflowIds.upload(id),
        expiresAt: new Date(base + 86_400_000),
        createdAt: nextTime(),
      },
    });
    return { jobId: workflowIds.upload(id), kind: 'upload', resourceId: id };
  }

  async function batchRow(status: 'queued' | 'running' | 'cancelled') {
    const id = randomUUID();
    batches.push(id);
    await deps.db.batch.create({
      data: {
        id,
        workflowId: workflowIds.exportBatch(id),
        status,
        concurrency: 2,
        total: 0,
        createdAt: nextTime(),
      },
    });
    return { jobId: workflowIds.exportBatch(id), kind: 'batch', resourceId: id };
  }

  /** The first `count` jobs of a listing, following its cursor `limit` at a time. */
  async function firstJobs(query: string, count: number, limit = 3): Promise<JobAnswer[]> {
    const seen: JobAnswer[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: ListAnswer; text: string } = await api.call<ListAnswer>(
        'GET',
        `/v1/jobs?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      assert.equal(page.status, 200, page.text);
      assert.ok(page.body.jobs.length <= limit);
      seen.push(...page.body.jobs);
      cursor = page.body.nextCursor;
    } while (cursor && seen.length < count);
    return seen.slice(0, count);
  }

  it('lists every kind newest first, maps each kind’s status, filters by kind and status, pages by cursor', async () => {
    const made = [
      { ...(await transferRow('discovered')), status: 'queued' },
      { ...(await uploadRow('queued')), status: 'queued' },
      { ...(await batchRow('running')), status: 'running' },
      { ...(await transferRow('skipped')), status: 'completed' },
      { ...(await uploadRow('receiving')), status: null },
      { ...(await transferRow('failed')), status: 'failed' },
      { ...(await uploadRow('processing')), status: 'running' },
      { ...(await uploadRow('expired')), status: null },
      { ...(await batchRow('cancelled')), status: 'cancelled' },
      { ...(await transferRow('running')), status: 'running' },
      { ...(await uploadRow('completed')), status: 'completed' },
    ];
    // Uploads still receiving chunks, or expired, were never jobs.
    const jobs = made.filter((m) => m.status !== null).reverse();
    const shape = (j: JobAnswer) => ({
      jobId: j.jobId,
      kind: j.kind,
      resourceId: j.resourceId,
      status: j.status,
    });
    assert.deepEqual((await firstJobs('', jobs.length)).map(shape), jobs);

    const first = (await firstJobs('', 1))[0];
    assert.equal(first?.workflowId, first?.jobId);
    assert.equal(first?.resource, `/v1/uploads/${first?.resourceId}`);

    for (const kind of ['transfer', 'upload', 'batch']) {
      const mine = jobs.filter((j) => j.kind === kind);
      assert.deepEqual((await firstJobs(`kind=${kind}`, mine.length, 2)).map(shape), mine, kind);
    }
    const active = jobs.filter((j) => j.status === 'queued' || j.status === 'running');
    assert.deepEqual((await firstJobs('status=active', active.length)).map(shape), active);
    const failedTransfers = jobs.filter((j) => j.kind === 'transfer' && j.status === 'failed');
    const failed = await firstJobs('kind=transfer&status=failed', 1);
    assert.deepEqual(failed.map(shape), failedTransfers);
    assert.equal(failed[0]?.error, 'disk on fire');
  });

  it('answers 400 for a bad query and 404 for what names no job', async () => {
    for (const query of ['status=bogus', 'kind=scan', 'limit=0', 'limit=501', 'cursor=bm90LWEtY3Vyc29y']) {
      const res = await api.call('GET', `/v1/jobs?${query}`);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error.code, 'invalid_request');
    }
    for (const id of [
      workflowIds.upload(randomUUID()),
      'not-a-job',
      `ferry-export-batch-${'x'.repeat(200)}`,
    ]) {
      assert.equal((await api.call('GET', `/v1/jobs/${id}`)).status, 404, id);
      assert.equal((await api.call('DELETE', `/v1/jobs/${id}`)).status, 404, id);
    }
  });

  it('cancels an upload and a transfer through their workflows; the rows and workflows agree', async () => {
    // An upload completed by its client, queued: its workflow waits for a worker.
    const created = await api.call<{ uploadId: string; jobId: string }>('POST', '/v1/uploads', {
      json: { filename: 'cancel-me.bin', ttlSeconds: 600 },
    });
    assert.equal(created.status, 201, created.text);
    const { uploadId, jobId: uploadJob } = created.body;
    uploads.push(uploadId);
    const data = Buffer.from('cancel me');
    const put = await fetch(`${api.url}/v1/uploads/${uploadId}/chunks/0`, {
      method: 'PUT',
      headers: { authorization: 'Bearer test-token', 'x-chunk-sha256': sha256(data) },
      body: data,
    });
    assert.equal(put.status, 201);
    assert.equal((await api.call('POST', `/v1/uploads/${uploadId}/complete`)).status, 202);

    // A transfer started as the scan starts it.
    writeRandomFile(server, 'cancel-me.bin', 1024);
    const transfer = await createTransferRow(deps, server, 'cancel-me.bin');
    await startTransfer(deps, transfer, taskQueue);

    for (const jobId of [uploadJob, transfer.workflowId]) {
      const shown = await api.call<JobAnswer>('GET', `/v1/jobs/${jobId}`);
      assert.equal(shown.status, 200, shown.text);
      assert.deepEqual([shown.body.status, shown.body.workflow?.status], ['queued', 'RUNNING']);
      const cancel = await api.call<JobAnswer>('DELETE', `/v1/jobs/${jobId}`);
      assert.equal(cancel.status, 202, cancel.text);
      assert.equal(cancel.body.cancelRequested, true);
    }

    await withWorker(deps, taskQueue, async () => {
      for (const jobId of [uploadJob, transfer.workflowId]) {
        const job = await waitFor(`${jobId} to be cancelled`, async () => {
          const res = await api.call<JobAnswer>('GET', `/v1/jobs/${jobId}`);
          return res.body.status === 'cancelled' && res.body.workflow?.status !== 'RUNNING' && res.body;
        });
        assert.equal(job.workflow?.status, 'CANCELLED');
      }
    });
    assert.equal((await deps.db.upload.findUniqueOrThrow({ where: { id: uploadId } })).status, 'cancelled');
    assert.equal(
      (await deps.db.transfer.findUniqueOrThrow({ where: { id: transfer.id } })).status,
      'cancelled',
    );

    const again = await api.call<JobAnswer>('DELETE', `/v1/jobs/${uploadJob}`);
    assert.deepEqual([again.status, again.body.cancelRequested], [200, false]);
  });

  it('refuses to cancel a finished job (409)', async () => {
    const done = await uploadRow('completed');
    const res = await api.call('DELETE', `/v1/jobs/${done.jobId}`);
    assert.equal(res.status, 409, res.text);
    assert.equal(res.body.error.code, 'conflict');
  });
});
