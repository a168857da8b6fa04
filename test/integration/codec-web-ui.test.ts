import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { withPage } from '../helpers/browser';
import { servicesEnv, TEST_TOKEN } from '../helpers/env';
import { useApiWithoutWorker } from '../helpers/suite';

/**
 * The Temporal Web UI decodes Ferry's encrypted payloads through /codec,
 * calling it from the browser, from its own origin, with the status page's
 * session cookie ("include cross-origin credentials" in its codec settings):
 * the same fetch, made here in Chromium from a page of the real Web UI.
 */
const key = `k1:${randomBytes(32).toString('base64')}`;

interface CodecAnswer {
  status: number;
  text: string;
}

/** A POST to /codec/decode from `page`'s origin, as the Web UI makes it. */
async function decodeFrom(
  page: Page,
  url: string,
  payloads: unknown,
  credentials: 'include' | 'omit',
): Promise<CodecAnswer | string> {
  // A string, not a function: the code runs in the page, and this project's TypeScript has no DOM types.
  const result: unknown = await page.evaluate(`(async () => {
    try {
      const res = await fetch(${JSON.stringify(url)}, {
        method: 'POST',
        credentials: ${JSON.stringify(credentials)},
        headers: { 'content-type': 'application/json', 'x-namespace': 'default' },
        body: ${JSON.stringify(JSON.stringify({ payloads }))},
      });
      return { status: res.status, text: await res.text() };
    } catch (err) {
      return String(err);
    }
  })()`);
  return result as CodecAnswer | string;
}

describe('the Temporal Web UI and the codec endpoint', () => {
  const uiOrigin = new URL(servicesEnv.TEMPORAL_UI_URL ?? 'http://127.0.0.1:8233').origin;
  const ctx = useApiWithoutWorker({ FERRY_PAYLOAD_KEYS: key, FERRY_CODEC_CORS_ORIGINS: uiOrigin });

  it('the Web UI that the start scripts run is pointed at Ferry’s /codec', async () => {
    const res = await fetch(`${uiOrigin}/api/v1/settings`);
    assert.equal(res.status, 200);
    const settings = (await res.json()) as { Codec?: { Endpoint?: string } };
    assert.match(settings.Codec?.Endpoint ?? '', /^http:\/\/127\.0\.0\.1:\d+\/codec$/);
  });

  it('decodes from the Web UI’s origin with the session cookie, and only with it', async () => {
    const secret = `ledger-${randomBytes(4).toString('hex')}.csv`;
    const encoded = await ctx.api.call<{ payloads: unknown[] }>('POST', '/codec/encode', {
      json: { payloads: [{ metadata: {}, data: Buffer.from(secret).toString('base64') }] },
    });
    assert.equal(encoded.status, 200, encoded.text);
    const decodeUrl = `${ctx.api.url}/codec/decode`;

    await withPage(async (page) => {
      await page.goto(`${uiOrigin}/namespaces/default/workflows`);
      const anonymous = await decodeFrom(page, decodeUrl, encoded.body.payloads, 'include');
      assert.equal(typeof anonymous === 'string' ? anonymous : anonymous.status, 401);

      await page.goto(`${ctx.api.url}/ui/login`);
      await page.fill('#token', TEST_TOKEN);
      await Promise.all([page.waitForURL(/\/ui$/), page.click('button[type=submit]')]);

      await page.goto(`${uiOrigin}/namespaces/default/workflows`);
      const withCookie = await decodeFrom(page, decodeUrl, encoded.body.payloads, 'include');
      assert.ok(typeof withCookie !== 'string', withCookie as string);
      assert.equal(withCookie.status, 200, withCookie.text);
      const { payloads } = JSON.parse(withCookie.text) as { payloads: { data: string }[] };
      assert.equal(Buffer.from(payloads[0]?.data ?? '', 'base64').toString(), secret);

      // The same call without credentials, as the UI makes it with the option off.
      const omitted = await decodeFrom(page, decodeUrl, encoded.body.payloads, 'omit');
      assert.equal(typeof omitted === 'string' ? omitted : omitted.status, 401);
    });
  });

  it('another local origin cannot read a decoded payload, even holding the cookie', async () => {
    await withPage(async (page) => {
      await page.goto(`${ctx.api.url}/ui/login`);
      await page.fill('#token', TEST_TOKEN);
      await Promise.all([page.waitForURL(/\/ui$/), page.click('button[type=submit]')]);
      // MinIO's health page: the same site (127.0.0.1, so the cookie goes along), another origin.
      await page.goto(`${servicesEnv.S3_ENDPOINT ?? 'http://127.0.0.1:9000'}/minio/health/live`);
      const answer = await decodeFrom(page, `${ctx.api.url}/codec/decode`, [], 'include');
      assert.equal(typeof answer, 'string', 'the browser refuses the answer (no CORS grant)');
      assert.match(answer as string, /TypeError|Failed to fetch/);
    });
  });
});
