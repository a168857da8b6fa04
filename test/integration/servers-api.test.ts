import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Client, ScheduleNotFoundError } from '@temporalio/client';
import { sealedIn, type SealedField } from '../../src/lib/sealed-fields';
import { decryptSecret } from '../../src/lib/secrets';
import { workflowIds } from '../../src/workflows/contract';
import { startTestApi } from '../helpers/api-client';
import { useApiWithoutWorker } from '../helpers/suite';
import { sftpAccount } from '../helpers/env';
import { serverBody, type ServerAnswer } from '../helpers/servers';

describe('servers API: rows, secrets and Temporal Schedules', () => {
  // Scans requested here go to a queue no worker polls: this file is about the API and the schedules.
  const { deps, api } = useApiWithoutWorker();
  const password = 'pw-Zq8#only-in-the-request';
  const webhookSecret = 'hook-secret-9f2c-only-in-the-request';
  const privateKey = readFileSync(sftpAccount().privateKeyFile, 'utf8');

  /** No answer may carry a secret, in any encoding the row holds. */
  function assertNoSecrets(text: string): void {
    for (const secret of [password, webhookSecret, privateKey.split('\n')[1] ?? privateKey, 'v1:', 'v2:']) {
      assert.ok(!text.includes(secret), `answer leaks a secret: ${text.slice(0, 200)}`);
    }
  }

  it('stores secrets encrypted and answers with has-flags only, on every route', async () => {
    const body = serverBody({
      password,
      webhookUrl: 'https://hooks.example/ferry',
      webhookSecret,
      privateKey,
    });
    const created = await api.call<ServerAnswer>('POST', '/v1/servers', { json: body });
    assert.equal(created.status, 201, created.text);
    const id = created.body.id;
    try {
      assert.equal(created.body.hasPassword, true);
      assert.equal(created.body.hasPrivateKey, true);
      assert.equal(created.body.hasWebhookSecret, true);
      assert.equal(created.body.hostKeyFingerprint, sftpAccount().hostFingerprint);
      const answers = [
        created,
        await api.call('GET', `/v1/servers/${id}`),
        await api.call('GET', '/v1/servers'),
        await api.call('PATCH', `/v1/servers/${id}`, { json: { password: `${password}-2` } }),
        await api.call('POST', `/v1/servers/${id}/scan`, { json: {} }),
      ];
      for (const answer of answers) assertNoSecrets(answer.text);

      const row = await deps.db.server.findUniqueOrThrow({ where: { id } });
      assert.match(row.passwordEnc ?? '', /^v2:default:/);
      const open = (sealed: string | null, field: SealedField<'Server'>) =>
        decryptSecret(deps.config.secretKey, sealed ?? '', sealedIn('Server', id, field));
      assert.equal(open(row.passwordEnc, 'passwordEnc'), `${password}-2`);
      assert.equal(open(row.privateKeyEnc, 'privateKeyEnc'), privateKey);
      assert.equal(open(row.webhookSecretEnc, 'webhookSecretEnc'), webhookSecret);

      const cleared = await api.call<ServerAnswer>('PATCH', `/v1/servers/${id}`, {
        json: { password: null, webhookSecret: null },
      });
      assert.equal(cleared.status, 200, cleared.text);
      assert.equal(cleared.body.hasPassword, false);
      assert.equal(cleared.body.hasWebhookSecret, false);
      const noAuthLeft = await api.call('PATCH', `/v1/servers/${id}`, { json: { privateKey: null } });
      assert.equal(noAuthLeft.status, 400, 'a server keeps a password or a key');
    } finally {
      // The scan requested above runs on a queue nobody polls in this file.
      await deps.temporal.workflow.getHandle(workflowIds.scan(id)).terminate('test cleanup');
      assert.equal((await api.call('DELETE', `/v1/servers/${id}`)).status, 204);
    }
  });

  it('creates the schedule with the server, rewrites it on PATCH and deletes it with the server', async () => {
    const created = await api.call<ServerAnswer>('POST', '/v1/servers', {
      json: serverBody({ scanIntervalSeconds: 45 }),
    });
    assert.equal(created.status, 201, created.text);
    const id = created.body.id;
    assert.equal(created.body.scheduleId, workflowIds.scanSchedule(id));
    const schedule = deps.temporal.schedule.getHandle(workflowIds.scanSchedule(id));

    const initial = await schedule.describe();
    assert.deepEqual(
      initial.spec.intervals?.map((i) => i.every),
      [45_000],
    );
    assert.equal(initial.action.type, 'startWorkflow');
    assert.equal(initial.action.workflowType, 'scanServer');
    assert.equal(initial.action.workflowId, workflowIds.scan(id));
    assert.equal(initial.action.taskQueue, deps.config.TEMPORAL_TASK_QUEUE);
    assert.deepEqual(initial.action.args, [{ serverId: id }]);
    assert.equal(initial.policies.overlap, 'SKIP');
    assert.equal(initial.state.paused, false);
    assert.equal(created.body.smallFiles, 'workflow', 'the per-file lane is the default');

    const patched = await api.call<ServerAnswer>('PATCH', `/v1/servers/${id}`, {
      json: {
        scanIntervalSeconds: 7,
        enabled: false,
        name: `${created.body.name}-renamed`,
        smallFiles: 'batch',
      },
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.enabled, false);
    assert.equal(patched.body.smallFiles, 'batch');
    assert.equal((await api.call<ServerAnswer>('GET', `/v1/servers/${id}`)).body.smallFiles, 'batch');
    const updated = await schedule.describe();
    assert.deepEqual(
      updated.spec.intervals?.map((i) => i.every),
      [7_000],
    );
    assert.equal(updated.state.paused, true);
    const scanDisabled = await api.call('POST', `/v1/servers/${id}/scan`);
    assert.equal(scanDisabled.status, 409);

    await api.call('PATCH', `/v1/servers/${id}`, { json: { enabled: true } });
    assert.equal((await schedule.describe()).state.paused, false);

    assert.equal((await api.call('DELETE', `/v1/servers/${id}`)).status, 204);
    await assert.rejects(schedule.describe(), ScheduleNotFoundError);
    assert.equal((await api.call('GET', `/v1/servers/${id}`)).status, 404);
    assert.equal((await api.call('DELETE', `/v1/servers/${id}`)).status, 404);
  });

  it('recreates a schedule deleted behind its back when the server is next changed', async () => {
    const created = await api.call<ServerAnswer>('POST', '/v1/servers', { json: serverBody() });
    const id = created.body.id;
    await deps.temporal.schedule.getHandle(workflowIds.scanSchedule(id)).delete();
    const patched = await api.call('PATCH', `/v1/servers/${id}`, { json: { scanIntervalSeconds: 30 } });
    assert.equal(patched.status, 200, patched.text);
    const schedule = await deps.temporal.schedule.getHandle(workflowIds.scanSchedule(id)).describe();
    assert.deepEqual(
      schedule.spec.intervals?.map((i) => i.every),
      [30_000],
    );
    assert.equal((await api.call('DELETE', `/v1/servers/${id}`)).status, 204);
  });

  it('answers 409 for a duplicate name, on create and on rename, and lists servers by name', async () => {
    const a = await api.call<ServerAnswer>('POST', '/v1/servers', { json: serverBody() });
    const b = await api.call<ServerAnswer>('POST', '/v1/servers', { json: serverBody() });
    try {
      const again = await api.call('POST', '/v1/servers', { json: serverBody({ name: a.body.name }) });
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, 'conflict');
      const rename = await api.call('PATCH', `/v1/servers/${b.body.id}`, { json: { name: a.body.name } });
      assert.equal(rename.status, 409);
      assert.equal((await api.call<ServerAnswer>('GET', `/v1/servers/${b.body.id}`)).body.name, b.body.name);

      const list = await api.call<{ servers: ServerAnswer[] }>('GET', '/v1/servers');
      const names = list.body.servers.map((s) => s.name);
      assert.deepEqual(names, [...names].sort());
      assert.ok(names.includes(a.body.name) && names.includes(b.body.name));
    } finally {
      await api.call('DELETE', `/v1/servers/${a.body.id}`);
      await api.call('DELETE', `/v1/servers/${b.body.id}`);
    }
  });

  it('refuses to point stored credentials at another host, port, user or host key without new ones', async () => {
    const created = await api.call<ServerAnswer>('POST', '/v1/servers', { json: serverBody({ password }) });
    assert.equal(created.status, 201, created.text);
    const id = created.body.id;
    try {
      const otherFingerprint = `SHA256:${Buffer.alloc(32, 1).toString('base64').replace(/=+$/, '')}`;
      for (const change of [
        { host: 'collector.attacker.example' },
        { port: created.body.port + 1 },
        { username: 'someone-else' },
        { hostKeyFingerprint: otherFingerprint },
        { host: 'collector.attacker.example', password: null },
      ]) {
        const refused = await api.call('PATCH', `/v1/servers/${id}`, { json: change });
        assert.equal(refused.status, 400, `${JSON.stringify(change)}: ${refused.text}`);
        assert.match(refused.text, /requires the credentials again/);
      }
      const row = await deps.db.server.findUniqueOrThrow({ where: { id } });
      assert.equal(row.host, created.body.host, 'nothing was changed');
      assert.equal(row.port, created.body.port);

      // The same values are no change; other fields need no credentials.
      const same = await api.call('PATCH', `/v1/servers/${id}`, {
        json: { host: created.body.host, port: created.body.port, minAgeSeconds: 5 },
      });
      assert.equal(same.status, 200, same.text);

      // With a credential, the move is allowed; the stored one the request left out is cleared.
      const moved = await api.call<ServerAnswer>('PATCH', `/v1/servers/${id}`, {
        json: { host: 'sftp.new.example', password: `${password}-new` },
      });
      assert.equal(moved.status, 200, moved.text);
      assert.equal(moved.body.host, 'sftp.new.example');
      assert.equal(moved.body.hasPassword, true);
      assert.equal(moved.body.hasPrivateKey, false, 'the old private key does not follow the server');
    } finally {
      await api.call('DELETE', `/v1/servers/${id}`);
    }
  });

  it('checks the rules of concurrent PATCHes against each other: the last credential cannot be removed twice', async () => {
    const created = await api.call<ServerAnswer>('POST', '/v1/servers', { json: serverBody({ password }) });
    const id = created.body.id;
    try {
      // Each PATCH alone is valid (the other credential remains); both together would leave none.
      for (let round = 0; round < 5; round++) {
        const answers = await Promise.all([
          api.call('PATCH', `/v1/servers/${id}`, { json: { password: null } }),
          api.call('PATCH', `/v1/servers/${id}`, { json: { privateKey: null } }),
        ]);
        const statuses = answers.map((a) => a.status).sort();
        assert.deepEqual(statuses, [200, 400], `round ${round}: ${answers.map((a) => a.text).join(' | ')}`);
        const row = await deps.db.server.findUniqueOrThrow({ where: { id } });
        assert.ok(row.passwordEnc !== null || row.privateKeyEnc !== null, 'a credential is left');
        const restored = await api.call('PATCH', `/v1/servers/${id}`, { json: { password, privateKey } });
        assert.equal(restored.status, 200, restored.text);
      }
    } finally {
      await api.call('DELETE', `/v1/servers/${id}`);
    }
  });

  it('answers 503 and leaves the row as it was when Temporal refuses the schedule change', async () => {
    const existing = await api.call<ServerAnswer>('POST', '/v1/servers', { json: serverBody() });
    // A namespace that does not exist makes every schedule call fail at once.
    const temporal = new Client({
      connection: deps.temporal.connection,
      namespace: `missing-${randomUUID()}`,
    });
    const broken = await startTestApi({ ...deps, temporal });
    try {
      const body = serverBody();
      const created = await broken.call('POST', '/v1/servers', { json: body });
      assert.equal(created.status, 503, created.text);
      assert.equal(created.body.error.code, 'unavailable');
      assert.match(created.body.error.message, /scan schedule/);
      assert.equal(
        await deps.db.server.count({ where: { name: body.name } }),
        0,
        'no row without its schedule',
      );

      const patched = await broken.call('PATCH', `/v1/servers/${existing.body.id}`, {
        json: { scanIntervalSeconds: 99 },
      });
      assert.equal(patched.status, 503, patched.text);
      const row = await deps.db.server.findUniqueOrThrow({ where: { id: existing.body.id } });
      assert.equal(row.scanIntervalSeconds, existing.body.scanIntervalSeconds, 'the PATCH was rolled back');

      assert.equal((await broken.call('DELETE', `/v1/servers/${existing.body.id}`)).status, 503);
      assert.equal((await api.call('GET', `/v1/servers/${existing.body.id}`)).status, 200);
    } finally {
      await broken.close();
      await api.call('DELETE', `/v1/servers/${existing.body.id}`);
    }
  });

  it('refuses to delete a server while one of its transfers runs', async () => {
    const created = await api.call<ServerAnswer>('POST', '/v1/servers', { json: serverBody() });
    const id = created.body.id;
    const row = await deps.db.transfer.create({
      data: {
        serverId: id,
        remotePath: 'x',
        size: 1n,
        mtimeMs: 1n,
        workflowId: `test-running-${id}`,
        status: 'running',
        bucket: 'ferry-test',
        objectKey: 'x',
      },
    });
    const refused = await api.call('DELETE', `/v1/servers/${id}`);
    assert.equal(refused.status, 409);
    assert.match(refused.body.error.message, /1 transfer\(s\) running/);
    await deps.db.transfer.update({ where: { id: row.id }, data: { status: 'failed' } });
    assert.equal((await api.call('DELETE', `/v1/servers/${id}`)).status, 204);
    assert.equal(await deps.db.transfer.count({ where: { serverId: id } }), 0);
  });
});
