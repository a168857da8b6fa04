import { createHash } from 'node:crypto';
import type SftpClient from 'ssh2-sftp-client';
import type { Logger } from '../../lib/logger';
import { openSftp, rawSftp, type SftpTarget } from './connection';

/**
 * SSH connections kept open between activities of one worker process. A
 * connection costs a key exchange, a login and a server process; a scan of a
 * thousand small files would otherwise pay that a thousand times. One SFTP
 * channel carries any number of concurrent requests, so activities share it.
 *
 * Connections are keyed by everything that logs in (host, port, user, secrets,
 * pinned host key): a server whose settings change gets a new connection, the
 * old one idles out. A connection that closes or fails is dropped at once and
 * the next activity opens a fresh one.
 */
interface Entry {
  key: string;
  client: Promise<SftpClient>;
  users: number;
  idle: NodeJS.Timeout | undefined;
}

export class SftpPool {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly log: Logger,
    /** Close a connection nobody has used for this long. */
    private readonly idleMs = 5_000,
  ) {}

  async use<T>(target: SftpTarget, fn: (client: SftpClient) => Promise<T>): Promise<T> {
    const entry = this.acquire(target);
    try {
      return await fn(await entry.client);
    } finally {
      this.release(entry);
    }
  }

  private acquire(target: SftpTarget): Entry {
    const key = createHash('sha256').update(JSON.stringify(target)).digest('hex');
    let entry = this.entries.get(key);
    if (!entry) {
      const created: Entry = { key, client: openSftp(target, this.log), users: 0, idle: undefined };
      created.client.then(
        (client) => {
          client.on('close', () => this.drop(created));
          // Every read in flight on the shared channel listens for its close
          // (sftp/pipelined-reader.ts); a worker runs up to 8 + 16 transfers.
          rawSftp(client).setMaxListeners(64);
        },
        () => this.drop(created),
      );
      this.entries.set(key, created);
      entry = created;
    }
    clearTimeout(entry.idle);
    entry.users++;
    return entry;
  }

  private release(entry: Entry): void {
    entry.users--;
    if (entry.users > 0 || this.entries.get(entry.key) !== entry) return;
    entry.idle = setTimeout(() => {
      this.drop(entry);
      entry.client
        .then((client) => client.end())
        .catch((err: unknown) => this.log.debug({ err }, 'closing an idle SFTP connection failed'));
    }, this.idleMs).unref();
  }

  private drop(entry: Entry): void {
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
  }
}
