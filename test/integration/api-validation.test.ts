import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startTestApi, type ApiAnswer, type ErrorAnswer, type TestApi } from '../helpers/api-client';
import { createTestDeps, type TestDeps } from '../helpers/deps';
import { sftpAccount } from '../helpers/env';
import { registerServer, serverBody, terminateOpenWorkflows } from '../helpers/servers';

type Body = Record<string, unknown>;
/** The test account's public key: parses as a key, but no login can be made with it. */
const publicKey = readFileSync(`${sftpAccount().privateKeyFile}.pub`, 'utf8');
const without =
  (...keys: string[]) =>
  (b: Body): Body =>
    Object.fromEntries(Object.entries(b).filter(([k]) => !keys.includes(k)));
const withFields =
  (fields: Body) =>
  (b: Body): Body => ({ ...b, ...fields });

/** [what, how the valid body is spoiled, the field the answer must name]. */
const badServerBodies: [string, (b: Body) => Body, string][] = [
  ['missing name', without('name'), 'name'],
  ['missing host', without('host'), 'host'],
  ['missing fingerprint', without('hostKeyFingerprint'), 'hostKeyFingerprint'],
  ['missing bucket', without('bucket'), 'bucket'],
  ['neither password nor key', without('privateKey'), 'password'],
  ['port as a string', withFields({ port: '22' }), 'port'],
  ['port out of range', withFields({ port: 70_000 }), 'port'],
  ['huge port', withFields({ port: 1e300 }), 'port'],
  ['fractional minimum age', withFields({ minAgeSeconds: 1.5 }), 'minAgeSeconds'],
  ['huge minimum age', withFields({ minAgeSeconds: 2 ** 70 }), 'minAgeSeconds'],
  ['negative minimum age', withFields({ minAgeSeconds: -1 }), 'minAgeSeconds'],
  ['zero scan interval', withFields({ scanIntervalSeconds: 0 }), 'scanIntervalSeconds'],
  ['recursive as a string', withFields({ recursive: 'yes' }), 'recursive'],
  ['include not a list', withFields({ include: '*.csv' }), 'include'],
  ['include with a number', withFields({ include: [1] }), 'include.0'],
  ['fingerprint in MD5 form', withFields({ hostKeyFingerprint: 'MD5:aa:bb:cc' }), 'hostKeyFingerprint'],
  ['fingerprint too short', withFields({ hostKeyFingerprint: 'SHA256:abc' }), 'hostKeyFingerprint'],
  ['private key that is not one', withFields({ privateKey: 'not a key' }), 'privateKey'],
  ['public key as the private key', withFields({ privateKey: publicKey }), 'privateKey'],
  ['uppercase bucket', withFields({ bucket: 'Ferry_Test' }), 'bucket'],
  ['bucket like an IP address', withFields({ bucket: '192.168.1.10' }), 'bucket'],
  ['two-letter bucket', withFields({ bucket: 'ab' }), 'bucket'],
  ['bucket with adjacent dots', withFields({ bucket: 'a..b' }), 'bucket'],
  ['key prefix escaping upwards', withFields({ keyPrefix: '../../etc' }), 'keyPrefix'],
  ['key prefix climbing inside', withFields({ keyPrefix: 'a/../../b' }), 'keyPrefix'],
  ['absolute key prefix', withFields({ keyPrefix: '/etc' }), 'keyPrefix'],
  ['key prefix with a newline', withFields({ keyPrefix: 'a\nb' }), 'keyPrefix'],
  ['remote dir escaping upwards', withFields({ remoteDir: '../../etc' }), 'remoteDir'],
  ['absolute remote dir with ..', withFields({ remoteDir: '/srv/../../etc' }), 'remoteDir'],
  ['remote dir with a NUL', withFields({ remoteDir: 'in\u0000' }), 'remoteDir'],
  ['move without archive dir', withFields({ afterTransfer: 'move' }), 'archiveDir'],
  ['archive dir with ..', withFields({ afterTransfer: 'move', archiveDir: 'done/../..' }), 'archiveDir'],
  ['unknown after-transfer action', withFields({ afterTransfer: 'shred' }), 'afterTransfer'],
  ['unknown small-files lane', withFields({ smallFiles: 'bulk' }), 'smallFiles'],
  ['webhook over ftp', withFields({ webhookUrl: 'ftp://example.com/hook' }), 'webhookUrl'],
  ['very long name', withFields({ name: 'n'.repeat(5000) }), 'name'],
  ['NUL in the name', withFields({ name: 'a\u0000b' }), 'name'],
  ['NUL in the host', withFields({ host: 'sftp\u0000.example' }), 'host'],
  ['NUL in the user name', withFields({ username: 'u\u0000' }), 'username'],
  ['NUL in the webhook URL', withFields({ webhookUrl: 'https://example.com/\u0000' }), 'webhookUrl'],
  ['NUL in a glob', withFields({ exclude: ['*.tmp\u0000'] }), 'exclude.0'],
  ['unknown field', withFields({ minAge: 5 }), ''],
];

