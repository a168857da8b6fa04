import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { createApp } from '../../src/api/app';
import { healthRoutes, READYZ_CACHE_MS } from '../../src/api/health/routes';
import { createTestDeps, type TestDeps } from '../helpers/deps';
import { TEST_TOKEN } from '../helpers/env';
import { startPrivateMinio } from '../helpers/private-minio';
import { waitFor } from '../helpers/wait';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';

type Minio = Awaited<ReturnType<typeof startPrivateMinio>>;

async function serve(deps: TestDeps) {
  const server = createApp(deps).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, close: () => new Promise((resolve) => server.close(resolve)) };
}

async function readyz(base: string) {
  const res = await fetch(`${base}/readyz`);
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as { checks: Record<string, { ok: boolean }> } };
}

describe('health and readiness', () => {
  let minio: Minio;
  let deps: TestDeps;
  before(async () => {
    minio = await startPrivateMinio();
    deps = await createTestDeps({ S3_ENDPOINT: minio.endpoint });
  });
  after(async () => {
    await deps.close();
    await minio.destroy();
  });

  it('reports every dependency by name and answers 200 when all are reachable', async () => {
    const api = await serve(deps);
    try {
      assert.equal((await fetch(`${api.base}/healthz`)).status, 200);
      // The first round opens the connections, which may take longer than a check may on a busy machine.
      const { body } = await waitFor('readyz to answer 200', async () => {
        const answer = await readyz(api.base);
        return answer.status === 200 && answer;
      });
      assert.deepEqual(Object.keys(body.checks).sort(), ['database', 'objectStorage', 'temporal']);
    } finally {
      await api.close();
    }
  });

  it('answers 503 naming the database when PostgreSQL is unreachable', async () => {
    const broken = await createTestDeps({
      S3_ENDPOINT: minio.endpoint,
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/ferry_test',
    });
    const api = await serve(broken);
    try {
      const { status, body, text } = await readyz(api.base);
      assert.equal(status, 503);
      assert.equal(body.checks.database?.ok, false);
      assert.equal(body.checks.objectStorage?.ok, true);
      // Named, without the internals an unauthenticated caller must not learn.
      assert.deepEqual(body.checks.database, { ok: false });
      for (const secret of ['127.0.0.1', 'postgres', 'ECONNREFUSED', ':1']) {
        assert.ok(!text.includes(secret), `readyz leaks "${secret}": ${text}`);
      }
    } finally {
      await api.close();
      await broken.close();
    }
  });

  it('answers 503 naming object storage while MinIO is stopped, and the worker keeps running', async (t) => {
    const api = await serve(deps);
    const taskQueue = taskQueueFor(t.name);
    try {
      await withWorker(deps, taskQueue, async () => {
        await minio.stop();
        const down = await readyz(api.base);
        assert.equal(down.status, 503);
        assert.equal(down.body.checks.objectStorage?.ok, false);
        assert.equal(down.body.checks.database?.ok, true);
        await minio.restart();
        // The same worker still serves workflows once storage is back.
        const result: unknown = await deps.temporal.workflow.execute('healthCheck', {
          taskQueue,
          workflowId: `${taskQueue}-after-restart`,
        });
        assert.deepEqual(result, { database: 'ok', objectStorage: 'ok' });
        // The answer is cached for a moment: wait for the next round of checks.
        await waitFor('readyz to answer 200', async () => (await readyz(api.base)).status === 200);
      });
    } finally {
      await api.close();
    }
  });

  it('reuses one round of checks for READYZ_CACHE_MS, then checks again', async () => {
    let clock = 0;
    let probes = 0;
    const countingDb = new Proxy(deps.db, {
      get(target, prop, receiver) {
        if (prop === '$queryRaw') probes++;
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const app = express().use(
      healthRoutes({ ...deps, db: countingDb, bucket: deps.config.FERRY_BUCKET, now: () => clock }),
    );
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await Promise.all([readyz(base), readyz(base), readyz(base)]);
      assert.equal((await readyz(base)).status, 200);
      assert.equal(probes, 1, 'one round of checks served four requests');
      clock += READYZ_CACHE_MS;
      assert.equal((await readyz(base)).status, 200);
      assert.equal(probes, 2, 'an answer older than the cache time is not reused');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('requires a bearer token on /v1 and answers unknown routes with the error shape', async () => {
    const api = await serve(deps);
    try {
      const anonymous = await fetch(`${api.base}/v1/nothing-here`);
      assert.equal(anonymous.status, 401);
      assert.deepEqual(Object.keys(((await anonymous.json()) as { error: object }).error).sort(), [
        'code',
        'message',
      ]);
      const wrong = await fetch(`${api.base}/v1/nothing-here`, { headers: { authorization: 'Bearer nope' } });
      assert.equal(wrong.status, 401);
      const known = await fetch(`${api.base}/v1/nothing-here`, {
        headers: { authorization: `Bearer ${TEST_TOKEN}` },
      });
      assert.equal(known.status, 404);
      assert.equal(((await known.json()) as { error: { code: string } }).error.code, 'not_found');
    } finally {
      await api.close();
    }
  });
});
