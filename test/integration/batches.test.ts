import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { workflowIds } from '../../src/workflows/contract';
import { exportDir, putObjects, remoteListing } from '../helpers/exports';
import { useExportSuite } from '../helpers/exports-suite';
import { waitFor } from '../helpers/wait';
import { withWorker } from '../helpers/worker';

interface BatchAnswer {
  batchId: string;
  jobId: string;
  status: string;
  total: number;
  concurrency: number;
  counts: Record<'queued' | 'running' | 'completed' | 'failed' | 'cancelled', number>;
  bytes: { source: number; archives: number };
  firstFailures: unknown[];
  exports: { index: number; exportId: string; jobId: string; status: string; remotePath: string | null }[];
  nextCursor: string | null;
}

/** The most intervals [start, close] open at one instant (a close at the instant of a start comes first). */
function maxOverlap(intervals: { start: number; close: number }[]): number {
  const edges = intervals.flatMap((i) => [
    { at: i.start, step: 1 },
    { at: i.close, step: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.step - b.step);
  let open = 0;
  let most = 0;
  for (const e of edges) most = Math.max(most, (open += e.step));
  return most;
}

/** A validator that takes each archive and never answers, so its exports stay running until cancelled. */
async function startHeldValidator() {
  const held = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    held.add(res);
    req.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/validate`,
    held,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('batches: many exports as child workflows, at most `concurrency` at once', () => {
  // Small runs, so the batch below continues as new a few times.
  const suite = useExportSuite('batches', { BATCH_EXPORTS_PER_RUN: '16', EXPORTS_PER_WORKER: '4' });

  async function getBatch(batchId: string, query = ''): Promise<BatchAnswer> {
    const res = await suite.api.call<BatchAnswer>('GET', `/v1/batches/${batchId}${query}`);
    assert.equal(res.status, 200, res.text);
    return res.body;
  }

  async function settled(batchId: string): Promise<BatchAnswer> {
    return await waitFor(
      `batch ${batchId} to close`,
      async () => {
        const b = await getBatch(batchId);
        return ['completed', 'failed', 'cancelled'].includes(b.status) ? b : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 500 },
    );
  }

  it('runs 50 exports with concurrency 4: never more than 4 at once, all delivered, the summary adds up', async () => {
    const { deps, api, server, prefix } = suite;
    const bucket = deps.config.FERRY_BUCKET;
    const objects = Array.from({ length: 50 }, (_, i) => ({
      key: `${prefix}batch/${i}.txt`,
      body: `object ${i}\n`.repeat(i + 1),
    }));
    await putObjects(deps.s3, bucket, objects);
    const dir = exportDir();
    const exports = objects.map((o, i) => ({
      sources: { bucket, keys: [o.key] },
      layout: 'flatten',
      archiveName: `part-${String(i).padStart(2, '0')}.zip`,
      target: { serverId: server.id, directory: dir.relative },
    }));
    const res = await api.call<BatchAnswer>('POST', '/v1/exports/batch', {
      json: { exports, concurrency: 4 },
    });
    assert.equal(res.status, 202, res.text);
    const { batchId, jobId } = res.body;
    assert.equal(jobId, workflowIds.exportBatch(batchId));

    const done = await withWorker(deps, suite.taskQueue, () => settled(batchId));
    assert.equal(done.status, 'completed', JSON.stringify(done.firstFailures));
    assert.deepEqual([done.total, done.concurrency], [50, 4]);
    assert.deepEqual(done.counts, { queued: 0, running: 0, completed: 50, failed: 0, cancelled: 0 });
    assert.deepEqual(done.firstFailures, []);

    // Every export, in request order, across pages.
    const seen: BatchAnswer['exports'] = [];
    for (let cursor: string | null = null, first = true; first || cursor; first = false) {
      const page: BatchAnswer = await getBatch(batchId, `?limit=20${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.exports);
      cursor = page.nextCursor;
    }
    assert.deepEqual(
      seen.map((e) => e.index),
      objects.map((_, i) => i),
    );
    for (const e of seen) {
      assert.equal(e.status, 'completed');
      assert.equal(e.jobId, workflowIds.export(e.exportId));
      assert.equal(e.remotePath, `${dir.relative}/part-${String(e.index).padStart(2, '0')}.zip`);
    }
    assert.deepEqual(remoteListing(dir.local), exports.map((e) => e.archiveName).sort());

    // The sums are the export rows' own figures.
    const rows = await deps.db.export.findMany({ where: { id: { in: seen.map((e) => e.exportId) } } });
    const sum = (f: (r: (typeof rows)[number]) => bigint | null) =>
      rows.reduce((n, r) => n + Number(f(r) ?? 0n), 0);
    assert.equal(
      done.bytes.source,
      sum((r) => r.totalBytes),
    );
    assert.equal(
      done.bytes.source,
      objects.reduce((n, o) => n + Buffer.byteLength(o.body), 0),
    );
    assert.equal(
      done.bytes.archives,
      sum((r) => r.archiveSize),
    );

    // At most 4 exports' workflows were open at any instant, as Temporal recorded them.
    const intervals = await Promise.all(
      seen.map(async (e) => {
        const d = await deps.temporal.workflow.getHandle(e.jobId).describe();
        assert.equal(d.status.name, 'COMPLETED');
        return { start: d.startTime.getTime(), close: d.closeTime?.getTime() ?? Infinity };
      }),
    );
    const most = maxOverlap(intervals);
    assert.ok(most <= 4 && most > 1, `at most ${most} exports ran at once`);

    // The batch continued as new (16 exports a run) and its job agrees with its row.
    const runs = await waitFor('the batch runs to be listed', async () => {
      let n = 0;
      for await (const _ of deps.temporal.workflow.list({ query: `WorkflowId = '${jobId}'` })) n++;
      return n >= 4 && n;
    });
    assert.ok(runs >= 4, `${runs} runs`);
    // The row is written by the batch's last activity, so the workflow closes a moment after it.
    const job = await waitFor('the batch workflow to close', async () => {
      const answer = await api.call<{ status: string; workflow: { status: string } }>(
        'GET',
        `/v1/jobs/${jobId}`,
      );
      return answer.body.workflow.status !== 'RUNNING' && answer;
    });
    assert.deepEqual([job.body.status, job.body.workflow.status], ['completed', 'COMPLETED']);
    const exportJob = await api.call<{ kind: string; batchId: string }>('GET', `/v1/jobs/${seen[0]?.jobId}`);
    assert.deepEqual([exportJob.body.kind, exportJob.body.batchId], ['export', batchId]);
  });

  it('cancelling a batch cancels its running exports, starts no more and delivers nothing', async () => {
    const { deps, api, server, prefix } = suite;
    const bucket = deps.config.FERRY_BUCKET;
    const validator = await startHeldValidator();
    try {
      const key = `${prefix}cancel/object.txt`;
      await putObjects(deps.s3, bucket, [{ key, body: 'never delivered' }]);
      const dir = exportDir();
      const exports = Array.from({ length: 5 }, (_, i) => ({
        sources: { bucket, keys: [key] },
        archiveName: `held-${i}.zip`,
        validator: { url: validator.url },
        target: { serverId: server.id, directory: dir.relative },
      }));
      const res = await api.call<BatchAnswer>('POST', '/v1/exports/batch', {
        json: { exports, concurrency: 2 },
      });
      assert.equal(res.status, 202, res.text);
      const { batchId, jobId } = res.body;

      const done = await withWorker(deps, suite.taskQueue, async () => {
        await waitFor('two exports to wait on the validator', () => validator.held.size === 2, {
          timeoutMs: 60_000,
        });
        const running = await getBatch(batchId);
        assert.deepEqual([running.counts.running, running.counts.queued], [2, 3]);
        const cancel = await api.call<{ cancelRequested: boolean }>('DELETE', `/v1/batches/${batchId}`);
        assert.equal(cancel.status, 202, cancel.text);
        return await settled(batchId);
      });
      assert.equal(done.status, 'cancelled');
      assert.deepEqual(done.counts, { queued: 0, running: 0, completed: 0, failed: 0, cancelled: 5 });
      assert.equal(validator.held.size, 2, 'no export was started after the cancel');
      const started = done.exports.filter((e) => e.index < 2);
      for (const e of started) {
        const d = await deps.temporal.workflow.getHandle(e.jobId).describe();
        assert.equal(d.status.name, 'CANCELLED', e.jobId);
      }
      const rows = await deps.db.export.findMany({
        where: { id: { in: done.exports.map((e) => e.exportId) } },
      });
      assert.deepEqual(
        rows.map((r) => r.status),
        ['cancelled', 'cancelled'],
        'only the two started exports have rows, both cancelled',
      );
      assert.deepEqual(remoteListing(dir.local), []);
      const job = await api.call<{ status: string; workflow: { status: string } }>(
        'GET',
        `/v1/jobs/${jobId}`,
      );
      assert.deepEqual([job.body.status, job.body.workflow.status], ['cancelled', 'CANCELLED']);
    } finally {
      await validator.close();
    }
  });
});
