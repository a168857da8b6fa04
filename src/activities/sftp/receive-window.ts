import type { SFTPWrapper } from 'ssh2';

/**
 * How far past ssh2's own 2 MiB the server may run ahead on an SFTP channel.
 * It covers the reads of several transfers sharing one connection (each
 * keeps SFTP_READ_CONCURRENCY × SFTP_READ_CHUNK_BYTES, 4 MiB by default, in
 * flight). It costs no memory here: answers are parsed as they arrive and
 * land in buffers the readers already hold; only answers to requests already
 * sent can arrive at all.
 */
export const EXTRA_RECEIVE_WINDOW_BYTES = 30 * 1024 * 1024;

/** The parts of ssh2's channel this relies on; not in its typings. */
interface ChannelInternals {
  outgoing?: { id?: unknown; state?: unknown };
  _protocol?: { channelWindowAdjust?: (channel: number, amount: number) => void };
}

/**
 * Lets the server send more of the answers before it waits for us.
 *
 * ssh2 opens every channel with a 2 MiB receive window and tops it back up to
 * 2 MiB whenever half is used (constants in ssh2's lib/Channel.js, not
 * options). The reads a transfer keeps in flight ask for more than that, so
 * sshd stalls whenever this process is busy for a few milliseconds (hashing
 * a part, a GC pause) before it sends the next top-up (the effect of a wider
 * window is measured in bench/README.md).
 *
 * One extra CHANNEL_WINDOW_ADJUST, which ssh2 does not count, raises the
 * server's view of the window for good: ssh2 goes on topping up its own
 * 2 MiB as before, and the server always has `extraBytes` more. ssh2 drops
 * data only when its own count is at zero, which cannot happen here: it
 * parses SFTP data as it arrives (no backpressure) and tops up after every
 * packet (at most 32 KiB) that takes its count below 1 MiB.
 *
 * Returns false, changing nothing, when ssh2's internals are not as expected
 * (a future version): transfers are then as fast as ssh2 alone makes them.
 */
export function widenReceiveWindow(sftp: SFTPWrapper, extraBytes = EXTRA_RECEIVE_WINDOW_BYTES): boolean {
  const channel = sftp as unknown as ChannelInternals;
  const id = channel.outgoing?.id;
  const adjust = channel._protocol?.channelWindowAdjust;
  if (typeof id !== 'number' || typeof adjust !== 'function' || channel.outgoing?.state !== 'open') {
    return false;
  }
  adjust.call(channel._protocol, id, extraBytes);
  return true;
}
