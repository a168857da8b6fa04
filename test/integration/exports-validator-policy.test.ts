import assert from 'node:assert/strict';
import { promises as dns } from 'node:dns';
import { hostname } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { classifyAddress } from '../../src/lib/outbound';
import type { ErrorAnswer } from '../helpers/api-client';
import { exportDir, putObjects, remoteListing, settledExport } from '../helpers/exports';
import { useExportSuite } from '../helpers/exports-suite';
import { startValidator, type TestValidator } from '../helpers/validator';
import { withWorker } from '../helpers/worker';

/**
 * The validator is called through the outbound policy, as webhooks are
 * (README, "Security"): here nothing internal is allowed (no allowlist, no
 * private networks), so the test's own validator on loopback is out of reach.
 */
describe('exports: the validator call obeys the outbound policy', () => {
  const suite = useExportSuite('exports-validator-policy', {
    FERRY_OUTBOUND_ALLOWLIST: '',
    FERRY_ALLOW_PRIVATE_WEBHOOKS: 'false',
    LOG_LEVEL: 'error',
  });
  let validator: TestValidator;
  before(async () => {
    validator = await startValidator({});
  });
  after(async () => {
    await validator.close();
  });

  const body = (key: string, dir: string, extra: Record<string, unknown>) => ({
    sources: { bucket: suite.deps.config.FERRY_BUCKET, keys: [key] },
    archiveName: 'policy.zip',
    target: { serverId: suite.server.id, directory: dir },
    ...extra,
  });

  it('answers 400 to a validator or webhook URL whose literal address the policy refuses, starting nothing', async () => {
    const key = `${suite.prefix}literal.txt`;
    await putObjects(suite.deps.s3, suite.deps.config.FERRY_BUCKET, [{ key, body: 'x' }]);
    const refused: [string, Record<string, unknown>][] = [
      ['validator.url', { validator: { url: 'http://169.254.169.254/latest/meta-data' } }],
      ['validator.url', { validator: { url: 'http://[::ffff:127.0.0.1]:8080/check' } }],
      ['validator.url', { validator: { url: 'http://localhost:8080/check' } }],
      ['webhookUrl', { webhookUrl: 'http://10.0.0.8/hook' }],
    ];
    for (const [field, extra] of refused) {
      const res = await suite.api.call<ErrorAnswer>('POST', '/v1/exports', {
        json: body(key, exportDir().relative, extra),
      });
      assert.equal(res.status, 400, `${JSON.stringify(extra)}: ${res.text}`);
      assert.equal(res.body.error.details?.[0]?.path, field);
      assert.match(res.body.error.details?.[0]?.message ?? '', /refused/);
    }
    const batch = await suite.api.call<ErrorAnswer>('POST', '/v1/exports/batch', {
      json: { exports: [body(key, exportDir().relative, refused[0]?.[1] ?? {})], concurrency: 1 },
    });
    assert.equal(batch.status, 400, batch.text);
    assert.equal(await suite.deps.db.export.count({ where: { serverId: suite.server.id } }), 0);
  });

  it('fails an export for good, without calling, when the validator name resolves to a refused address', async (t) => {
    // The machine's own name: it resolves to loopback or a private address on any test machine.
    const name = hostname();
    const addresses = await dns.lookup(name, { all: true }).catch(() => []);
    if (addresses.length === 0 || addresses.some((a) => classifyAddress(a.address) === 'public')) {
      t.skip(`${name} does not resolve to internal addresses only here`);
      return;
    }
    const key = `${suite.prefix}named.txt`;
    await putObjects(suite.deps.s3, suite.deps.config.FERRY_BUCKET, [{ key, body: 'named' }]);
    const dir = exportDir();
    const url = `http://${name}:${new URL(validator.url).port}/check/secret-path?token=s3cr3t`;
    const res = await suite.api.call<{ exportId: string }>('POST', '/v1/exports', {
      json: body(key, dir.relative, { validator: { url } }),
    });
    assert.equal(res.status, 202, res.text);
    const done = await withWorker(suite.deps, suite.taskQueue, () =>
      settledExport(suite.api, res.body.exportId),
    );
    assert.equal(done.status, 'failed');
    assert.match(done.error ?? '', /refused/);
    assert.equal(done.errorType, 'OutboundRefused');
    assert.doesNotMatch(done.error ?? '', /s3cr3t|secret-path/, 'the URL is redacted');
    // Matched by the archive's digest: on a shared machine, another test's retries may reach a reused port.
    const ours = validator.requests.filter((r) => r.headerSha256 === done.archiveSha256);
    assert.equal(ours.length, 0, 'the validator was never called');
    assert.deepEqual(remoteListing(dir.local), [], 'nothing reached SFTP');
  });
});
