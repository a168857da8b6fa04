import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ResumableSha256 } from '../../src/activities/transfer/resumable-sha256';
import { MiB } from '../../src/lib/units';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Hashes `data` in `cut`-sized updates with a fresh hasher per update, resuming from the saved state each time. */
async function hashResuming(data: Buffer, cut: number, impls: boolean[]): Promise<string> {
  let state: Buffer | undefined;
  let i = 0;
  for (let offset = 0; ; offset += cut, i++) {
    const hasher = await ResumableSha256.start(state, { preferJavaScript: impls[i % impls.length] });
    try {
      if (offset + cut >= data.length) {
        await hasher.update(data.subarray(offset));
        return await hasher.digestHex();
      }
      state = await hasher.update(data.subarray(offset, offset + cut));
    } finally {
      await hasher.close();
    }
  }
}

describe('ResumableSha256', () => {
  for (const preferJavaScript of [false, true]) {
    const name = preferJavaScript ? 'javascript' : 'native';
    it(`${name}: equals node:crypto for lengths around the block and padding edges`, async () => {
      for (const size of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, MiB + 3]) {
        const data = randomBytes(size);
        const hasher = await ResumableSha256.start(undefined, { preferJavaScript });
        try {
          assert.equal(hasher.implementation, name);
          await hasher.update(data.subarray(0, 7));
          await hasher.update(data.subarray(7));
          assert.equal(await hasher.digestHex(), sha256(data), `size ${size}`);
        } finally {
          await hasher.close();
        }
      }
    });
  }

  it('resumes from a saved state in a new thread, across both implementations', async () => {
    const data = randomBytes(5 * MiB + 17);
    const expected = sha256(data);
    assert.equal(await hashResuming(data, MiB, [false]), expected);
    assert.equal(await hashResuming(data, MiB, [true]), expected);
    assert.equal(await hashResuming(data, MiB, [false, true]), expected);
    // Cuts off the block boundary: the unfinished block travels in the state.
    assert.equal(await hashResuming(data, 100_003, [true, false]), expected);
  });

  it("hashes a part on its own without touching the file's running hash", async () => {
    const [a, part, b] = [randomBytes(100_003), randomBytes(3 * MiB + 5), randomBytes(77)];
    const hasher = await ResumableSha256.start();
    try {
      await hasher.update(a);
      // Asked for together, as a transfer does; answered in order.
      const [partSha256] = await Promise.all([hasher.sha256Of(part), hasher.update(b)]);
      assert.equal(partSha256.toString('hex'), sha256(part));
      assert.equal(await hasher.digestHex(), sha256(Buffer.concat([a, b])));
    } finally {
      await hasher.close();
    }
  });

  it('refuses a state of another format instead of hashing wrongly', async () => {
    await assert.rejects(ResumableSha256.start(Buffer.alloc(39)), /40 to 103 bytes/);
    await assert.rejects(ResumableSha256.start(Buffer.alloc(104)), /40 to 103 bytes/);
    const midBlock = Buffer.alloc(40);
    midBlock.writeBigUInt64BE(100n, 32);
    await assert.rejects(ResumableSha256.start(midBlock), /unfinished block/);
  });
});
