import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { ZipFile } from 'yazl';
import { javascriptCrc32, nativeCrc32 } from '../../src/activities/exports/zip-crc';

describe('zip CRC-32', () => {
  it('the native CRC gives what buffer-crc32 gives, whole or chunk by chunk', () => {
    const data = randomBytes(1 << 20);
    assert.equal(nativeCrc32(data), javascriptCrc32(data));
    let js = 0;
    let native = 0;
    for (let at = 0; at < data.length; at += 65_537) {
      const chunk = data.subarray(at, at + 65_537);
      js = javascriptCrc32(chunk, js);
      native = nativeCrc32(chunk, native);
    }
    assert.equal(native, js);
    assert.equal(nativeCrc32(Buffer.alloc(0)), 0);
  });

  it('yazl writes the CRC of each entry with it', async () => {
    const yazlsCrc = createRequire(require.resolve('yazl'))('buffer-crc32') as { unsigned: unknown };
    assert.equal(yazlsCrc.unsigned, nativeCrc32, 'the instance yazl loads computes natively');
    const data = randomBytes(300_000);
    const zip = new ZipFile();
    zip.addBuffer(data, 'a.bin', { compress: false });
    zip.end();
    const chunks: Buffer[] = [];
    for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
    const archive = Buffer.concat(chunks);
    // The local file header's CRC-32 field, at offset 14.
    assert.equal(archive.readUInt32LE(14), javascriptCrc32(data));
  });
});
