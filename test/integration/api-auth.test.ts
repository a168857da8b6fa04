import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { useApi } from '../helpers/suite';
import { TEST_TOKEN } from '../helpers/env';

const id = randomUUID();
/** Every route of the servers and transfers API, plus paths that name nothing. */
const routes: [string, string][] = [
  ['GET', '/v1/servers'],
  ['POST', '/v1/servers'],
  ['GET', `/v1/servers/${id}`],
  ['PATCH', `/v1/servers/${id}`],
  ['DELETE', `/v1/servers/${id}`],
  ['POST', `/v1/servers/${id}/scan`],
  ['GET', '/v1/transfers'],
  ['GET', `/v1/transfers/${id}`],
  ['POST', `/v1/transfers/${id}/retry`],
  ['DELETE', `/v1/transfers/${id}`],
  ['GET', '/v1/no-such-route'],
  ['GET', '/v1/servers/not-a-uuid'],
];

describe('bearer tokens on /v1', () => {
  const { api } = useApi();

  it('answers 401 with the error shape on every route without a token or with a wrong one', async () => {
    const attempts: { name: string; headers: Record<string, string> }[] = [
      { name: 'no token', headers: {} },
      { name: 'wrong token', headers: { authorization: 'Bearer not-the-token' } },
      { name: 'token prefix', headers: { authorization: `Bearer ${TEST_TOKEN.slice(0, -1)}` } },
      { name: 'token plus suffix', headers: { authorization: `Bearer ${TEST_TOKEN}x` } },
      { name: 'empty bearer', headers: { authorization: 'Bearer ' } },
      {
        name: 'basic auth',
        headers: { authorization: `Basic ${Buffer.from(`u:${TEST_TOKEN}`).toString('base64')}` },
      },
      { name: 'token without scheme', headers: { authorization: TEST_TOKEN } },
    ];
    for (const [method, path] of routes) {
      for (const attempt of attempts) {
        const res = await fetch(api.url + path, {
          method,
          headers: { ...attempt.headers, 'content-type': 'application/json' },
          ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{}' }),
        });
        assert.equal(res.status, 401, `${method} ${path} with ${attempt.name}`);
        const body = (await res.json()) as { error: { code: string; message: string } };
        assert.equal(body.error.code, 'unauthorized');
        assert.equal(typeof body.error.message, 'string');
      }
    }
  });

  it('lets the right token through (404 for unknown IDs, never 401 or 5xx)', async () => {
    for (const [method, path] of routes) {
      const res = await api.call(method, path, method === 'GET' || method === 'DELETE' ? {} : { json: {} });
      assert.notEqual(res.status, 401, `${method} ${path}`);
      assert.ok(res.status < 500, `${method} ${path} answered ${res.status}: ${res.text}`);
    }
    assert.equal((await api.call('GET', '/v1/servers')).status, 200);
    assert.equal((await api.call('GET', `/v1/servers/${id}`)).status, 404);
  });
});
