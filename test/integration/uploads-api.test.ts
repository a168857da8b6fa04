import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createTestDeps, type TestDeps } from '../helpers/deps';
import { TEST_TOKEN } from '../helpers/env';
import { chunksOf, sha256, stagedKeys, startUploadsApi, type UploadsApi } from '../helpers/uploads';
import { taskQueueFor } from '../helpers/workflows';
import { MiB } from '../../src/lib/units';

/**
 * The HTTP contract of /v1/uploads. No worker polls this file's task queue:
 * completed uploads stay `queued`, which is what these tests look at.
 */
describe('uploads: HTTP API', () => {
  let deps: TestDeps;
  let api: UploadsApi;
  before(async () => {
    deps = await createTestDeps({
      TEMPORAL_TASK_QUEUE: taskQueueFor('uploads-api'),
      UPLOAD_MAX_CHUNK_MIB: '1',
      LOG_LEVEL: 'error',
    });
    api = await startUploadsApi(deps);
  });
  after(async () => {
    await api.close();
    await deps.close();
  });

  async function create(body: Record<string, unknown> = {}): Promise<string> {
    const res = await api.call('POST', '/v1/uploads', { filename: 'data.bin', ttlSeconds: 600, ...body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.uploadId;
  }

  it('creates an upload with its key, expiry and job ID', async () => {
    const res = await api.call('POST', '/v1/uploads', {
      filename: 'report.csv',
      key: 'in//2026/./report.csv',
    });
    assert.equal(res.status, 201);
    assert.equal(res.body.status, 'receiving');
    assert.equal(res.body.key, 'in/2026/report.csv');
    assert.equal(res.body.jobId, `ferry-upload-${res.body.uploadId}`);
    assert.equal(res.body.maxChunkBytes, MiB);
    const ttl = Date.parse(res.body.expiresAt) - Date.now();
    assert.ok(ttl > 86_000_000 && ttl <= 86_400_000, 'UPLOAD_TTL_SECONDS is the default');
    const { status } = await deps.temporal.workflow.getHandle(res.body.jobId).describe();
    assert.equal(status.name, 'RUNNING', 'the upload workflow waits for complete or its TTL');
    const defaultKey = await api.call('POST', '/v1/uploads', { filename: 'a b.txt' });
    assert.equal(defaultKey.body.key, `uploads/${defaultKey.body.uploadId}/a b.txt`);
  });

  const badBodies: [string, unknown][] = [
    ['no filename', {}],
    ['a filename with a slash', { filename: 'a/b' }],
    ['a key with ".."', { filename: 'f', key: 'a/../../etc/passwd' }],
    ['an absolute key', { filename: 'f', key: '/etc/passwd' }],
    ['a key with a control character', { filename: 'f', key: 'a\u0007b' }],
    ['a malformed SHA-256', { filename: 'f', sha256: 'abc' }],
    ['a TTL of zero', { filename: 'f', ttlSeconds: 0 }],
    ['a negative size', { filename: 'f', size: -1 }],
    ['an unknown field', { filename: 'f', bucket: 'elsewhere' }],
    ['a webhook that is not http(s)', { filename: 'f', webhookUrl: 'file:///etc/passwd' }],
    ['a NUL in the webhook URL', { filename: 'f', webhookUrl: 'http://example.com/a\u0000b' }],
    ['a NUL in the content type', { filename: 'f', contentType: 'text/csv;\u0000' }],
    ['a content type no HTTP header may carry', { filename: 'f', contentType: 'text/csv; x=\u2713' }],
  ];
  for (const [what, body] of badBodies) {
    it(`refuses a create body with ${what} (400)`, async () => {
      const res = await api.call('POST', '/v1/uploads', body);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.failure.code, 'invalid_request');
    });
  }

  it('accepts a repeated chunk once and refuses other content for a recorded index (409)', async () => {
    const id = await create();
    const [chunk, other] = chunksOf(2, 1000) as [Buffer, Buffer];
    assert.equal((await api.putChunk(id, 0, chunk)).status, 201);
    const again = await api.putChunk(id, 0, chunk);
    assert.equal(again.status, 200);
    assert.equal(again.body.duplicate, true);
    const conflict = await api.putChunk(id, 0, other);
    assert.equal(conflict.status, 409);
    assert.match(conflict.failure.message, /already received/);
    const got = await api.call('GET', `/v1/uploads/${id}`);
    assert.deepEqual([got.body.receivedChunks, got.body.receivedBytes], [[0], 1000]);
    assert.equal((await stagedKeys(deps, id)).length, 1, 'only the recorded chunk stays staged');
  });

  it('discards a chunk whose body does not match X-Chunk-SHA256 and records nothing', async () => {
    const id = await create();
    const [chunk] = chunksOf(1, 4096) as [Buffer];
    const res = await api.putChunk(id, 3, chunk, { 'x-chunk-sha256': sha256(Buffer.from('something else')) });
    assert.equal(res.status, 400);
    assert.equal(res.failure.code, 'checksum_mismatch');
    assert.match(res.failure.message, /does not match X-Chunk-SHA256/);
    assert.deepEqual((await api.call('GET', `/v1/uploads/${id}`)).body.receivedChunks, []);
    assert.deepEqual(await stagedKeys(deps, id), []);
    const unsigned = await api.putChunk(id, 3, chunk, { 'x-chunk-sha256': '' });
    assert.equal(unsigned.status, 400, 'the header is required');
  });

  it('refuses chunks over UPLOAD_MAX_CHUNK_MIB (413) before reading them', async () => {
    const id = await create();
    const res = await api.putChunk(id, 0, Buffer.alloc(MiB + 1)).catch((err: Error) => err);
    // The server answers and closes; a client still sending may see the reset instead.
    if (!(res instanceof Error)) assert.equal(res.status, 413);
    assert.equal((await api.putChunk(id, 0, Buffer.alloc(MiB))).status, 201, 'exactly the limit is fine');
  });

  it('refuses a chunk without Content-Length (411)', async () => {
    const id = await create();
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${api.url}/v1/uploads/${id}/chunks/0`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TEST_TOKEN}`, 'x-chunk-sha256': sha256(Buffer.from('x')) },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('x'); // written before end(): Node sends the body chunked, without a length
      req.end();
    });
    assert.equal(status, 411);
  });

  for (const index of ['-1', 'abc', '1.5', '10000', '1e3']) {
    it(`refuses the chunk index ${index} (400)`, async () => {
      const id = await create();
      const res = await api.putChunk(id, index as unknown as number, Buffer.from('x'));
      assert.equal(res.status, 400);
    });
  }

  it('answers 404 for unknown uploads, whatever the shape of the ID', async () => {
    for (const id of [randomUUID(), 'not-a-uuid']) {
      assert.equal((await api.call('GET', `/v1/uploads/${id}`)).status, 404);
      assert.equal((await api.putChunk(id, 0, Buffer.from('x'))).status, 404);
      assert.equal((await api.call('POST', `/v1/uploads/${id}/complete`)).status, 404);
      assert.equal((await api.call('DELETE', `/v1/uploads/${id}`)).status, 404);
    }
  });

  it('lists the missing chunks at complete (409), then queues once and repeats the same job', async () => {
    const id = await create();
    const chunks = chunksOf(4, 100);
    for (const i of [0, 2]) assert.equal((await api.putChunk(id, i, chunks[i] as Buffer)).status, 201);
    const missing = await api.call('POST', `/v1/uploads/${id}/complete`, { chunkCount: 4 });
    assert.equal(missing.status, 409);
    assert.deepEqual(missing.failure.details?.missingChunks, [1, 3]);
    assert.match(missing.failure.message, /missing 2 chunks: 1, 3/);
    for (const i of [1, 3]) assert.equal((await api.putChunk(id, i, chunks[i] as Buffer)).status, 201);

    const first = await api.call('POST', `/v1/uploads/${id}/complete`, { chunkCount: 4 });
    assert.equal(first.status, 202);
    assert.deepEqual(first.body, { jobId: `ferry-upload-${id}`, uploadId: id, status: 'queued' });
    // Where the time went (bench:uploads reports it): the manifest in the database, then the signal.
    assert.match(
      first.headers.get('server-timing') ?? '',
      /^db;dur=\d+\.\d, temporal;dur=\d+\.\d, total;dur=\d+\.\d$/,
    );
    const second = await api.call('POST', `/v1/uploads/${id}/complete`);
    assert.deepEqual(second.body, first.body);
    const job = await api.job(first.body.jobId);
    assert.deepEqual([job.kind, job.status], ['upload', 'queued']);

    assert.equal((await api.putChunk(id, 1, chunks[1] as Buffer)).status, 200, 'a repeat is still fine');
    assert.equal((await api.putChunk(id, 1, chunks[0] as Buffer)).status, 409, 'different content is not');
    assert.equal((await api.putChunk(id, 4, chunks[0] as Buffer)).status, 409, 'nor is a new chunk');
  });

  it('refuses to complete when the chunks do not add up to the declared size (409)', async () => {
    const id = await create({ size: 10 });
    assert.equal((await api.putChunk(id, 0, Buffer.alloc(5))).status, 201);
    const res = await api.call('POST', `/v1/uploads/${id}/complete`);
    assert.equal(res.status, 409);
    assert.match(res.failure.message, /received 5 bytes, the upload declared 10/);
  });

  it('requires the bearer token on every upload route', async () => {
    const id = await create();
    for (const [method, path] of [
      ['POST', '/v1/uploads'],
      ['GET', `/v1/uploads/${id}`],
      ['PUT', `/v1/uploads/${id}/chunks/0`],
      ['POST', `/v1/uploads/${id}/complete`],
      ['DELETE', `/v1/uploads/${id}`],
    ] as const) {
      const res = await fetch(api.url + path, { method, headers: { authorization: 'Bearer wrong' } });
      assert.equal(res.status, 401, `${method} ${path}`);
    }
  });
});
