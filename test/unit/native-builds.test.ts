import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { ResumableSha256 } from '../../src/activities/transfer/resumable-sha256';

/**
 * scripts/build-native.sh builds these offline and only warns when it cannot
 * (Ferry still works, slower). On the project's machines it must succeed:
 * a silent fallback would halve transfer throughput unnoticed.
 */
describe('native code built by setup', () => {
  it('hashes transfers with the native SHA-256 addon', async () => {
    const hasher = await ResumableSha256.start();
    await hasher.close();
    assert.equal(hasher.implementation, 'native');
  });

  it("loads ssh2's crypto binding", () => {
    const ssh2Require = createRequire(require.resolve('ssh2'));
    assert.doesNotThrow(() => ssh2Require('./protocol/crypto/build/Release/sshcrypto.node'));
  });
});
