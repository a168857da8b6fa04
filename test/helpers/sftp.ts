import { createHash } from 'node:crypto';
import { chownSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import SftpClient from 'ssh2-sftp-client';
import { sftpAccount, type SftpAccount } from './env';

/** OpenSSH-style fingerprint ("SHA256:base64-without-padding") of a raw host key. */
export function fingerprintOf(hostKey: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(hostKey).digest('base64').replace(/=+$/, '');
}

/** Connects as the test account, by key or password, checking the pinned host key. */
export async function connectTestSftp(auth: 'key' | 'password', account: SftpAccount = sftpAccount()) {
  const client = new SftpClient();
  await client.connect({
    host: account.host,
    port: account.port,
    username: account.username,
    ...(auth === 'key'
      ? { privateKey: readFileSync(account.privateKeyFile) }
      : { password: account.password }),
    hostVerifier: (key: Buffer) => fingerprintOf(key) === account.hostFingerprint,
    readyTimeout: 10_000,
  });
  return client;
}

let sftpUid: { uid: number; gid: number } | undefined;

/** Writes a fixture straight into the SFTP root, owned by the SFTP account (so it may delete or move it). */
export function writeRemoteFile(
  relPath: string,
  data: Buffer | string,
  account: SftpAccount = sftpAccount(),
): string {
  const full = path.join(account.root, relPath);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, data);
  sftpUid ??= ownerOf(account.root);
  for (let p = full; p.startsWith(account.root) && p !== account.root; p = path.dirname(p)) {
    chownSync(p, sftpUid.uid, sftpUid.gid);
  }
  return full;
}

function ownerOf(dir: string): { uid: number; gid: number } {
  const s = statSync(dir);
  return { uid: s.uid, gid: s.gid };
}
