import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { openSftp, type SftpTarget } from '../../src/activities/sftp/connection';
import { sftpConnections } from '../../src/activities/sftp/connection-limit';
import { sftpAccount } from '../helpers/env';
import { waitFor } from '../helpers/wait';

/** SFTP_MAX_CONNECTIONS_PER_SERVER and SFTP_MAX_CONNECTIONS against the real sshd. */
describe('SFTP connection caps of a worker process', () => {
  after(() => sftpConnections.configure(64, 8));

  function target(): SftpTarget {
    const account = sftpAccount();
    return {
      serverId: randomUUID(),
      host: account.host,
      port: account.port,
      username: account.username,
      privateKey: readFileSync(account.privateKeyFile, 'utf8'),
      hostKeyFingerprint: account.hostFingerprint,
    };
  }

  it('makes a connection past the per-server cap wait until one closes; other servers are not held up', async () => {
    sftpConnections.configure(10, 1);
    const server = target();
    const first = await openSftp(server);
    let secondOpen = false;
    const second = openSftp(server).then((client) => {
      secondOpen = true;
      return client;
    });
    await waitFor('the second connection to wait for a slot', () => sftpConnections.queued() === 1);
    assert.equal(secondOpen, false);
    assert.equal(sftpConnections.open(server.serverId), 1);
    // Another server has slots of its own.
    const other = await openSftp(target());
    await other.end();
    await first.end();
    const client = await second;
    assert.equal(sftpConnections.open(server.serverId), 1);
    await client.end();
    await waitFor('every slot given back', () => sftpConnections.open() === 0);
  });

  it('caps the connections of all servers together', async () => {
    sftpConnections.configure(1, 8);
    const first = await openSftp(target());
    let secondOpen = false;
    const second = openSftp(target()).then((client) => {
      secondOpen = true;
      return client;
    });
    await waitFor('the second connection to wait for a slot', () => sftpConnections.queued() === 1);
    assert.equal(secondOpen, false);
    await first.end();
    await (await second).end();
    await waitFor('every slot given back', () => sftpConnections.open() === 0);
  });
});
