import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config';
import {
  decryptSecret,
  encryptSecret,
  needsResealing,
  parseKeyring,
  SecretError,
  type SecretBinding,
} from '../../src/lib/secrets';

const b64 = (key: Buffer) => key.toString('base64');
const keyA = randomBytes(32);
const keyB = randomBytes(32);
const ring = parseKeyring(`a:${b64(keyA)}`, undefined);
const here: SecretBinding = {
  table: 'Server',
  id: '0b6a5c1e-0000-4000-8000-000000000001',
  field: 'passwordEnc',
};

/** A secret as Ferry sealed it before key IDs and bindings: "v1:" + base64(iv | tag | ciphertext). */
function sealV1(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return 'v1:' + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

describe('secrets at rest', () => {
  it('round-trips a secret, names its key and never stores the plaintext', () => {
    const sealed = encryptSecret(ring, 'hunter2 ünïcode', here);
    assert.match(sealed, /^v2:a:/);
    assert.ok(!sealed.includes('hunter2'));
    assert.equal(decryptSecret(ring, sealed, here), 'hunter2 ünïcode');
  });

  it('binds a ciphertext to its row and field: copied elsewhere it does not open', () => {
    const sealed = encryptSecret(ring, 'secret', here);
    assert.throws(
      () => decryptSecret(ring, sealed, { ...here, id: '0b6a5c1e-0000-4000-8000-000000000002' }),
      SecretError,
    );
    assert.throws(() => decryptSecret(ring, sealed, { ...here, field: 'webhookSecretEnc' }), SecretError);
    assert.throws(() => decryptSecret(ring, sealed, { ...here, table: 'Export' }), SecretError);
  });

  it('refuses a tampered ciphertext, a truncated tag, a relabelled key and an unknown key', () => {
    const sealed = encryptSecret(ring, 'secret', here);
    const raw = Buffer.from(sealed.slice('v2:a:'.length), 'base64');
    const flipped = Buffer.from(raw);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 1;
    assert.throws(() => decryptSecret(ring, 'v2:a:' + flipped.toString('base64'), here), SecretError);
    // The same bytes with a 12-byte tag: GCM would accept a shorter tag unless its length is fixed.
    const short = Buffer.concat([raw.subarray(0, 24), raw.subarray(28)]);
    assert.throws(() => decryptSecret(ring, 'v2:a:' + short.toString('base64'), here), SecretError);
    const both = parseKeyring(`a:${b64(keyA)},b:${b64(keyA)}`, undefined);
    assert.throws(() => decryptSecret(both, sealed.replace('v2:a:', 'v2:b:'), here), SecretError);
    assert.throws(() => decryptSecret(parseKeyring(`b:${b64(keyB)}`, undefined), sealed, here), /key "a"/);
  });

  it('opens secrets sealed in the old format with any key of the ring, and marks them for resealing', () => {
    const old = sealV1(keyA, 'from before');
    const rotated = parseKeyring(`b:${b64(keyB)}`, b64(keyA));
    assert.equal(decryptSecret(rotated, old, here), 'from before');
    assert.equal(needsResealing(rotated, old), true);
    assert.equal(
      needsResealing(rotated, encryptSecret(ring, 'x', here)),
      true,
      'sealed with a key no longer first',
    );
    assert.equal(needsResealing(rotated, encryptSecret(rotated, 'x', here)), false);
    assert.throws(() => decryptSecret(parseKeyring(`b:${b64(keyB)}`, undefined), old, here), SecretError);
  });

  it('reads the keyring from FERRY_SECRET_KEYS (first seals) and FERRY_SECRET_KEY (id "default")', () => {
    const required = { API_TOKENS: 't' };
    const legacyOnly = loadConfig({ ...required, FERRY_SECRET_KEY: b64(keyA) }).secretKey;
    assert.equal(legacyOnly.current, 'default');
    const both = loadConfig({
      ...required,
      FERRY_SECRET_KEYS: `k2:${b64(keyB)}, k1:${b64(keyA)}`,
      FERRY_SECRET_KEY: b64(keyA),
    }).secretKey;
    assert.equal(both.current, 'k2');
    assert.deepEqual([...both.keys.keys()], ['k2', 'k1', 'default']);
    for (const bad of [
      'k1',
      `k 1:${b64(keyA)}`,
      `k1:${b64(keyA).slice(4)}`,
      `k1:${b64(keyA)},k1:${b64(keyB)}`,
    ]) {
      assert.throws(
        () => loadConfig({ ...required, FERRY_SECRET_KEYS: bad }),
        (err: unknown) => err instanceof ConfigError && /FERRY_SECRET_KEYS/.test(err.message),
        bad,
      );
    }
    assert.throws(() => loadConfig(required), /FERRY_SECRET_KEYS or FERRY_SECRET_KEY is required/);
  });
});
