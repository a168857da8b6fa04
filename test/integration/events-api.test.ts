import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestApi, type TestApi } from '../helpers/api-client';
import { createTestDeps, type TestDeps } from '../helpers/deps';
import {
  createRoute,
  deleteRoutes,
  postEvents,
  s3Record,
  settledEvent,
  type EventAnswer,
  type RouteAnswer,
} from '../helpers/events';
import { writeRemoteFile } from '../helpers/sftp';
import { cleanupServer, registerServer, terminateOpenWorkflows } from '../helpers/servers';
import { startWebhookReceiver } from '../helpers/webhook-receiver';
import { waitFor } from '../helpers/wait';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';

const EVENT_TOKEN = 'minio-event-token-1';

/** Issue 13: POST /v1/events, routes and the handleEvent workflow, against the real services. */
describe('events and routes through the API', () => {
  const taskQueue = taskQueueFor('events api');
  let deps: TestDeps;
  let api: TestApi;
  const routes: RouteAnswer[] = [];
  const servers: string[] = [];
  const tag = randomUUID().slice(0, 8);
  const bucket = `ev-${tag}`;

  before(async () => {
    deps = await createTestDeps({
      TEMPORAL_TASK_QUEUE: taskQueue,
      FERRY_EVENT_TOKENS: `minio:${EVENT_TOKEN}`,
      EVENTS_MAX_BODY_KIB: '8',
    });
    api = await startTestApi(deps);
  });
  after(async () => {
    try {
      await deleteRoutes(api, routes);
      for (const id of servers) await cleanupServer(api, deps, id, taskQueue);
      await terminateOpenWorkflows(deps.temporal, taskQueue);
    } finally {
      await api.close();
      await deps.close();
    }
  });

  async function route(body: Record<string, unknown>): Promise<RouteAnswer> {
    const created = await createRoute(api, body);
    routes.push(created);
    return created;
  }

  it('refuses bodies it cannot read with a 4xx in the error shape', async () => {
    const cases: [string, { raw?: string; json?: unknown; token?: string | null }, number][] = [
      ['malformed JSON', { raw: '{"Records": [' }, 400],
      ['a JSON array', { json: [1, 2] }, 400],
      ['an unknown shape', { json: { hello: 'world' } }, 400],
      ['no records', { json: { Records: [] } }, 400],
      [
        'a record without a key',
        { json: { Records: [{ eventName: 's3:ObjectCreated:Put', s3: { bucket: { name: 'b' } } }] } },
        400,
      ],
      ['a generic event with a bad type', { json: { type: 'a b', data: {} } }, 400],
      ['a body over EVENTS_MAX_BODY_KIB', { json: { type: 'x.y', data: { pad: 'x'.repeat(9000) } } }, 413],
      ['no token', { json: { type: 'x.y' }, token: null }, 401],
      ['a wrong token', { json: { type: 'x.y' }, token: 'nope-nope-nope' }, 401],
    ];
    for (const [what, options, status] of cases) {
      const res = await api.call('POST', '/v1/events', options);
      assert.equal(res.status, status, `${what}: ${res.text}`);
      assert.equal(typeof res.body.error.code, 'string', what);
      assert.equal(typeof res.body.error.message, 'string', what);
    }
  });

  it('lets an event source token post events and nothing else', async () => {
    const ids = await postEvents(api, { type: `test.token.${tag}`, id: `tok-${tag}` }, EVENT_TOKEN);
    assert.equal(ids.length, 1);
    const row = await deps.db.event.findUniqueOrThrow({ where: { id: ids[0] } });
    assert.equal(row.source, 'minio');
    assert.equal((await api.call('GET', '/v1/events', { token: EVENT_TOKEN })).status, 401);
    assert.equal((await api.call('GET', '/v1/routes', { token: EVENT_TOKEN })).status, 401);
  });

  it('unwraps S3 notifications sent through Amazon SNS and records subscription confirmations', async () => {
    const topicArn = `arn:aws:sns:eu-west-1:123456789012:ferry-${tag}`;
    const basic = `Basic ${Buffer.from(`sns:${EVENT_TOKEN}`).toString('base64')}`;
    const sns = async (body: Record<string, unknown>, authorization = basic) => {
      const res = await fetch(`${api.url}/v1/events`, {
        method: 'POST',
        // As SNS sends it: text/plain, the event token as the password of the subscription URL.
        headers: { authorization, 'content-type': 'text/plain; charset=UTF-8' },
        body: JSON.stringify({ MessageId: randomUUID(), TopicArn: topicArn, ...body }),
      });
      return {
        status: res.status,
        headers: res.headers,
        body: (await res.json()) as Record<string, unknown>,
      };
    };

    const refused = await sns({ Type: 'Notification', Message: '{}' }, 'Basic bm9ib2R5Om5vcGU=');
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate') ?? '', /Basic/);

    const subscribeUrl = `https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=t-${tag}`;
    const confirm = await sns({
      Type: 'SubscriptionConfirmation',
      Message: 'You have chosen to subscribe to the topic',
      Token: `t-${tag}`,
      SubscribeURL: subscribeUrl,
    });
    assert.equal(confirm.status, 200);
    const [confirmationId] = confirm.body.eventIds as string[];
    const recorded = await api.call<EventAnswer & { payload: { SubscribeURL: string } }>(
      'GET',
      `/v1/events/${confirmationId}`,
    );
    assert.equal(recorded.body.type, 'sns:SubscriptionConfirmation');
    assert.equal(recorded.body.status, 'unmatched');
    assert.equal(recorded.body.payload.SubscribeURL, subscribeUrl);
    assert.equal(recorded.body.source, 'minio', 'the token’s source');

    const key = 'sns/a b+c.csv';
    const message = { Records: [{ ...s3Record(bucket, key), eventName: 'ObjectCreated:Put' }] };
    const notified = await sns({ Type: 'Notification', Message: JSON.stringify(message) });
    assert.equal(notified.status, 202);
    const [eventId] = notified.body.eventIds as string[];
    const event = await api.call<EventAnswer>('GET', `/v1/events/${eventId}`);
    assert.equal(event.body.key, key);
    assert.equal(event.body.type, 's3:ObjectCreated:Put');

    const test = await sns({ Type: 'Notification', Message: JSON.stringify({ Event: 's3:TestEvent' }) });
    assert.deepEqual([test.status, test.body.eventIds], [202, []]);
    for (const bad of [
      { Type: 'Notification', Message: 'not json' },
      { Type: 'Notification', Message: JSON.stringify({ hello: 'world' }) },
      { Type: 'SomethingElse', Message: '{}' },
    ]) {
      assert.equal((await sns(bad)).status, 400, JSON.stringify(bad));
    }
  });

  it('decodes keys as MinIO escapes them and refuses keys that leave what routes allow', async () => {
    await withWorker(deps, taskQueue, async () => {
      const odd = 'in/a b+c%d ü.txt';
      const ids = await postEvents(api, {
        Records: [
          s3Record(bucket, odd),
          s3Record(bucket, 'in/%2e%2e/secret', { encode: false }),
          s3Record(bucket, 'in%2F..%2Fetc%2Fpasswd', { encode: false }),
          s3Record(bucket, 'in/%zz', { encode: false }),
        ],
      });
      assert.equal(ids.length, 4);
      const [plain, dots, escaped, broken] = await Promise.all(ids.map((id) => settledEvent(api, id)));
      assert.equal(plain?.key, odd);
      assert.equal(plain?.status, 'unmatched', 'no route watches this bucket');
      for (const refused of [dots, escaped, broken]) {
        assert.equal(refused?.status, 'unmatched');
        assert.match(refused?.error ?? '', /\.\.|URL-encoding/);
        assert.deepEqual(refused?.routes, []);
      }
    });
  });

  it('handles a notification delivered three times once', async () => {
    const hooks = await startWebhookReceiver();
    try {
      const r = await route({
        name: `forward-${tag}`,
        match: { eventTypes: ['s3:ObjectCreated:*'], bucket, keyPrefix: 'once/' },
        action: { type: 'webhook', url: hooks.url, secret: 'route-secret' },
      });
      const notification = {
        EventName: 's3:ObjectCreated:Put',
        Records: [s3Record(bucket, 'once/file 1.csv')],
      };
      await withWorker(deps, taskQueue, async () => {
        const [first] = await postEvents(api, notification);
        const again = await Promise.all([postEvents(api, notification), postEvents(api, notification)]);
        assert.deepEqual(again, [[first], [first]]);
        const event = await settledEvent(api, first as string);
        assert.equal(event.status, 'completed');
        assert.equal(event.routes.length, 1);
        assert.equal(event.routes[0]?.routeId, r.id);
        assert.equal(event.routes[0]?.status, 'completed');
        assert.match(event.routes[0]?.jobId ?? '', /^ferry-event-.*-route-/);
        assert.deepEqual(await postEvents(api, notification), [first]);
      });
      assert.equal(hooks.received.length, 1);
      assert.equal(hooks.received[0]?.json.key, 'once/file 1.csv');
      assert.match(String(hooks.received[0]?.headers['x-ferry-signature']), /^sha256=[0-9a-f]{64}$/);
      assert.equal(await deps.db.event.count({ where: { bucket, objectKey: 'once/file 1.csv' } }), 1);
    } finally {
      await hooks.close();
    }
  });

  it('runs every matching route: one failing leaves the other completed, and the event shows both', async () => {
    const good = await startWebhookReceiver();
    const refusing = await startWebhookReceiver(400);
    try {
      const ok = await route({
        name: `both-ok-${tag}`,
        match: { eventTypes: ['s3:ObjectCreated:Put'], bucket, keySuffix: '.csv' },
        action: { type: 'webhook', url: good.url },
      });
      const bad = await route({
        name: `both-bad-${tag}`,
        match: { eventTypes: ['s3:*'], bucket, keyGlob: 'two/**/*.csv' },
        action: { type: 'webhook', url: refusing.url },
      });
      const event = await withWorker(deps, taskQueue, async () => {
        const [id] = await postEvents(api, { Records: [s3Record(bucket, 'two/x/report.csv')] });
        return await settledEvent(api, id as string);
      });
      assert.equal(event.status, 'failed');
      const byRoute = new Map(event.routes.map((a) => [a.routeId, a]));
      assert.equal(byRoute.get(ok.id)?.status, 'completed');
      assert.equal(byRoute.get(bad.id)?.status, 'failed');
      assert.match(byRoute.get(bad.id)?.error ?? '', /400/);
      assert.equal(good.received.length, 1);
      assert.equal(refusing.received.length, 1, 'a refusal is not retried');
      const job = await api.call<{ kind: string; status: string; resourceId: string }>(
        'GET',
        `/v1/jobs/${event.workflowId}`,
      );
      assert.equal(job.status, 200, job.text);
      assert.deepEqual([job.body.kind, job.body.status, job.body.resourceId], ['event', 'failed', event.id]);
    } finally {
      await Promise.all([good.close(), refusing.close()]);
    }
  });

  it('starts a scan of the server a generic sftp.file.uploaded event names, which transfers the new file', async () => {
    const server = await registerServer(api, { minAgeSeconds: 0 });
    servers.push(server.id);
    await route({
      name: `scan-${tag}`,
      match: { eventTypes: ['sftp.file.uploaded'], serverId: server.id },
      action: { type: 'scan' },
    });
    writeRemoteFile(`${server.remoteDir}/new file.csv`, 'a,b\n1,2\n');
    await withWorker(deps, taskQueue, async () => {
      const [id] = await postEvents(api, {
        id: `upload-${tag}`,
        type: 'sftp.file.uploaded',
        source: 'sftpgo',
        subject: 'new file.csv',
        data: { serverId: server.id, path: 'new file.csv' },
      });
      const event = await settledEvent(api, id as string);
      assert.equal(event.status, 'completed', JSON.stringify(event.routes));
      assert.equal(event.routes[0]?.jobId, server.scanWorkflowId);
      assert.equal(event.routes[0]?.result?.started, 1);
      await waitFor('the new file to be transferred', async () => {
        const t = await deps.db.transfer.findFirst({
          where: { serverId: server.id, remotePath: { endsWith: 'new file.csv' } },
        });
        return t?.status === 'completed';
      });
    });
  });

  it('lists events by status and type, a page at a time', async () => {
    const type = `test.list.${tag}`;
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(...(await postEvents(api, { id: `l${i}-${tag}`, type, data: {} })));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/v1/events?type=${type}&status=received&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await api.call<{ events: EventAnswer[]; nextCursor: string | null }>('GET', q);
      assert.equal(res.status, 200, res.text);
      seen.push(...res.body.events.map((e) => e.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, [...ids].reverse());
    assert.equal((await api.call('GET', '/v1/events?status=bogus')).status, 400);
    assert.equal((await api.call('GET', '/v1/events/not-a-uuid')).status, 404);
  });

  it('validates routes', async () => {
    const bad: Record<string, unknown>[] = [
      { name: 'x', match: { eventTypes: [] }, action: { type: 'webhook', url: 'http://example.com' } },
      { name: 'x', match: { eventTypes: ['a'], keyGlob: 'x'.repeat(300) }, action: { type: 'scan' } },
      { name: 'x', match: { eventTypes: ['a'], keyGlob: '*'.repeat(20) }, action: { type: 'scan' } },
      { name: 'x', match: { eventTypes: ['a'], bucket: 'Bad_Bucket' }, action: { type: 'scan' } },
      { name: 'x', match: { eventTypes: ['a'] }, action: { type: 'webhook', url: 'ftp://x' } },
      { name: 'x', match: { eventTypes: ['a'] }, action: { type: 'scan', serverId: randomUUID() } },
      { name: 'x', match: { eventTypes: ['a'] }, action: { type: 'teleport' } },
      { name: 'x', match: { eventTypes: ['a'], extra: 1 }, action: { type: 'scan' } },
    ];
    for (const body of bad) {
      const res = await api.call('POST', '/v1/routes', { json: body });
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
    }
    const r = await route({
      name: `crud-${tag}`,
      match: { eventTypes: ['x.y'] },
      action: { type: 'webhook', url: 'https://example.com/hook', secret: 's3cret' },
    });
    assert.equal(r.action.hasSecret, true);
    assert.equal('secret' in r.action, false);
    const patched = await api.call<RouteAnswer>('PATCH', `/v1/routes/${r.id}`, { json: { enabled: false } });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(
      (
        await api.call('POST', '/v1/routes', {
          json: { ...bad[0], name: `crud-${tag}`, match: { eventTypes: ['a'] } },
        })
      ).status,
      409,
    );
    assert.equal((await api.call('GET', `/v1/routes/${r.id}`)).status, 200);
    assert.equal((await api.call('DELETE', `/v1/routes/${r.id}`)).status, 204);
    assert.equal((await api.call('GET', `/v1/routes/${r.id}`)).status, 404);
  });
});