describe('request validation: bad input gets 4xx with the error shape, never 5xx', () => {
  let deps: TestDeps;
  let api: TestApi;
  let serverId: string;
  before(async () => {
    deps = await createTestDeps({ TEMPORAL_TASK_QUEUE: `no-worker-${randomUUID()}` });
    api = await startTestApi(deps);
    serverId = (await registerServer(api)).id;
  });
  after(async () => {
    try {
      await api.call('DELETE', `/v1/servers/${serverId}`);
      await terminateOpenWorkflows(deps.temporal, deps.config.TEMPORAL_TASK_QUEUE);
    } finally {
      await api.close();
      await deps.close();
    }
  });

  function assertRefused(res: ApiAnswer<ErrorAnswer>, what: string, status = 400): void {
    assert.equal(res.status, status, `${what}: ${res.text}`);
    assert.equal(typeof res.body.error.code, 'string', what);
    assert.equal(typeof res.body.error.message, 'string', what);
  }

  it('refuses malformed server bodies on create and on PATCH, naming the field', async () => {
    for (const [what, spoil, field] of badServerBodies) {
      const created = await api.call('POST', '/v1/servers', { json: spoil(serverBody()) });
      assertRefused(created, `POST ${what}`);
      assert.ok(
        created.body.error.details?.some((d) => d.path === field || (field === '' && d.message)),
        `POST ${what} names "${field}": ${created.text}`,
      );
      const patch = spoil({});
      if (Object.keys(patch).length === 0) continue;
      const patched = await api.call('PATCH', `/v1/servers/${serverId}`, { json: patch });
      assertRefused(patched, `PATCH ${what}`);
    }
    assert.equal(await deps.db.server.count({ where: { name: { startsWith: 'n'.repeat(200) } } }), 0);
  });

  it('refuses bodies that are not JSON objects, and oversized ones', async () => {
    const raws = ['{"name":', 'null', '[]', '"server"', '42', '{"a":1}{"b":2}'];
    for (const raw of raws) {
      assertRefused(await api.call('POST', '/v1/servers', { raw }), `POST ${JSON.stringify(raw)}`);
      assertRefused(
        await api.call('PATCH', `/v1/servers/${serverId}`, { raw }),
        `PATCH ${JSON.stringify(raw)}`,
      );
    }
    // An empty body is an empty PATCH (nothing changes), but not a server.
    assertRefused(await api.call('POST', '/v1/servers', { raw: '' }), 'POST with an empty body');
    const huge = await api.call('POST', '/v1/servers', {
      json: serverBody({ password: 'x'.repeat(100_000) }),
    });
    assertRefused(huge, 'oversized body', 413);
    const noType = await fetch(`${api.url}/v1/servers`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-token', 'content-type': 'text/plain' },
      body: JSON.stringify(serverBody()),
    });
    assert.equal(noType.status, 400);
  });

  it('answers 404 for IDs that are not UUIDs or name nothing', async () => {
    const ids = ['abc', '1', '00000000-0000-0000-0000-00000000000g', '%00', '..%2F..%2Fetc', randomUUID()];
    for (const id of ids) {
      for (const [method, path] of [
        ['GET', `/v1/servers/${id}`],
        ['PATCH', `/v1/servers/${id}`],
        ['DELETE', `/v1/servers/${id}`],
        ['POST', `/v1/servers/${id}/scan`],
        ['GET', `/v1/transfers/${id}`],
        ['POST', `/v1/transfers/${id}/retry`],
        ['DELETE', `/v1/transfers/${id}`],
      ] as const) {
        const res = await api.call(method, path, method === 'PATCH' ? { json: { port: 22 } } : {});
        assertRefused(res, `${method} ${path}`, 404);
        assert.equal(res.body.error.code, 'not_found');
      }
    }
  });

  it('refuses bad transfer list queries', async () => {
    const queries = [
      'limit=abc',
      'limit=0',
      'limit=100000',
      'limit=1e400',
      'limit=-1',
      'limit=1&limit=2',
      'status=stuck',
      'serverId=not-a-uuid',
      'cursor=garbage',
      `cursor=${Buffer.from('["x","y"]').toString('base64url')}`,
      `cursor=${'a'.repeat(500)}`,
    ];
    for (const q of queries) assertRefused(await api.call('GET', `/v1/transfers?${q}`), q);
    assert.equal(
      (await api.call('GET', `/v1/transfers?serverId=${serverId}&status=failed&limit=5`)).status,
      200,
    );
  });

  // Shrunk cases of test/integration/api-fuzz.test.ts (docs/api.md): PostgreSQL refused the text, the API answered 500.
  it('refuses text the database cannot store: a NUL or an unpaired surrogate (found by the fuzzer)', async () => {
    const bodies = [
      { id: '\ud800', type: 'sftp.file.uploaded', source: 'partner-a', data: { serverId: randomUUID() } },
      { type: 'x.y', data: { a: 'a\u0000b' } },
      { type: 'x.y', data: { 'k\u0000': 1 } },
      { type: 'x.y', subject: 'a\udfffb', data: {} },
    ];
    for (const json of bodies) {
      const res = await api.call('POST', '/v1/events', { json });
      assertRefused(res, `POST /v1/events ${JSON.stringify(json)}`);
      assert.match(res.body.error.message, /cannot be stored/);
    }
  });
});
