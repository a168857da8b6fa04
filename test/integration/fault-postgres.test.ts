import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client as PgClient } from 'pg';
import type { Server } from '../../src/generated/prisma/client';
import { MiB } from '../../src/lib/units';
import { workflowIds } from '../../src/workflows/contract';
import { startTestApi, type TestApi } from '../helpers/api-client';
import { createTestDeps, type TestDeps } from '../helpers/deps';
import { removePrefix } from '../helpers/exports';
import { listKeys, removeTree, writeTree, type Fixture } from '../helpers/ingest-tree';
import { cleanupServer, registerServer } from '../helpers/servers';
import { objectDigest } from '../helpers/storage';
import {
  assertNoStagedLeft,
  sha256,
  startUploadsApi,
  type Answer,
  type UploadsApi,
} from '../helpers/uploads';
import { waitFor } from '../helpers/wait';
import { startWorkerProcess, unlessWorkerDies, type WorkerProcess } from '../helpers/worker-process';
import { taskQueueFor } from '../helpers/workflows';

/** How long the database's connections keep being killed. */
const FAULT_MS = 20_000;
/** Pause between two rounds of pg_terminate_backend. */
const KILL_EVERY_MS = 150;

/** Every answer the API gave while the fault lasted, by route. */
class Answers {
  readonly byRoute = new Map<string, number[]>();
  readonly wrong: string[] = [];

  record(route: string, status: number, headers: Headers, body: unknown): void {
    const list = this.byRoute.get(route) ?? [];
    list.push(status);
    this.byRoute.set(route, list);
    if (status >= 200 && status < 300) return;
    const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    if (status !== 503) this.wrong.push(`${route}: ${status} ${JSON.stringify(body)}`);
    else if (error?.code !== 'unavailable' || typeof error.message !== 'string')
      this.wrong.push(`${route}: 503 with body ${JSON.stringify(body)}`);
    else if (headers.get('retry-after') !== '1')
      this.wrong.push(`${route}: 503 with Retry-After ${headers.get('retry-after')}`);
  }

  count(pick: (status: number) => boolean): number {
    return [...this.byRoute.values()].flat().filter(pick).length;
  }

  summary(): string {
    return [...this.byRoute]
      .map(([route, list]) => `${route}: ${list.length} (${list.filter((s) => s === 503).length}×503)`)
      .join(', ');
  }
}

/**
 * Issue 16, "Faults": every connection to the database is killed
 * (`pg_terminate_backend`), again and again for a while, as transfers run and
 * chunked uploads are sent and assembled. The API answers 503 (with the error
 * shape and Retry-After) and never 500; once the database is left alone every
 * job finishes and every row agrees with storage.
 */
