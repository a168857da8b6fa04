import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sftpAccount } from './env';

/**
 * A valid POST /v1/servers body for the test SFTP account: its own remote
 * directory (relative to the account's start directory) and key prefix, so
 * tests never see each other's files or objects.
 */
export function serverBody(overrides: Record<string, unknown> = {}) {
  const account = sftpAccount();
  const tag = randomUUID().slice(0, 8);
  return {
    name: `test-${tag}`,
    host: account.host,
    port: account.port,
    username: account.username,
    privateKey: readFileSync(account.privateKeyFile, 'utf8'),
    hostKeyFingerprint: account.hostFingerprint,
    remoteDir: `ingest-${tag}`,
    recursive: true,
    minAgeSeconds: 0,
    scanIntervalSeconds: 3600,
    bucket: 'ferry-test',
    keyPrefix: `ingest/${tag}/`,
    ...overrides,
  };
}
