import { createHash } from 'node:crypto';
import type { SFTPWrapper } from 'ssh2';
import SftpClient from 'ssh2-sftp-client';
import type { Server } from '../../generated/prisma/client';
import type { Db } from '../../lib/db';
import type { Logger } from '../../lib/logger';
import { sealedIn } from '../../lib/sealed-fields';
import { decryptSecret, type SecretKeyring } from '../../lib/secrets';
import { sftpConnections } from './connection-limit';
import { widenReceiveWindow } from './receive-window';
import { Failure, nonRetryable } from '../../workflows/contract';

/** Everything needed to log in to a server; built inside activities only, never passed through Temporal. */
export interface SftpTarget {
  serverId: string;
  host: string;
  port: number;
  username: string;
  password?: string;
  privateKey?: string;
  /** Pinned host key, OpenSSH form "SHA256:<base64>". */
  hostKeyFingerprint: string;
}

export function sha256Fingerprint(hostKey: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(hostKey).digest('base64').replace(/=+$/, '');
}

/** Accepts "SHA256:abc=", "sha256:abc" and bare base64; compares the base64 part. */
export function normalizeFingerprint(fp: string): string {
  return (
    'SHA256:' +
    fp
      .trim()
      .replace(/^sha256:/i, '')
      .replace(/=+$/, '')
  );
}

export async function loadSftpTarget(
  db: Db,
  secretKey: SecretKeyring,
  serverId: string,
): Promise<SftpTarget> {
  const server = await db.server.findUnique({ where: { id: serverId } });
  if (!server) {
    throw nonRetryable(Failure.ServerNotFound, `server ${serverId} does not exist`);
  }
  return sftpTargetOf(server, secretKey);
}

/** The login of a server row already loaded, its secrets decrypted. */
export function sftpTargetOf(server: Server, secretKey: SecretKeyring): SftpTarget {
  const open = (sealed: string, field: 'passwordEnc' | 'privateKeyEnc') =>
    decryptSecret(secretKey, sealed, sealedIn('Server', server.id, field));
  return {
    serverId: server.id,
    host: server.host,
    port: server.port,
    username: server.username,
    ...(server.passwordEnc ? { password: open(server.passwordEnc, 'passwordEnc') } : {}),
    ...(server.privateKeyEnc ? { privateKey: open(server.privateKeyEnc, 'privateKeyEnc') } : {}),
    hostKeyFingerprint: server.hostKeyFingerprint,
  };
}

/**
 * Connects and opens the SFTP subsystem. The host key must match the pinned
 * fingerprint, and a mismatch or refused login is non-retryable: trying again
 * cannot fix either. Network errors stay retryable.
 */
export async function openSftp(
  target: SftpTarget,
  log?: Logger,
  readyTimeoutMs = 20_000,
): Promise<SftpClient> {
  const expected = normalizeFingerprint(target.hostKeyFingerprint);
  let presented: string | undefined;
  const release = await sftpConnections.acquire(target.serverId);
  const client = new SftpClient(`ferry-${target.serverId}`, connectionEvents(target, log));
  // The slot is given back when the SSH connection closes, however it ends (ssh2-sftp-client's
  // own callbacks fire only outside its calls, so the ssh2 client underneath is listened to).
  (client as unknown as { client: NodeJS.EventEmitter }).client.once('close', release);
  try {
    await client.connect({
      host: target.host,
      port: target.port,
      username: target.username,
      ...(target.password !== undefined ? { password: target.password } : {}),
      ...(target.privateKey !== undefined ? { privateKey: target.privateKey } : {}),
      hostVerifier: (key: Buffer) => {
        presented = sha256Fingerprint(key);
        return presented === expected;
      },
      readyTimeout: readyTimeoutMs,
      keepaliveInterval: 10_000,
      keepaliveCountMax: 3,
    });
    widenReceiveWindow(rawSftp(client));
    return client;
  } catch (err) {
    // The half-open connection is torn down; its own error would hide the real one.
    await client.end().catch(() => undefined);
    release();
    throw classifyConnectError(err, target, expected, presented);
  }
}

/**
 * What ssh2-sftp-client calls when the connection errs, ends or closes
 * outside any call. Its defaults print to stdout and stderr; the pool drops a
 * closed connection and in-flight reads fail on their own, so these are
 * worth a debug line, not output.
 */
function connectionEvents(target: SftpTarget, log: Logger | undefined) {
  const about = { serverId: target.serverId, host: target.host, port: target.port };
  return {
    error: (err: unknown) => log?.debug({ ...about, err }, 'SFTP connection error'),
    end: () => log?.debug(about, 'SFTP connection ended'),
    close: () => log?.debug(about, 'SFTP connection closed'),
  };
}

function classifyConnectError(err: unknown, target: SftpTarget, expected: string, presented?: string): Error {
  const where = `${target.username}@${target.host}:${target.port}`;
  const message = err instanceof Error ? err.message : String(err);
  if (presented !== undefined && presented !== expected) {
    return nonRetryable(
      Failure.HostKeyMismatch,
      `host key mismatch for ${where}: pinned ${expected}, server presented ${presented}`,
    );
  }
  if (/authentication methods failed|authentication failed/i.test(message)) {
    return nonRetryable(Failure.SftpAuthFailed, `login refused for ${where}: ${message}`);
  }
  return err instanceof Error ? err : new Error(message);
}

/** ssh2-sftp-client keeps the raw ssh2 SFTP channel on `sftp` without declaring it. */
export function rawSftp(client: SftpClient): SFTPWrapper {
  const sftp = (client as unknown as { sftp?: SFTPWrapper }).sftp;
  if (!sftp) throw new Error('SFTP connection is closed');
  return sftp;
}
