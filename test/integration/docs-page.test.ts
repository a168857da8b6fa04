import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allOperations } from '../../src/api/openapi/operations';
import { inkShare, withPage } from '../helpers/browser';
import { useApi } from '../helpers/suite';
import { TEST_TOKEN } from '../helpers/env';

/** /docs in a real headless Chromium: Swagger UI from swagger-ui-dist, fed by /openapi.json. */
describe('GET /docs', () => {
  const { api } = useApi();

  it('serves the page and the document without a token, and no CDN', async () => {
    const page = await fetch(`${api.url}/docs`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.doesNotMatch(html, /https?:\/\//, 'the page loads nothing from another host');
    assert.equal((await fetch(`${api.url}/openapi.json`)).status, 200);
    assert.equal((await fetch(`${api.url}/docs/swagger-ui-bundle.js`)).status, 200);
    // The package's demo page is not served.
    assert.equal((await fetch(`${api.url}/docs/index.html`)).status, 404);
  });

  it('lists every operation, and "Try it out" with a token gets GET /v1/servers answered', async () => {
    await withPage(async (page) => {
      const external: string[] = [];
      page.on('request', (request) => {
        if (!request.url().startsWith(api.url) && !request.url().startsWith('data:'))
          external.push(request.url());
      });
      await page.goto(`${api.url}/docs`, { waitUntil: 'domcontentloaded', timeout: 120_000 });
      page.setDefaultTimeout(60_000);
      await page.locator('.opblock').first().waitFor({ timeout: 60_000 });
      assert.equal(await page.locator('.opblock').count(), allOperations.length);

      await page.locator('button.authorize').first().click();
      await page
        .locator('.modal-ux input[type=text], .modal-ux input[type=password]')
        .first()
        .fill(TEST_TOKEN);
      await page.locator('.modal-ux button.authorize').click();
      await page.locator('.modal-ux button.btn-done').click();

      const operation = page.locator('#operations-servers-getV1Servers');
      await operation.locator('.opblock-summary').click();
      await operation.locator('button.try-out__btn').click();
      await operation.locator('button.execute').click();
      const status = operation.locator('.live-responses-table .response .response-col_status').first();
      await status.waitFor({ timeout: 60_000 });
      assert.equal((await status.innerText()).trim(), '200');
      assert.match(
        await operation.locator('.live-responses-table .microlight').first().innerText(),
        /"servers"/,
      );
      assert.deepEqual(external, []);
    });
  });

  it('is not blank (screenshot)', async () => {
    await withPage(async (page) => {
      await page.goto(`${api.url}/docs`, { waitUntil: 'domcontentloaded', timeout: 120_000 });
      page.setDefaultTimeout(60_000);
      await page.locator('.opblock').first().waitFor({ timeout: 60_000 });
      const share = await inkShare(page, await page.screenshot({ fullPage: false }));
      assert.ok(share > 0.05, `only ${(share * 100).toFixed(1)}% of the page is drawn`);
    });
  });
});
