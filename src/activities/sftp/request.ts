import type { SFTPWrapper } from 'ssh2';

/** How long one SFTP request (stat, open, rename) may go unanswered before the attempt fails and is retried. */
export const SFTP_REQUEST_TIMEOUT_MS = 60_000;

/**
 * Sends one SFTP request and settles with its answer, or fails (retryably)
 * when the connection closes first or no answer comes within `timeoutMs`.
 *
 * ssh2 never calls back a request sent on an SFTP channel whose connection
 * has died: it answers the requests outstanding at that moment ("No response
 * from server"), emits `close`, and drops every later one. An activity that
 * sends one (a stat between two steps, on a connection that died meanwhile)
 * would hang, heartbeating all the while, until its start-to-close timeout,
 * and a cancel would wait as long.
 */
export function sftpRequest<T>(
  sftp: SFTPWrapper,
  what: string,
  send: (cb: (err: Error | null | undefined, value: T) => void) => void,
  timeoutMs = SFTP_REQUEST_TIMEOUT_MS,
): Promise<T> {
  return new Promise((resolve, reject) => {
    if (!channelOpen(sftp)) return reject(new Error(`${what}: the SFTP connection is closed`));
    const onClose = () => settle(new Error(`${what}: the SFTP connection closed before the answer`));
    const timer = setTimeout(
      () => settle(new Error(`${what}: no answer from the SFTP server for ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    function settle(err: Error | null | undefined, value?: T): void {
      clearTimeout(timer);
      sftp.removeListener('close', onClose);
      if (err) reject(err);
      else resolve(value as T);
    }
    sftp.once('close', onClose);
    try {
      send((err, value) => settle(err, value));
    } catch (err) {
      settle(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

/**
 * Whether requests on this channel can still be answered. When the connection
 * dies, ssh2 marks the channel's incoming side closed and ends it, but leaves
 * an SFTP channel's `outgoing.state` "open" (utils.js onCHANNEL_CLOSE skips
 * SFTP there), so that alone does not tell; a test in
 * transfer-sshd-restart.test.ts fails if an ssh2 upgrade changes this.
 */
export function channelOpen(sftp: SFTPWrapper): boolean {
  const channel = sftp as unknown as {
    readable?: boolean;
    incoming?: { state?: string };
    outgoing?: { state?: string };
  };
  return (
    channel.readable !== false &&
    channel.incoming?.state !== 'closed' &&
    (channel.outgoing?.state ?? 'open') === 'open'
  );
}
