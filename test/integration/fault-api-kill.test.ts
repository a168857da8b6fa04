import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { ScheduleNotFoundError } from '@temporalio/client';
import { startApiProcess, type ApiProcess } from '../helpers/api-process';
import { createTestDeps, type TestDeps } from '../helpers/deps';
import { TEST_TOKEN } from '../helpers/env';
import { freePort } from '../helpers/processes';
import { terminateOpenWorkflows } from '../helpers/servers';
import { objectDigest } from '../helpers/storage';
import { assertNoStagedLeft, sha256, type UploadBody } from '../helpers/uploads';
import { waitFor } from '../helpers/wait';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';
import { workflowIds } from '../../src/workflows/contract';
import { MiB } from '../../src/lib/units';

const CLIENTS = 20;
const CHUNK = 3 * MiB;
/** Four chunks per file, the last a short one. */
const FILE_SIZE = 3 * CHUNK + MiB + 17;
const CHUNKS = Math.ceil(FILE_SIZE / CHUNK);
/** Clients on slow links (64 KiB every 8 ms): each chunk is in flight for a good fraction of a second. */
const SLICE = 64 * 1024;
const PACE_MS = 8;

/** One HTTP exchange: the answer, or the connection error that cut it off (no status at all). */
type Exchange = { status: number; text: string } | { error: Error };

/** Every answer the API gave the clients, and the requests a connection error cut off. */
interface Seen {
  statuses: number[];
  cutPuts: number;
  inFlight: number;
}

function exchange(url: string, method: string, body?: Buffer | object): Promise<Exchange> {
  return new Promise((resolve) => {
    const raw = Buffer.isBuffer(body)
      ? body
      : body === undefined
        ? undefined
        : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = { authorization: `Bearer ${TEST_TOKEN}` };
    if (raw) headers['content-length'] = raw.length;
    if (Buffer.isBuffer(body)) {
      headers['content-type'] = 'application/octet-stream';
      headers['x-chunk-sha256'] = sha256(body);
    } else if (raw) headers['content-type'] = 'application/json';
    // No keep-alive: a socket of the killed API must not be reused after the restart.
    const req = httpRequest(url, { method, headers, agent: false });
    req.on('error', (error) => resolve({ error }));
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (s: string) => (text += s));
      res.on('error', (error) => resolve({ error }));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    if (Buffer.isBuffer(body)) void writePaced(req, body);
    else req.end(raw);
  });
}

async function writePaced(req: ClientRequest, data: Buffer): Promise<void> {
  for (let o = 0; o < data.length; o += SLICE) {
    if (req.destroyed) return;
    req.write(data.subarray(o, o + SLICE));
    await sleep(PACE_MS);
  }
  if (!req.destroyed) req.end();
}

/**
 * A client as docs/uploads.md describes one: it sends its chunks, and when a
 * connection error leaves it unsure whether one arrived, it asks the API
 * (GET /v1/uploads/:id, `receivedChunks`) once the API answers again and
 * sends what is missing; then it completes the upload.
 */
class Client {
  readonly chunks: Buffer[];
  /** Indexes the API acknowledged (201, or 200 for a repeat). */
  readonly acked = new Set<number>();

  constructor(
    private readonly base: () => string,
    private readonly seen: Seen,
    readonly file: Buffer,
    readonly uploadId: string,
  ) {
    this.chunks = Array.from({ length: CHUNKS }, (_, i) => file.subarray(i * CHUNK, (i + 1) * CHUNK));
  }

  private answered(got: Exchange, what: string): got is { status: number; text: string } {
    if ('error' in got) return false;
    this.seen.statuses.push(got.status);
    if (got.status >= 300) throw new Error(`${what} answered ${got.status}: ${got.text}`);
    return true;
  }

  /** What the API has of the upload, asked until it answers (it may be down). */
  async view(): Promise<UploadBody> {
    const url = `${this.base()}/v1/uploads/${this.uploadId}`;
    return await waitFor(
      `upload ${this.uploadId} to answer`,
      async () => {
        const got = await exchange(url, 'GET');
        return this.answered(got, 'GET upload') ? (JSON.parse(got.text) as UploadBody) : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 200 },
    );
  }

  private async sendChunk(index: number): Promise<void> {
    for (;;) {
      this.seen.inFlight++;
      const got = await exchange(
        `${this.base()}/v1/uploads/${this.uploadId}/chunks/${index}`,
        'PUT',
        this.chunks[index],
      );
      this.seen.inFlight--;
      if (this.answered(got, `PUT chunk ${index}`)) {
        this.acked.add(index);
        return;
      }
      this.seen.cutPuts++;
      const { receivedChunks } = await this.view();
      for (const acked of this.acked) {
        assert.ok(receivedChunks.includes(acked), `chunk ${acked} was acknowledged, then lost`);
      }
      // Stored and recorded before the kill; only the answer was lost.
      if (receivedChunks.includes(index)) return;
    }
  }

