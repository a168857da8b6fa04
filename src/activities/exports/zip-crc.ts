import { createRequire } from 'node:module';
import { crc32 } from 'node:zlib';

/**
 * yazl computes each entry's CRC-32 with the `buffer-crc32` package, a
 * table loop in JavaScript (about 250 MiB/s here): on a 1 GiB archive that
 * is seconds of CPU on the worker's event loop, in the middle of the build's
 * S3 reads and writes. Node's own `zlib.crc32` (native, about ten times
 * faster) gives the same values, so the instance yazl loads gets it as its
 * `unsigned` (the only function yazl calls: `unsigned(buffer[, previous])`).
 * Checked by test/unit/zip-crc.test.ts against the original.
 */
type Unsigned = (buf: Buffer | string, previous?: number | Buffer) => number;

const yazlRequire = createRequire(require.resolve('yazl'));
const bufferCrc32 = yazlRequire('buffer-crc32') as { unsigned: Unsigned };

export const javascriptCrc32: Unsigned = bufferCrc32.unsigned;

export const nativeCrc32: Unsigned = (buf, previous) =>
  crc32(buf, Buffer.isBuffer(previous) ? previous.readUInt32BE(0) : (previous ?? 0));

bufferCrc32.unsigned = nativeCrc32;
