import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type SftpClient from 'ssh2-sftp-client';
import { openSftp, rawSftp } from '../../src/activities/sftp/connection';
import { BufferPool } from '../../src/activities/sftp/buffer-pool';
import { readParts } from '../../src/activities/sftp/pipelined-reader';
import { widenReceiveWindow } from '../../src/activities/sftp/receive-window';
import { withReadHandle } from '../../src/activities/transfer/source';
import { sftpAccount } from '../helpers/env';
import { MiB } from '../../src/lib/units';

const account = sftpAccount();
const name = `window-${randomUUID()}.bin`;
const data = randomBytes(48 * MiB);

describe('SFTP receive window beyond ssh2 own 2 MiB', () => {
  let client: SftpClient;
  before(async () => {
    writeFileSync(path.join(account.root, name), data);
    client = await openSftp({
      serverId: 'test',
      host: account.host,
      port: account.port,
      username: account.username,
      password: account.password,
      hostKeyFingerprint: account.hostFingerprint,
    });
  });
  after(async () => {
    await client.end();
    rmSync(path.join(account.root, name), { force: true });
  });

  it("finds ssh2's channel internals it relies on (an ssh2 upgrade that moves them fails here)", () => {
    assert.equal(widenReceiveWindow(rawSftp(client), MiB), true);
  });

  it('delivers every byte with 16 MiB of reads in flight while the event loop stalls', async () => {
    const sftp = rawSftp(client);
    const partSize = 8 * MiB;
    const pool = new BufferPool(partSize, 3, false);
    const hash = createHash('sha256');
    await withReadHandle(sftp, name, async (handle) => {
      const parts = readParts(sftp, handle, {
        start: 0,
        size: data.length,
        partSize,
        pool,
        chunkBytes: 255 * 1024,
        concurrency: 64,
        // ssh2 silently drops data once its own window count is used up: a read would then never be answered.
        stallTimeoutMs: 5_000,
      });
      for await (const part of parts) {
        hash.update(part.data);
        // Busy for a while, as when hashing a part on the event loop: the server keeps sending meanwhile.
        const until = Date.now() + 50;
        while (Date.now() < until);
        part.release();
      }
    });
    assert.equal(hash.digest('hex'), createHash('sha256').update(data).digest('hex'));
  });
});
