import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { decryptSecret, encryptSecret } from '../../src/lib/secrets';

describe('secrets at rest', () => {
  const key = randomBytes(32);

  it('round-trips a secret and never stores the plaintext', () => {
    const sealed = encryptSecret(key, 'hunter2 ünïcode');
    assert.ok(!sealed.includes('hunter2'));
    assert.equal(decryptSecret(key, sealed), 'hunter2 ünïcode');
  });

  it('refuses a tampered ciphertext or a wrong key', () => {
    const sealed = encryptSecret(key, 'secret');
    const raw = Buffer.from(sealed.slice(3), 'base64');
    raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 1;
    assert.throws(() => decryptSecret(key, 'v1:' + raw.toString('base64')));
    assert.throws(() => decryptSecret(randomBytes(32), sealed));
  });
});
