import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { Server } from '../../src/generated/prisma/client';
import { createLogger } from '../../src/lib/logger';
import { serveWorkerMetrics } from '../../src/lib/observability/metrics-server';
import { workerRegistry } from '../../src/lib/observability/worker-metrics';
import { MiB } from '../../src/lib/units';
import { startTestApi, type TestApi } from '../helpers/api-client';
import type { TestDeps } from '../helpers/deps';
import { TEST_TOKEN } from '../helpers/env';
import {
  createTestServer,
  createTransferRow,
  localPathOf,
  startTransfer,
  writeRandomFile,
} from '../helpers/ingest-fixtures';
import { useTransferDeps } from '../helpers/suite';
import { waitFor } from '../helpers/wait';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';

type LogLine = Record<string, unknown>;

/** The same deps, logging (debug and up) into `lines` instead of stdout. */
function capturingLogs(deps: TestDeps, lines: LogLine[]): TestDeps {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const { config, db, s3, temporal } = deps;
  return {
    config,
    db,
    s3,
    temporal,
    log: createLogger('debug', 'ferry-test', sink),
    close: () => deps.close(),
  };
}

/** The value of one sample of a metric in Prometheus's text format, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? '').split(',');
    if (wanted.every((w) => have.includes(w))) return Number(match[3]);
  }
  return undefined;
}

describe('logs and metrics', () => {
  const deps = useTransferDeps({ TRANSFER_PART_MIB: '5' });
  const lines: LogLine[] = [];
  let api: TestApi;
  let server: Server;
  before(async () => {
    api = await startTestApi(capturingLogs(deps, lines));
    server = await createTestServer(deps, { afterTransfer: 'move', archiveDir: `archive-${randomUUID()}` });
  });
  after(async () => {
    rmSync(`${localPathOf(server, '')}/../${server.archiveDir}`, { recursive: true, force: true });
    await deps.db.server.delete({ where: { id: server.id } });
    await api.close();
  });

  it('names the workflow and the job in every line an activity or a route logs', async (t) => {
    writeRandomFile(server, 'logged.bin', 6 * MiB);
    const row = await createTransferRow(deps, server, 'logged.bin');
    const taskQueue = taskQueueFor(t.name);
    await withWorker(capturingLogs(deps, lines), taskQueue, async () => {
      await (await startTransfer(deps, row, taskQueue)).result();
    });
    const ofActivities = lines.filter((l) => l.msg === 'activity ended' && l.workflowId === row.workflowId);
    assert.deepEqual(
      ofActivities.map((l) => l.activity).sort(),
      ['applyAfterTransfer', 'markTransfer', 'transferToS3'],
      'each activity of the transfer logged its end, within the transfer',
    );
    for (const line of ofActivities) assert.equal(line.transferId, row.id, JSON.stringify(line));
    // Logged by the after-transfer action with a child logger that names no workflow: the context adds it.
    const moved = lines.find((l) => l.msg === 'source moved to the archive');
    assert.equal(moved?.workflowId, row.workflowId);
    assert.equal(moved?.transferId, row.id);

    const uploadId = randomUUID();
    assert.equal((await api.call('GET', `/v1/transfers/${row.id}`)).status, 200);
    assert.equal((await api.call('GET', `/v1/uploads/${uploadId}`)).status, 404);
    const served = await waitFor('the request lines', () => {
      const found = lines.filter((l) => l.msg === 'request served');
      return found.length >= 2 ? found : undefined;
    });
    assert.ok(served.some((l) => l.path === `/v1/transfers/${row.id}` && l.transferId === row.id));
    assert.ok(
      served.some(
        (l) => l.uploadId === uploadId && l.workflowId === `ferry-upload-${uploadId}` && l.status === 404,
      ),
    );
  });

  it('counts transfers by outcome, their bytes and durations, and the age of the oldest running job', async (t) => {
    writeRandomFile(server, 'counted.bin', 6 * MiB + 1);
    const row = await createTransferRow(deps, server, 'counted.bin');
    const taskQueue = taskQueueFor(t.name);
    const metricsServer = await serveWorkerMetrics(0, workerRegistry);
    const workerMetrics = `http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}/metrics`;
    try {
      const before = await (await fetch(workerMetrics)).text();
      const ended = { kind: 'transfer', outcome: 'completed' };
      const endedBefore = sample(before, 'ferry_jobs_ended_total', ended) ?? 0;
      const bytesBefore = sample(before, 'ferry_transferred_bytes_total', { outcome: 'completed' }) ?? 0;
      await withWorker(deps, taskQueue, async () => {
        await (await startTransfer(deps, row, taskQueue)).result();
      });
      const text = await waitFor('the transfer counted', async () => {
        const now = await (await fetch(workerMetrics)).text();
        return (sample(now, 'ferry_jobs_ended_total', ended) ?? 0) > endedBefore ? now : undefined;
      });
      assert.equal(sample(text, 'ferry_jobs_ended_total', ended), endedBefore + 1);
      assert.equal(
        sample(text, 'ferry_transferred_bytes_total', { outcome: 'completed' }),
        bytesBefore + 6 * MiB + 1,
      );
      assert.ok((sample(text, 'ferry_job_duration_seconds_count', ended) ?? 0) >= 1);
      assert.ok((sample(text, 'ferry_job_duration_seconds_sum', ended) ?? 0) > 0);
      const activity = { activity: 'transferToS3', outcome: 'completed' };
      assert.ok((sample(text, 'ferry_activity_duration_seconds_count', activity) ?? 0) >= 1);
    } finally {
      metricsServer.close();
    }

    // A transfer running for an hour: the gauge, read from the view "Job" on scrape, shows at least that.
    const stuck = await deps.db.transfer.create({
      data: {
        serverId: server.id,
        remotePath: `${server.remoteDir}/stuck.bin`,
        size: 1n,
        mtimeMs: 1n,
        workflowId: `observability-test-${randomUUID()}`,
        bucket: server.bucket,
        objectKey: `observability/${randomUUID()}`,
        status: 'running',
        startedAt: new Date(Date.now() - 3600_000),
      },
    });
    try {
      const answer = await fetch(`${api.url}/metrics`, {
        headers: { authorization: `Bearer ${TEST_TOKEN}` },
      });
      assert.equal(answer.status, 200);
      const text = await answer.text();
      assert.ok((sample(text, 'ferry_job_oldest_running_age_seconds', { kind: 'transfer' }) ?? 0) >= 3600);
      assert.ok((sample(text, 'ferry_jobs_in_flight', { kind: 'transfer', status: 'running' }) ?? 0) >= 1);
      assert.notEqual(sample(text, 'ferry_job_oldest_running_age_seconds', { kind: 'export' }), undefined);
    } finally {
      await deps.db.transfer.delete({ where: { id: stuck.id } });
    }
  });
});
