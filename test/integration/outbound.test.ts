import assert from 'node:assert/strict';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { DEFAULT_POLICY, OutboundError, outboundFetch, parseAllowlist } from '../../src/lib/outbound';
import { callWebhook, sendWebhook, WebhookError } from '../../src/lib/webhook';
import { Failure } from '../../src/workflows/contract';
import { useApiWithoutWorker } from '../helpers/suite';
import { serverBody } from '../helpers/servers';
import { startWebhookReceiver } from '../helpers/webhook-receiver';

/** A loopback HTTP server answering with `handler`, counting the requests it got. */
async function startServer(handler: RequestListener) {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hits: () => hits,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const loopbackAllowed = { allowPrivate: false, ...parseAllowlist('127.0.0.1') };
const event = { event: 'test.event' };

describe('outbound calls: the policy is applied when a URL is called', () => {
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  before(async () => (receiver = await startWebhookReceiver()));
  after(() => receiver.close());

  it('refuses a webhook to 127.0.0.1 by default, without contacting it', async () => {
    await assert.rejects(
      sendWebhook(receiver.url, undefined, event, { policy: DEFAULT_POLICY }),
      (err: unknown) =>
        err instanceof WebhookError && err.refused && !err.retryable && /loopback/.test(err.message),
    );
    await assert.rejects(
      callWebhook(receiver.url, undefined, event, { policy: DEFAULT_POLICY }),
      (err: unknown) =>
        err instanceof ApplicationFailure && err.type === Failure.OutboundRefused && err.nonRetryable,
    );
    assert.equal(receiver.received.length, 0);
  });

  it('refuses a name that resolves to loopback when it is called', async () => {
    const url = receiver.url.replace('127.0.0.1', 'localhost');
    await assert.rejects(
      outboundFetch(url, {}, DEFAULT_POLICY),
      (err: unknown) =>
        err instanceof OutboundError && err.kind === 'refused' && /localhost resolves to/.test(err.message),
    );
    assert.equal(receiver.received.length, 0);
  });

  it('delivers to loopback when the operator allows private addresses or lists the address', async () => {
    await sendWebhook(
      receiver.url,
      undefined,
      { event: 'one' },
      { policy: { ...DEFAULT_POLICY, allowPrivate: true } },
    );
    await sendWebhook(receiver.url, undefined, { event: 'two' }, { policy: loopbackAllowed });
    const named = { allowPrivate: false, ...parseAllowlist('localhost') };
    await sendWebhook(
      receiver.url.replace('127.0.0.1', 'localhost'),
      undefined,
      { event: 'three' },
      { policy: named },
    );
    assert.deepEqual(
      receiver.received.map((r) => r.json.event),
      ['one', 'two', 'three'],
    );
  });

  it('does not follow a redirect, even to an allowed address', async () => {
    const target = await startServer((_req, res) => res.writeHead(204).end());
    const redirecting = await startServer((_req, res) =>
      res.writeHead(307, { location: `http://127.0.0.1:${target.port}/elsewhere` }).end(),
    );
    try {
      const answer = await outboundFetch(`http://127.0.0.1:${redirecting.port}/`, {}, loopbackAllowed);
      assert.equal(answer.status, 307);
      await assert.rejects(
        callWebhook(`http://127.0.0.1:${redirecting.port}/hook`, undefined, event, {
          policy: loopbackAllowed,
        }),
        (err: unknown) =>
          err instanceof ApplicationFailure &&
          err.type === Failure.WebhookRejected &&
          /redirects are not followed/.test(err.message),
      );
      assert.equal(redirecting.hits(), 2);
      assert.equal(target.hits(), 0);
    } finally {
      await Promise.all([target.close(), redirecting.close()]);
    }
  });

  it('caps the time and the size of an answer', async () => {
    const silent = await startServer(() => undefined);
    const chatty = await startServer((_req, res) => res.writeHead(200).end(Buffer.alloc(256 * 1024)));
    try {
      await assert.rejects(
        outboundFetch(`http://127.0.0.1:${silent.port}/`, { timeoutMs: 200 }, loopbackAllowed),
        (err: unknown) => err instanceof OutboundError && err.kind === 'timeout' && err.retryable,
      );
      await assert.rejects(
        outboundFetch(`http://127.0.0.1:${chatty.port}/`, { maxResponseBytes: 1024 }, loopbackAllowed),
        (err: unknown) => err instanceof OutboundError && err.kind === 'too_large',
      );
      const whole = await outboundFetch(`http://127.0.0.1:${chatty.port}/`, {}, loopbackAllowed);
      assert.equal(whole.body.length, 256 * 1024);
    } finally {
      await Promise.all([silent.close(), chatty.close()]);
    }
  });

  it('keeps the tokens of a URL out of its errors', async () => {
    const closed = await startServer(() => undefined);
    const port = closed.port;
    await closed.close();
    const secretUrl = (host: string) =>
      `http://hook-user:pw-SECRET@${host}:${port}/path-SECRET/x?token=tok-SECRET`;
    for (const [url, policy] of [
      [secretUrl('127.0.0.1'), loopbackAllowed],
      [secretUrl('127.0.0.1'), DEFAULT_POLICY],
      [secretUrl('[::1'), DEFAULT_POLICY],
    ] as const) {
      await assert.rejects(sendWebhook(url, undefined, event, { policy }), (err: unknown) => {
        assert.ok(err instanceof WebhookError, String(err));
        assert.ok(!/SECRET|hook-user/.test(err.message), err.message);
        return true;
      });
    }
  });
});

describe('outbound URLs: registration refuses literal internal addresses (400)', () => {
  const { deps, api } = useApiWithoutWorker({ FERRY_OUTBOUND_ALLOWLIST: '' });

  for (const url of [
    'http://2130706433/hook',
    'http://0x7f.1/hook',
    'http://[::1]/hook',
    'http://169.254.169.254/',
  ]) {
    it(`servers and uploads refuse ${url}`, async () => {
      const server = await api.call('POST', '/v1/servers', { json: serverBody({ webhookUrl: url }) });
      assert.equal(server.status, 400, server.text);
      assert.equal(server.body.error.details?.[0]?.path, 'webhookUrl');
      const upload = await api.call('POST', '/v1/uploads', { json: { filename: 'a.csv', webhookUrl: url } });
      assert.equal(upload.status, 400, upload.text);
      assert.equal(upload.body.error.details?.[0]?.path, 'webhookUrl');
    });
  }

  it('refuses it on PATCH too, leaving the server as it was', async () => {
    const created = await api.call<{ id: string }>('POST', '/v1/servers', {
      json: serverBody({ webhookUrl: 'https://hooks.example.com/ferry' }),
    });
    assert.equal(created.status, 201, created.text);
    const patched = await api.call('PATCH', `/v1/servers/${created.body.id}`, {
      json: { webhookUrl: 'http://[::ffff:127.0.0.1]:9000/' },
    });
    assert.equal(patched.status, 400, patched.text);
    const row = await deps.db.server.findUniqueOrThrow({ where: { id: created.body.id } });
    assert.equal(row.webhookUrl, 'https://hooks.example.com/ferry');
    assert.equal((await api.call('DELETE', `/v1/servers/${created.body.id}`)).status, 204);
  });
});
