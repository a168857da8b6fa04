import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type SftpClient from 'ssh2-sftp-client';
import { MAX_DEPTH, walkRemote, type ListedFile } from '../../src/activities/scan/walk';
import { openSftp, sftpTargetOf } from '../../src/activities/sftp/connection';
import { createTestServer, localPathOf, writeRandomFile } from '../helpers/ingest-fixtures';
import { useTransferDeps } from '../helpers/suite';

/** The listing's walk against the real sshd: how it pages through directories and how deep it goes. */
describe('scan: walking the remote tree', () => {
  const deps = useTransferDeps();
  let client: SftpClient;
  let walkOf: (remoteDir: string) => Promise<{ batches: ListedFile[][]; reads: number; skipped: string[] }>;

  before(async () => {
    const server = await createTestServer(deps);
    client = await openSftp(sftpTargetOf(server, deps.config.secretKey));
    walkOf = async (remoteDir) => {
      const batches: ListedFile[][] = [];
      const skipped: string[] = [];
      let reads = 0;
      const walk = walkRemote(client, {
        remoteDir,
        recursive: true,
        skipDirs: [],
        beforeRead: () => reads++,
        onUnreadableDir: (dir, reason) => skipped.push(`${dir}: ${reason}`),
      });
      for await (const files of walk) batches.push(files);
      return { batches, reads, skipped };
    };
  });
  after(async () => {
    await client.end();
  });

  it('hands a large directory over in batches, so the listing can heartbeat while it reads', async () => {
    const server = await createTestServer(deps);
    const count = 2_500;
    const dir = localPathOf(server, '');
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < count; i++) writeFileSync(path.join(dir, `f${i}.txt`), 'x');
    writeRandomFile(server, 'owned.bin', 1); // makes the tree the SFTP account's
    const { batches, reads } = await walkOf(server.remoteDir);
    assert.equal(batches.flat().length, count + 1);
    assert.ok(batches.length >= 3, `one directory in ${batches.length} batches`);
    assert.ok(reads >= 3, `cancellation checked ${reads} times`);
    assert.equal(new Set(batches.flat().map((f) => f.rel)).size, count + 1, 'no file twice');
  });

  it(`does not enter directories deeper than ${MAX_DEPTH} levels, and says so`, async () => {
    const server = await createTestServer(deps);
    const levels = Array.from({ length: MAX_DEPTH + 1 }, (_, i) => `d${i}`);
    writeRandomFile(server, [...levels.slice(0, MAX_DEPTH), 'deepest-listed.bin'].join('/'), 1);
    writeRandomFile(server, [...levels, 'too-deep.bin'].join('/'), 1);
    const { batches, skipped } = await walkOf(server.remoteDir);
    const names = batches.flat().map((f) => path.posix.basename(f.rel));
    assert.deepEqual(names, ['deepest-listed.bin']);
    assert.equal(skipped.length, 1);
    assert.match(skipped[0] ?? '', new RegExp(`d${MAX_DEPTH}: deeper than ${MAX_DEPTH} levels`));
  });
});