  async run(): Promise<void> {
    for (let i = 0; i < CHUNKS; i++) await this.sendChunk(i);
    const url = `${this.base()}/v1/uploads/${this.uploadId}/complete`;
    await waitFor(
      `complete of ${this.uploadId}`,
      async () => this.answered(await exchange(url, 'POST', { chunkCount: CHUNKS }), 'complete'),
      { timeoutMs: 120_000, intervalMs: 200 },
    );
  }
}

/**
 * Issue 16, "Faults": the API process (src/api/main.ts, a process of its own)
 * is SIGKILLed while 20 clients each have a chunk in flight, then started
 * again on the same port. Chunks are staged in storage first and recorded
 * in the manifest after, so no recorded chunk may lack a byte; the clients'
 * retries must complete every upload, exact.
 */
describe('fault: the API SIGKILLed with 20 chunk uploads in flight', () => {
  const taskQueue = taskQueueFor('fault api kill');
  const overrides = { TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'warn' };
  let deps: TestDeps | undefined;
  let port: number;
  let api: ApiProcess | undefined;

  before(async () => {
    deps = await createTestDeps(overrides);
    port = await freePort();
    api = await startApiProcess(overrides, port);
  });
  after(async () => {
    await api?.proc.stop('SIGKILL');
    if (!deps) return;
    try {
      await deps.temporal.schedule.getHandle(workflowIds.eventSweep(taskQueue)).delete();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    await terminateOpenWorkflows(deps.temporal, taskQueue);
    await deps.close();
  });

  it('records no chunk that is not fully stored, and the clients’ retries complete every upload', async (t) => {
    const d = deps as TestDeps;
    const seen: Seen = { statuses: [], cutPuts: 0, inFlight: 0 };
    const base = () => (api as ApiProcess).url;
    const clients: Client[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const file = randomBytes(FILE_SIZE);
      const created = await exchange(`${base()}/v1/uploads`, 'POST', {
        filename: `client-${i}.bin`,
        size: FILE_SIZE,
        sha256: sha256(file),
      });
      assert.ok('status' in created && created.status === 201, `create answered ${JSON.stringify(created)}`);
      clients.push(new Client(base, seen, file, (JSON.parse(created.text) as UploadBody).uploadId));
    }
    const ids = clients.map((c) => c.uploadId);
    let inFlightAtKill = 0;
    const recorded = () => d.db.uploadChunk.count({ where: { uploadId: { in: ids } } });

    await withWorker(d, taskQueue, async () => {
      const sending = Promise.allSettled(clients.map((c) => c.run()));
      await waitFor(
        'a round of chunks recorded and a chunk of every client in flight',
        async () => seen.inFlight === CLIENTS && (await recorded()) >= CLIENTS,
        { timeoutMs: 60_000, intervalMs: 10 },
      );
      inFlightAtKill = seen.inFlight;
      await (api as ApiProcess).proc.stop('SIGKILL');

      // The API is gone: every chunk the manifest names must be in storage, whole.
      const rows = await d.db.uploadChunk.findMany({ where: { uploadId: { in: ids } } });
      t.diagnostic(`${rows.length} of ${CLIENTS * CHUNKS} chunks recorded at the kill`);
      assert.ok(rows.length >= CLIENTS && rows.length < CLIENTS * CHUNKS, `${rows.length} chunks recorded`);
      for (const row of rows) {
        assert.deepEqual(
          await objectDigest(d, row.stagingKey),
          { sha256: row.sha256, size: Number(row.size) },
          `chunk ${row.index} of ${row.uploadId} is recorded but not stored as recorded`,
        );
      }

      api = await startApiProcess(overrides, port);
      for (const [i, result] of (await sending).entries()) {
        if (result.status === 'rejected') throw new Error(`client ${i} failed`, { cause: result.reason });
      }
      for (const c of clients) {
        const done = await waitFor(
          `upload ${c.uploadId} to end`,
          async () => {
            const v = await c.view();
            return ['completed', 'failed', 'cancelled', 'expired'].includes(v.status) ? v : undefined;
          },
          { timeoutMs: 120_000, intervalMs: 200 },
        );
        assert.equal(done.status, 'completed', `upload ${c.uploadId} ended ${done.status}: ${done.error}`);
        assert.deepEqual(await objectDigest(d, done.key), { sha256: sha256(c.file), size: FILE_SIZE });
        await assertNoStagedLeft(d, c.uploadId);
      }
    });

    t.diagnostic(`${inFlightAtKill} chunk PUTs in flight at the kill; ${seen.cutPuts} PUTs cut off in all`);
    assert.ok(seen.cutPuts >= 1, 'the kill cut chunk uploads off');
    const errors = seen.statuses.filter((s) => s >= 500);
    assert.deepEqual(errors, [], 'no answer was a server error: only connections were cut');
  });
});
