import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Prisma, Server, Transfer } from '../../src/generated/prisma/client';
import { startTestApi, type TestApi } from '../helpers/api-client';
import { createTestDeps, type TestDeps } from '../helpers/deps';
import { createTestServer } from '../helpers/ingest-fixtures';
import { terminateOpenWorkflows } from '../helpers/servers';

interface TransferAnswer {
  id: string;
  serverId: string;
  remotePath: string;
  size: number;
  status: string;
  bytesDone: number;
  sha256: string | null;
  objectKey: string;
  error: string | null;
  attempts: number;
  workflowId: string;
  progress: { done: number; total: number | null; phase: string; live: boolean };
}
interface ListAnswer {
  transfers: TransferAnswer[];
  nextCursor: string | null;
}

/**
 * Rows are made directly in the database; retried transfers start on a task
 * queue no worker polls, so the workflow Temporal holds can be inspected.
 */
describe('transfers API: listing, details, retry and cancel', () => {
  let deps: TestDeps;
  let api: TestApi;
  let server: Server;
  let n = 0;

  before(async () => {
    deps = await createTestDeps({ TEMPORAL_TASK_QUEUE: `no-worker-${randomUUID()}` });
    api = await startTestApi(deps);
    server = await createTestServer(deps);
  });
  after(async () => {
    try {
      await terminateOpenWorkflows(deps.temporal, deps.config.TEMPORAL_TASK_QUEUE);
      await deps.db.server.delete({ where: { id: server.id } });
    } finally {
      await api.close();
      await deps.close();
    }
  });

  async function row(
    status: Transfer['status'],
    fields: Partial<Prisma.TransferUncheckedCreateInput> = {},
  ): Promise<Transfer> {
    n++;
    return await deps.db.transfer.create({
      data: {
        serverId: server.id,
        remotePath: `${server.remoteDir}/file-${n}.bin`,
        size: 1000n + BigInt(n),
        mtimeMs: 1_700_000_000_000n,
        workflowId: `ferry-transfer-test-${randomUUID()}`,
        status,
        bucket: server.bucket,
        objectKey: `${server.keyPrefix}file-${n}.bin`,
        // Distinct creation times, so "newest first" has one right answer.
        createdAt: new Date(Date.UTC(2026, 0, 1) + n * 1000),
        ...fields,
      },
    });
  }

  it('lists by server and status, newest first, in pages that neither skip nor repeat', async () => {
    const made = [];
    for (let i = 0; i < 7; i++) made.push(await row(i % 2 ? 'failed' : 'completed'));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `serverId=${server.id}&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await api.call<ListAnswer>('GET', `/v1/transfers?${query}`);
      assert.equal(page.status, 200, page.text);
      assert.ok(page.body.transfers.length <= 3);
      seen.push(...page.body.transfers.map((t) => t.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, made.map((t) => t.id).reverse());

    const failed = await api.call<ListAnswer>('GET', `/v1/transfers?serverId=${server.id}&status=failed`);
    assert.deepEqual(
      failed.body.transfers.map((t) => t.id),
      made
        .filter((t) => t.status === 'failed')
        .map((t) => t.id)
        .reverse(),
    );
    const other = await api.call<ListAnswer>('GET', `/v1/transfers?serverId=${randomUUID()}`);
    assert.deepEqual(other.body, { transfers: [], nextCursor: null });
  });

  it('shows a transfer with sizes as JSON numbers, and falls back to the row when no workflow answers', async () => {
    const big = await row('running', { size: 2n ** 40n, bytesDone: 123_456_789n, attempts: 2 });
    const started = Date.now();
    const res = await api.call<TransferAnswer>('GET', `/v1/transfers/${big.id}`);
    assert.equal(res.status, 200, res.text);
    assert.ok(Date.now() - started < 5_000, 'an unanswered query does not hold the request');
    assert.equal(res.body.size, 2 ** 40);
    assert.equal(res.body.bytesDone, 123_456_789);
    assert.equal(res.body.attempts, 2);
    assert.equal(res.body.workflowId, big.workflowId);
    assert.deepEqual(res.body.progress, { done: 123_456_789, total: 2 ** 40, phase: 'running', live: false });

    const done = await row('completed', { sha256: 'ab'.repeat(32), bytesDone: 1001n });
    const shown = await api.call<TransferAnswer>('GET', `/v1/transfers/${done.id}`);
    assert.equal(shown.body.sha256, 'ab'.repeat(32));
    assert.equal(shown.body.objectKey, done.objectKey);
  });

  it('retries only failed or cancelled transfers, starting the same workflow ID again', async () => {
    for (const status of ['discovered', 'running', 'completed', 'skipped'] as const) {
      const t = await row(status);
      const res = await api.call('POST', `/v1/transfers/${t.id}/retry`);
      assert.equal(res.status, 409, `${status}: ${res.text}`);
      assert.equal(res.body.error.code, 'conflict');
    }
    const failed = await row('failed', { error: 'network down' });
    const res = await api.call<{ workflowId: string; status: string }>(
      'POST',
      `/v1/transfers/${failed.id}/retry`,
    );
    assert.equal(res.status, 202, res.text);
    assert.deepEqual(res.body, { id: failed.id, workflowId: failed.workflowId, status: 'discovered' });
    const after = await deps.db.transfer.findUniqueOrThrow({ where: { id: failed.id } });
    assert.equal(after.status, 'discovered');
    assert.equal(after.error, null);
    const described = await deps.temporal.workflow.getHandle(failed.workflowId).describe();
    assert.equal(described.type, 'transferFile');
    assert.equal(described.status.name, 'RUNNING');
    assert.equal((await api.call('POST', `/v1/transfers/${failed.id}/retry`)).status, 409, 'now discovered');
  });

  it('keeps the row as it was when the workflow ID is still open', async () => {
    const t = await row('cancelled', { error: 'cancelled by request' });
    await deps.temporal.workflow.start('transferFile', {
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      workflowId: t.workflowId,
      args: [{ transferId: t.id }],
    });
    const res = await api.call('POST', `/v1/transfers/${t.id}/retry`);
    assert.equal(res.status, 409, res.text);
    const kept = await deps.db.transfer.findUniqueOrThrow({ where: { id: t.id } });
    assert.equal(kept.status, 'cancelled');
    assert.equal(kept.error, 'cancelled by request');
  });

  it('cancels open transfers: asks the workflow, or settles a row whose workflow never started', async () => {
    const finished = await row('completed');
    assert.equal((await api.call('DELETE', `/v1/transfers/${finished.id}`)).status, 409);

    const notStarted = await row('discovered');
    const res = await api.call('DELETE', `/v1/transfers/${notStarted.id}`);
    assert.equal(res.status, 202, res.text);
    assert.equal(
      (await deps.db.transfer.findUniqueOrThrow({ where: { id: notStarted.id } })).status,
      'cancelled',
    );

    const running = await row('running');
    const handle = await deps.temporal.workflow.start('transferFile', {
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      workflowId: running.workflowId,
      args: [{ transferId: running.id }],
    });
    assert.equal((await api.call('DELETE', `/v1/transfers/${running.id}`)).status, 202);
    const history = await handle.fetchHistory();
    assert.ok(
      history.events?.some((e) => e.workflowExecutionCancelRequestedEventAttributes),
      'the workflow received the cancellation request',
    );
  });
});
