import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { openSftp, type SftpTarget } from '../../src/activities/sftp/connection';
import { Failure } from '../../src/workflows/contract';
import type { Logger } from '../../src/lib/logger';
import { sftpAccount } from '../helpers/env';

const account = sftpAccount();
const base: SftpTarget = {
  serverId: 'test',
  host: account.host,
  port: account.port,
  username: account.username,
  hostKeyFingerprint: account.hostFingerprint,
};

async function failureOf(target: SftpTarget): Promise<ApplicationFailure> {
  try {
    const c = await openSftp(target);
    await c.end();
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, `expected ApplicationFailure, got ${String(err)}`);
    return err;
  }
  assert.fail('connection unexpectedly succeeded');
}

describe('SFTP connections to the pinned OpenSSH server', () => {
  it('log in by private key and by password when the host key matches', async () => {
    for (const creds of [
      { privateKey: readFileSync(account.privateKeyFile, 'utf8') },
      { password: account.password },
    ]) {
      const client = await openSftp({ ...base, ...creds });
      assert.equal(typeof (await client.cwd()), 'string');
      await client.end();
    }
  });

  it('fail non-retryably, naming both fingerprints, when the host key does not match', async () => {
    const wrong = 'SHA256:' + Buffer.alloc(32, 1).toString('base64').replace(/=+$/, '');
    const failure = await failureOf({ ...base, password: account.password, hostKeyFingerprint: wrong });
    assert.equal(failure.type, Failure.HostKeyMismatch);
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /host key mismatch/);
    assert.ok(failure.message.includes(account.hostFingerprint));
  });

  it('fail non-retryably when the password is wrong', async () => {
    const failure = await failureOf({ ...base, password: 'not-the-password' });
    assert.equal(failure.type, Failure.SftpAuthFailed);
    assert.equal(failure.nonRetryable, true);
  });

  it('reports a connection lost outside any call to the logger, not to stdout', async (t) => {
    const printed: unknown[] = [];
    t.mock.method(console, 'log', (...args: unknown[]) => printed.push(args));
    t.mock.method(console, 'error', (...args: unknown[]) => printed.push(args));
    const logged: string[] = [];
    const log = { debug: (_fields: unknown, msg: string) => logged.push(msg) } as unknown as Logger;
    const client = await openSftp({ ...base, password: account.password }, log);
    // The ssh2 connection underneath goes away on its own, as when the server drops it.
    const ssh = (client as unknown as { client: { end(): void; once(e: string, f: () => void): void } })
      .client;
    const closed = new Promise<void>((resolve) => ssh.once('close', resolve));
    ssh.end();
    await closed;
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(printed, []);
    assert.ok(logged.includes('SFTP connection closed'), JSON.stringify(logged));
  });
});
