import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Server, Transfer } from '../../src/generated/prisma/client';
import { startTestApi, type TestApi } from '../helpers/api-client';
import { inkShare, withPage } from '../helpers/browser';
import { withDbHook } from '../helpers/deps';
import { TEST_TOKEN } from '../helpers/env';
import {
  createTestServer,
  createTransferRow,
  startTransfer,
  writeRandomFile,
} from '../helpers/ingest-fixtures';
import { useTransferDeps } from '../helpers/suite';
import { withWorker } from '../helpers/worker';
import { taskQueueFor } from '../helpers/workflows';
import { MiB } from '../../src/lib/units';

/** A POST of the login form, as a browser sends it; redirects are left to the test. */
function logIn(api: TestApi, token: string): Promise<Response> {
  return fetch(`${api.url}/ui/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
    redirect: 'manual',
  });
}

function sessionOf(res: Response): string {
  const cookie = res.headers.get('set-cookie') ?? '';
  return cookie.split(';')[0] ?? '';
}

describe('status page', () => {
  const deps = useTransferDeps({ TRANSFER_PART_MIB: '5' });
  let api: TestApi;
  const servers: Server[] = [];
  before(async () => {
    api = await startTestApi(deps);
  });
  after(async () => {
    await deps.db.server.deleteMany({ where: { id: { in: servers.map((s) => s.id) } } });
    await api.close();
  });

  it('sends a browser without a session to the login form, and / to the page', async () => {
    const root = await fetch(`${api.url}/`, { redirect: 'manual' });
    assert.equal(root.headers.get('location'), '/ui');
    for (const cookie of [undefined, 'ferry_session=1', `ferry_session=99999999999999.${'A'.repeat(43)}`]) {
      const page = await fetch(`${api.url}/ui`, { redirect: 'manual', headers: cookie ? { cookie } : {} });
      assert.equal(page.status, 303, cookie);
      assert.equal(page.headers.get('location'), '/ui/login');
    }
    const form = await fetch(`${api.url}/ui/login`);
    assert.equal(form.status, 200);
    assert.match(await form.text(), /<form method="post" action="\/ui\/login">/);
  });

  it('refuses a wrong token; a right one gets a session cookie that is not the token', async () => {
    const wrong = await logIn(api, 'not-the-token');
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('set-cookie'), null);
    assert.match(await wrong.text(), /not valid/);

    const right = await logIn(api, TEST_TOKEN);
    assert.equal(right.status, 303);
    assert.equal(right.headers.get('location'), '/ui');
    const cookie = right.headers.get('set-cookie') ?? '';
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    // Path=/ so that the Web UI's calls to /codec carry it too; the API's routes still want the token.
    assert.match(cookie, /Path=\/(;|$)/);
    assert.ok(!cookie.includes(TEST_TOKEN), 'the browser never holds the token itself');
    const withCookieOnly = await fetch(`${api.url}/v1/servers`, { headers: { cookie: sessionOf(right) } });
    assert.equal(withCookieOnly.status, 401);

    const page = await fetch(`${api.url}/ui`, { headers: { cookie: sessionOf(right) } });
    assert.equal(page.status, 200);
    const text = await page.text();
    for (const table of ['Servers', 'Running transfers', 'Uploads and jobs in flight', 'Recent failures']) {
      assert.ok(text.includes(`<h2>${table}</h2>`), table);
    }

    const out = await fetch(`${api.url}/ui/logout`, {
      method: 'POST',
      headers: { cookie: sessionOf(right) },
      redirect: 'manual',
    });
    assert.equal(out.headers.get('location'), '/ui/login');
    assert.match(out.headers.get('set-cookie') ?? '', /ferry_session=;/);
  });

  it('escapes file names and errors, which come from remote servers', async () => {
    const server = await createTestServer(deps, { name: `<b>srv</b>-${randomUUID().slice(0, 8)}` });
    servers.push(server);
    const hostile = '<script>alert(1)</script>.bin';
    const row = (status: 'running' | 'failed', error: string | null) =>
      deps.db.transfer.create({
        data: {
          serverId: server.id,
          remotePath: `${server.remoteDir}/${hostile}`,
          size: 10n,
          mtimeMs: BigInt(Date.now()) + BigInt(status.length),
          workflowId: `status-page-test-${randomUUID()}`,
          bucket: server.bucket,
          objectKey: `status/${randomUUID()}`,
          status,
          error,
          startedAt: new Date(),
        },
      });
    await row('running', null);
    await row('failed', '<img src=x onerror="alert(2)">');
    const session = sessionOf(await logIn(api, TEST_TOKEN));
    const text = await (await fetch(`${api.url}/ui`, { headers: { cookie: session } })).text();
    assert.ok(!text.includes('<script>alert(1)'), 'no markup from a file name');
    assert.ok(!text.includes('<img src=x'), 'no markup from an error');
    assert.ok(!text.includes('<b>srv</b>'), 'no markup from a server name');
    assert.ok(text.includes('&lt;script&gt;alert(1)&lt;/script&gt;.bin'));
    assert.ok(text.includes('&lt;img src=x onerror=&quot;alert(2)&quot;&gt;'));
  });

  it('shows a running transfer with its progress in Chromium, after logging in through the form', async (t) => {
    const server = await createTestServer(deps);
    servers.push(server);
    writeRandomFile(server, 'shown-running.bin', 12 * MiB + 5);
    const row: Transfer = await createTransferRow(deps, server, 'shown-running.bin');
    const taskQueue = taskQueueFor(t.name);
    // The transfer is held running where it records its verified object (every byte
    // is uploaded by then), until the page has been looked at.
    let release = (): void => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const held = withDbHook(deps, (model, method, args) =>
      model === 'transfer' && method === 'update' && hasSha256(args) ? released : undefined,
    );
    await withWorker(held, taskQueue, async () => {
      const handle = await startTransfer(deps, row, taskQueue);
      try {
        await withPage(async (page) => {
          await page.goto(`${api.url}/ui`);
          assert.match(page.url(), /\/ui\/login$/);
          await page.fill('#token', TEST_TOKEN);
          await Promise.all([page.waitForURL(/\/ui$/), page.click('button[type=submit]')]);
          const transfer = page.locator(`tr.transfer[data-transfer-id="${row.id}"]`);
          // The page reloads itself every few seconds: the row appears once the activity has started.
          await transfer.waitFor({ state: 'visible', timeout: 120_000 });
          assert.match(await transfer.innerText(), /shown-running\.bin/);
          assert.match(await transfer.locator('.progress-text').innerText(), /MiB \/ 12\.0 MiB/);
          const shot = await page.screenshot({ fullPage: true });
          assert.ok((await inkShare(page, shot)) > 0.01, 'the screenshot is not blank');
        });
      } finally {
        release();
      }
      assert.equal((await handle.result()).status, 'completed');
    });
  });
});

function hasSha256(args: unknown): boolean {
  return typeof (args as { data?: { sha256?: unknown } } | undefined)?.data?.sha256 === 'string';
}
