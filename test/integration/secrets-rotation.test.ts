import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { sftpTargetOf } from '../../src/activities/sftp/connection';
import { resealSecrets } from '../../src/lib/secret-rotation';
import { sealedIn } from '../../src/lib/sealed-fields';
import { decryptSecret, encryptSecret, parseKeyring } from '../../src/lib/secrets';
import { createTestServer } from '../helpers/ingest-fixtures';
import { startProcess } from '../helpers/processes';
import { repoRoot, servicesEnv } from '../helpers/env';
import { useTransferDeps } from '../helpers/suite';

/** A secret as Ferry sealed it before key IDs and bindings: "v1:" + base64(iv | tag | ciphertext). */
function sealV1(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return 'v1:' + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

describe('secret rotation (npm run secrets:rotate)', () => {
  const deps = useTransferDeps();
  const created: string[] = [];
  after(() => deps.db.server.deleteMany({ where: { id: { in: created } } }));
  // The tests' own key stays first, so rows of other test files are left readable.
  const testKey = () => deps.config.secretKey.keys.get('default') ?? assert.fail('test key');
  const oldKey = randomBytes(32);
  const ring = () =>
    parseKeyring(`default:${testKey().toString('base64')},old:${oldKey.toString('base64')}`, undefined);

  it('re-seals old-format secrets and those of an older key, bound to their row, and leaves them readable', async () => {
    const server = await createTestServer(deps);
    created.push(server.id);
    const oldRing = parseKeyring(`old:${oldKey.toString('base64')}`, undefined);
    await deps.db.server.update({
      where: { id: server.id },
      data: {
        passwordEnc: sealV1(testKey(), 'pw-from-v1'),
        webhookSecretEnc: encryptSecret(
          oldRing,
          'hook-old',
          sealedIn('Server', server.id, 'webhookSecretEnc'),
        ),
      },
    });
    const report = await resealSecrets(deps.db, ring());
    assert.ok(report.resealed >= 2, JSON.stringify(report));
    assert.deepEqual(report.failed, []);
    const row = await deps.db.server.findUniqueOrThrow({ where: { id: server.id } });
    for (const sealed of [row.passwordEnc, row.privateKeyEnc, row.webhookSecretEnc]) {
      assert.match(sealed ?? '', /^v2:default:/);
    }
    assert.equal(sftpTargetOf(row, deps.config.secretKey).password, 'pw-from-v1');
    const hook = decryptSecret(
      deps.config.secretKey,
      row.webhookSecretEnc ?? '',
      sealedIn('Server', row.id, 'webhookSecretEnc'),
    );
    assert.equal(hook, 'hook-old');
    const again = await resealSecrets(deps.db, ring());
    assert.equal(again.resealed, 0, 'a second run has nothing left to do');
  });

  it('reports a secret no key opens and leaves it as it is', async () => {
    const server = await createTestServer(deps);
    created.push(server.id);
    const lost = parseKeyring(`lost:${randomBytes(32).toString('base64')}`, undefined);
    const sealed = encryptSecret(lost, 'unreachable', sealedIn('Server', server.id, 'passwordEnc'));
    await deps.db.server.update({ where: { id: server.id }, data: { passwordEnc: sealed } });
    const report = await resealSecrets(deps.db, ring());
    assert.deepEqual(
      report.failed.map((f) => [f.id, f.field]),
      [[server.id, 'passwordEnc']],
    );
    assert.match(report.failed[0]?.reason ?? '', /key "lost"/);
    const row = await deps.db.server.findUniqueOrThrow({ where: { id: server.id } });
    assert.equal(row.passwordEnc, sealed);
    await deps.db.server.delete({ where: { id: server.id } });
  });

  it('runs as a command that needs only the database and the keys', async () => {
    const server = await createTestServer(deps);
    created.push(server.id);
    await deps.db.server.update({
      where: { id: server.id },
      data: { passwordEnc: sealV1(testKey(), 'pw-by-command') },
    });
    const proc = startProcess(
      process.execPath,
      ['--import', 'tsx', path.join(repoRoot, 'scripts/rotate-secrets.ts')],
      {
        PATH: process.env.PATH,
        DATABASE_URL: servicesEnv.TEST_DATABASE_URL ?? deps.config.DATABASE_URL,
        FERRY_SECRET_KEY: testKey().toString('base64'),
      },
    );
    assert.equal(await proc.exited, 0, proc.output());
    const report = JSON.parse(proc.output().trim().split('\n').at(-1) ?? '{}') as {
      key: string;
      resealed: number;
    };
    assert.equal(report.key, 'default');
    assert.ok(report.resealed >= 1, proc.output());
    const row = await deps.db.server.findUniqueOrThrow({ where: { id: server.id } });
    assert.match(row.passwordEnc ?? '', /^v2:default:/);
    assert.equal(sftpTargetOf(row, deps.config.secretKey).password, 'pw-by-command');
  });
});
