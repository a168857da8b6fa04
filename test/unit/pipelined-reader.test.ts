import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { SFTPWrapper } from 'ssh2';
import { BufferPool } from '../../src/activities/sftp/buffer-pool';
import { readParts } from '../../src/activities/sftp/pipelined-reader';

/**
 * The reader's stall watchdog, timed against a server whose every answer
 * takes `answerMs` (a slow link; the real sshd on loopback answers in well
 * under a millisecond, too fast to show it). Only `read` is used by the
 * reader besides the close listener.
 */
function slowServer(file: Buffer, answerMs: number): SFTPWrapper {
  const server = {
    read(
      _h: Buffer,
      buf: Buffer,
      at: number,
      length: number,
      position: number,
      cb: (e: unknown, n: number) => void,
    ) {
      setTimeout(() => cb(null, file.copy(buf, at, position, position + length)), answerMs);
    },
    once: () => server,
    removeListener: () => server,
  };
  return server as unknown as SFTPWrapper;
}

describe('pipelined reader: stall watchdog', () => {
  it('does not count the time the consumer holds every buffer as a stall', async () => {
    // Storage slow to take parts: the only buffer is held for twice the stall timeout, so
    // no read is in flight meanwhile. Each next read then takes 60 % of the timeout. With
    // the stall clock left at the last answer, a watchdog tick during that read (about 60 %
    // likely per part, so nearly certain over 8 parts) would call it stalled.
    const stallTimeoutMs = 500;
    const partSize = 1024;
    const file = randomBytes(8 * partSize);
    const got: Buffer[] = [];
    const parts = readParts(slowServer(file, 300), Buffer.alloc(4), {
      start: 0,
      size: file.length,
      partSize,
      chunkBytes: partSize,
      concurrency: 1,
      pool: new BufferPool(partSize, 1),
      stallTimeoutMs,
    });
    for await (const part of parts) {
      got.push(Buffer.from(part.data));
      await new Promise((r) => setTimeout(r, 2 * stallTimeoutMs));
      part.release();
    }
    assert.deepEqual(Buffer.concat(got), file);
  });

  it('still fails a read that gets no answer', async () => {
    const silent = { read: () => undefined, once: () => silent, removeListener: () => silent };
    const parts = readParts(silent as unknown as SFTPWrapper, Buffer.alloc(4), {
      start: 0,
      size: 1024,
      partSize: 1024,
      chunkBytes: 1024,
      concurrency: 1,
      pool: new BufferPool(1024, 1),
      stallTimeoutMs: 300,
    });
    // The watchdog's timer does not hold the process open (an activity's work does): this test's must.
    const keepAlive = setInterval(() => undefined, 1000);
    try {
      await assert.rejects(parts.next(), /SFTP read stalled: no answer for 0.3 s/);
    } finally {
      clearInterval(keepAlive);
    }
  });
});