describe('faults: PostgreSQL connections terminated', () => {
  const taskQueue = taskQueueFor('fault-postgres');
  const overrides = { TEMPORAL_TASK_QUEUE: taskQueue, TRANSFER_PART_MIB: '5', LOG_LEVEL: 'error' };
  let deps: TestDeps;
  let api: TestApi;
  let uploads: UploadsApi;
  let worker: WorkerProcess | undefined;
  let server: Server | undefined;
  /** The uploads the test sent (their objects are removed afterwards). */
  const sent: { id: string; sha256: string; size: number }[] = [];

  before(async () => {
    deps = await createTestDeps(overrides);
    api = await startTestApi(deps);
    uploads = await startUploadsApi(deps);
  });
  after(async () => {
    try {
      if (server) {
        await cleanupServer(api, deps, server.id, taskQueue);
        await removeTree(deps.s3, server);
      }
      for (const u of sent) await removePrefix(deps.s3, deps.config.FERRY_BUCKET, `uploads/${u.id}/`);
    } finally {
      await worker?.stop('SIGKILL');
      await uploads.close();
      await api.close();
      await deps.close();
    }
  });

  /** Terminates every other backend of the test database every KILL_EVERY_MS until stopped. */
  async function startKilling(): Promise<{ stop(): Promise<number> }> {
    const killer = new PgClient({ connectionString: deps.config.DATABASE_URL });
    await killer.connect();
    let stopped = false;
    let killed = 0;
    const loop: Promise<void> = (async () => {
      while (!stopped) {
        const { rows } = await killer.query<{ killed: boolean }>(
          `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()`,
        );
        killed += rows.filter((r) => r.killed).length;
        await new Promise((resolve) => setTimeout(resolve, KILL_EVERY_MS));
      }
    })();
    loop.catch(() => undefined); // surfaced by stop()
    return {
      async stop() {
        stopped = true;
        await loop;
        await killer.end();
        return killed;
      },
    };
  }

  it('answers 503, never 500, and every transfer and upload finishes once the database is back', async (t) => {
    const answers = new Answers();
    /** Calls the API until it answers something other than 503 (for a minute at most), recording every answer. */
    async function untilAnswered(route: string, call: () => Promise<Answer>): Promise<Answer> {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const got = await call();
        answers.record(route, got.status, got.headers, got.body);
        if (got.status !== 503) return got;
        if (Date.now() > deadline) throw new Error(`${route} still answered 503 after a minute`);
      }
    }
    const get = (route: string, url: string) => untilAnswered(route, () => uploads.call('GET', url));

    const registered = await registerServer(api, { scanIntervalSeconds: 3600 });
    server = await deps.db.server.findUniqueOrThrow({ where: { id: registered.id } });
    const serverId = server.id;
    const running = await startWorkerProcess(taskQueue, overrides);
    worker = running;
    const alive = <T>(promise: Promise<T>) => unlessWorkerDies(running, promise);

    const files: Fixture[] = [];
    let faultOver = false;

    /** Ingest: a few files at a time, each round scanned (and the scan awaited) while the fault lasts. */
    const ingestLane = async () => {
      for (let round = 0; !faultOver; round++) {
        const sizes: Record<string, number> = Object.fromEntries(
          Array.from({ length: 8 }, (_, i) => [`r${round}/f-${i}.bin`, 2048 + i]),
        );
        // One file of three 5 MiB parts a round: its checkpoint is written to the row after each part.
        sizes[`r${round}/large.bin`] = 12 * MiB + round;
        files.push(...writeTree(server as Server, sizes));
        const scan = await untilAnswered('POST /v1/servers/:id/scan', () =>
          uploads.call('POST', `/v1/servers/${serverId}/scan`),
        );
        assert.equal(scan.status, 202);
        await alive(deps.temporal.workflow.getHandle(workflowIds.scan(serverId)).result());
      }
    };

    /** Uploads, one after the other while the fault lasts: chunks 4 at a time, then complete. */
    const uploadLane = async () => {
      for (let n = 0; !faultOver; n++) {
        // Small chunks (coalesced through the worker) and 5 MiB ones (copied by storage) in turn.
        const sizes = n % 2 ? [5 * MiB, 5 * MiB, 1000 + n] : Array.from({ length: 6 }, () => 256 * 1024 + n);
        const chunks = sizes.map((size) => randomBytes(size));
        const whole = Buffer.concat(chunks);
        const created = await untilAnswered('POST /v1/uploads', () =>
          uploads.call('POST', '/v1/uploads', { filename: `fault-${n}.bin`, sha256: sha256(whole) }),
        );
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const id = created.body.uploadId;
        let next = 0;
        await Promise.all(
          Array.from({ length: 4 }, async () => {
            for (let i = next++; i < chunks.length; i = next++) {
              const put = await untilAnswered('PUT /v1/uploads/:id/chunks/:index', () =>
                uploads.putChunk(id, i, chunks[i] as Buffer),
              );
              assert.ok([200, 201].includes(put.status), `chunk ${i}: ${put.status}`);
            }
          }),
        );
        const done = await untilAnswered('POST /v1/uploads/:id/complete', () =>
          uploads.call('POST', `/v1/uploads/${id}/complete`, { chunkCount: chunks.length }),
        );
        assert.equal(done.status, 202, JSON.stringify(done.body));
        sent.push({ id, sha256: sha256(whole), size: whole.length });
        await get('GET /v1/uploads/:id', `/v1/uploads/${id}`);
      }
    };

    /** Reads as a status page or a poller would, as fast as the API answers. */
    const readLane = async () => {
      while (!faultOver) {
        await get('GET /v1/transfers', `/v1/transfers?serverId=${serverId}`);
        await get('GET /v1/jobs', '/v1/jobs?status=active');
        await get('GET /v1/servers/:id', `/v1/servers/${serverId}`);
        const last = sent.at(-1);
        if (last) await get('GET /v1/uploads/:id', `/v1/uploads/${last.id}`);
      }
    };

    const killing = await startKilling();
    const lanes = Promise.all([ingestLane(), uploadLane(), readLane(), readLane()]);
    await new Promise((resolve) => setTimeout(resolve, FAULT_MS));
    const killed = await killing.stop();
    faultOver = true;
    await alive(lanes);

    t.diagnostic(`${killed} backends terminated; answers: ${answers.summary()}`);
    assert.deepEqual(answers.wrong, [], `answers other than 2xx or a proper 503: ${answers.summary()}`);
    assert.ok(killed > 0, 'backends were terminated');
    assert.ok(answers.count((s) => s === 503) > 0, `the fault reached the API: ${answers.summary()}`);
    assert.ok(sent.length >= 2 && files.length > 9, `work was done meanwhile: ${sent.length} uploads`);

    // Every upload completes, exactly as sent.
    for (const u of sent) {
      const done = await alive(
        uploads.waitForStatus(u.id, ['completed', 'failed', 'cancelled', 'expired'], 180_000),
      );
      assert.equal(done.status, 'completed', `${u.id}: ${done.error}`);
      assert.deepEqual(await objectDigest(deps, done.key), { sha256: u.sha256, size: u.size });
      await assertNoStagedLeft(deps, u.id);
    }

    // Every file version is transferred once, completed, as its bytes.
    const rows = await alive(
      waitFor(
        `${files.length} transfers to finish`,
        async () => {
          const all = await deps.db.transfer.findMany({ where: { serverId } });
          return all.length === files.length && all.every((r) => r.finishedAt !== null) ? all : undefined;
        },
        { timeoutMs: 180_000, intervalMs: 500 },
      ),
    );
    const byPath = new Map(rows.map((r) => [r.remotePath, r]));
    for (const f of files) {
      const row = byPath.get(path.posix.join(registered.remoteDir, f.rel));
      assert.ok(row, `a row for ${f.rel}`);
      assert.equal(row.status, 'completed', `${f.rel}: ${row.status} ${row.error ?? ''}`);
      assert.equal(row.sha256, f.sha256, f.rel);
      assert.deepEqual(await objectDigest(deps, row.objectKey, registered.bucket), {
        sha256: f.sha256,
        size: f.size,
      });
    }
    const keys = await listKeys(deps.s3, registered.bucket, registered.keyPrefix);
    assert.deepEqual(keys.sort(), rows.map((r) => r.objectKey).sort(), 'no object but the files');

    // Every workflow of the test closed, completed.
    await waitFor(
      'every workflow to be closed',
      async () =>
        (await deps.temporal.workflow.count(`TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`))
          .count === 0,
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const notCompleted: string[] = [];
    for await (const w of deps.temporal.workflow.list({
      query: `TaskQueue = '${taskQueue}' AND ExecutionStatus != 'Completed'`,
    })) {
      notCompleted.push(`${w.workflowId}: ${w.status.name}`);
    }
    assert.deepEqual(notCompleted, []);
  });
});
