import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestApi, type TestApi } from '../helpers/api-client';
import { createTestDeps, type TestDeps } from '../helpers/deps';
import { serverBody, terminateOpenWorkflows, type ServerAnswer } from '../helpers/servers';
import { sha256 } from '../helpers/uploads';

/**
 * The limits an API caller meets (docs/security.md, "Limits" and "Object
 * storage"), with the settings as an operator leaves them: only FERRY_BUCKET,
 * scan intervals of 30 s or more. The rate limit is set low here.
 */
describe('API limits: buckets, reserved keys, scan interval, chunk sizes, request rate', () => {
  let deps: TestDeps;
  let api: TestApi;
  const servers: string[] = [];

  before(async () => {
    deps = await createTestDeps({
      TEMPORAL_TASK_QUEUE: `no-worker-${randomUUID()}`,
      FERRY_ALLOWED_BUCKETS: '',
      SCAN_INTERVAL_MIN_SECONDS: '30',
    });
    api = await startTestApi(deps);
  });
  after(async () => {
    try {
      for (const id of servers) await api.call('DELETE', `/v1/servers/${id}`);
      await terminateOpenWorkflows(deps.temporal, deps.config.TEMPORAL_TASK_QUEUE);
    } finally {
      await api.close();
      await deps.close();
    }
  });

  async function createServer(overrides: Record<string, unknown> = {}) {
    const res = await api.call<ServerAnswer>('POST', '/v1/servers', { json: serverBody(overrides) });
    if (res.status === 201) servers.push(res.body.id);
    return res;
  }

  it('refuses a scan interval under SCAN_INTERVAL_MIN_SECONDS, on create and on PATCH', async () => {
    const fast = await createServer({ scanIntervalSeconds: 1 });
    assert.equal(fast.status, 400, fast.text);
    assert.match(fast.text, /scanIntervalSeconds must be at least 30/);
    const ok = await createServer({ scanIntervalSeconds: 30 });
    assert.equal(ok.status, 201, ok.text);
    const patched = await api.call('PATCH', `/v1/servers/${ok.body.id}`, {
      json: { scanIntervalSeconds: 29 },
    });
    assert.equal(patched.status, 400, patched.text);
  });

  it('keeps servers, exports and routes to the allowed buckets (FERRY_BUCKET alone by default)', async () => {
    const elsewhere = `other-${randomUUID().slice(0, 8)}`;
    const server = await createServer({ bucket: elsewhere });
    assert.equal(server.status, 400, server.text);
    assert.match(server.text, /FERRY_ALLOWED_BUCKETS/);
    const own = await createServer({ bucket: deps.config.FERRY_BUCKET });
    assert.equal(own.status, 201, own.text);
    const moved = await api.call('PATCH', `/v1/servers/${own.body.id}`, { json: { bucket: elsewhere } });
    assert.equal(moved.status, 400, moved.text);

    const exported = await api.call('POST', '/v1/exports', {
      json: {
        sources: { bucket: elsewhere, keys: ['x'] },
        archiveName: 'out.zip',
        target: { serverId: own.body.id, directory: 'out' },
      },
      headers: { 'idempotency-key': randomUUID() },
    });
    assert.equal(exported.status, 400, exported.text);
    assert.match(exported.text, /FERRY_ALLOWED_BUCKETS/);

    const route = await api.call('POST', '/v1/routes', {
      json: {
        name: `r-${randomUUID().slice(0, 8)}`,
        match: { eventTypes: ['s3:*'], bucket: elsewhere },
        action: { type: 'webhook', url: 'https://example.com/hook' },
      },
    });
    assert.equal(route.status, 400, route.text);
    assert.match(route.text, /FERRY_ALLOWED_BUCKETS/);
  });

  it('reserves the staging prefix: no upload key and no server key prefix under it', async () => {
    const prefix = deps.config.FERRY_STAGING_PREFIX;
    for (const key of [`${prefix}someone/00000.abc`, `${prefix}exports/x/out.zip`, `${prefix}./x`]) {
      const res = await api.call('POST', '/v1/uploads', { json: { filename: 'f', key } });
      assert.equal(res.status, 400, `${key}: ${res.text}`);
      assert.match(res.text, /reserves for staging/);
    }
    const server = await createServer({ keyPrefix: `${prefix}in/` });
    assert.equal(server.status, 400, server.text);
  });

  it('refuses chunks past the declared size, concurrent ones included', async () => {
    type Created = { uploadId: string };
    const created = await api.call<Created>('POST', '/v1/uploads', { json: { filename: 'f.bin', size: 10 } });
    assert.equal(created.status, 201, created.text);
    const id = created.body.uploadId;
    const put = async (index: number, data: Buffer) => {
      const res = await fetch(`${api.url}/v1/uploads/${id}/chunks/${index}`, {
        method: 'PUT',
        headers: {
          authorization: 'Bearer test-token',
          'content-type': 'application/octet-stream',
          'x-chunk-sha256': sha256(data),
        },
        body: data,
      });
      return { status: res.status, text: await res.text() };
    };
    // Each fits alone; together they would make 16 bytes of 10.
    const both = await Promise.all([put(0, Buffer.alloc(8, 1)), put(1, Buffer.alloc(8, 2))]);
    assert.deepEqual(both.map((r) => r.status).sort(), [201, 413], both.map((r) => r.text).join(' | '));
    const accepted = both.findIndex((r) => r.status === 201);
    const next = await put(accepted === 0 ? 1 : 0, Buffer.alloc(3, 3));
    assert.equal(next.status, 413, 'one byte too many');
    assert.equal((await put(accepted === 0 ? 1 : 0, Buffer.alloc(2, 3))).status, 201);
    const chunks = await deps.db.uploadChunk.aggregate({ where: { uploadId: id }, _sum: { size: true } });
    assert.equal(chunks._sum.size, 10n);
  });

  it('answers 429 with Retry-After once a token exceeds API_RATE_LIMIT_PER_MINUTE, other tokens unaffected', async () => {
    const limited = await createTestDeps({ API_RATE_LIMIT_PER_MINUTE: '3', API_TOKENS: 'token-a,token-b' });
    const limitedApi = await startTestApi(limited);
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) {
        statuses.push((await limitedApi.call('GET', '/v1/servers', { token: 'token-a' })).status);
      }
      assert.deepEqual(statuses, [200, 200, 200]);
      const res = await fetch(`${limitedApi.url}/v1/servers`, {
        headers: { authorization: 'Bearer token-a' },
      });
      assert.equal(res.status, 429);
      const retryAfter = Number(res.headers.get('retry-after'));
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${res.headers.get('retry-after')}`);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'rate_limited');
      assert.equal((await limitedApi.call('GET', '/v1/servers', { token: 'token-b' })).status, 200);
      // Unauthenticated probes are not counted against anyone, and readiness is not limited.
      assert.equal((await limitedApi.call('GET', '/v1/servers', { token: 'wrong' })).status, 401);
    } finally {
      await limitedApi.close();
      await limited.close();
    }
  });
});
