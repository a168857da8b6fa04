import type { SFTPWrapper } from 'ssh2';
import { channelOpen } from './request';

/**
 * Writes a file with many SFTP WRITE requests in flight (ssh2's WriteStream
 * sends one at a time, which leaves the link idle between answers). Callers
 * write in offset order; `write` resolves as soon as another request may be
 * sent, which is the backpressure that bounds memory to `concurrency` writes.
 *
 * Requests may complete in any order, so the file can have holes until all
 * are answered: `acked` is the end of the prefix known to be written, the
 * only safe point to resume from after a crash (the file's size is not).
 */
export class PipelinedWriter {
  private readonly pending: { offset: number; end: number; done: boolean }[] = [];
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  /** Bytes from the start of the file up to which every write has been answered. */
  acked: number;

  private readonly onClose = () => this.fail(new Error('SFTP connection closed during the write'));

  constructor(
    private readonly sftp: SFTPWrapper,
    private readonly handle: Buffer,
    start: number,
    private readonly concurrency: number,
  ) {
    this.acked = start;
    sftp.once('close', this.onClose);
  }

  /** Sends one WRITE of `data` at `offset`; resolves when fewer than `concurrency` are in flight. */
  async write(data: Buffer, offset: number): Promise<void> {
    this.check();
    if (!channelOpen(this.sftp)) this.fail(new Error('SFTP connection is closed'));
    this.check();
    const request = { offset, end: offset + data.length, done: false };
    this.pending.push(request);
    this.sftp.write(this.handle, data, 0, data.length, offset, (err) => {
      if (err) return this.fail(err);
      request.done = true;
      while (this.pending[0]?.done) this.acked = (this.pending.shift() as { end: number }).end;
      this.wake?.();
    });
    while (this.pending.length >= this.concurrency) await this.next();
  }

  /** Resolves once every write is answered; throws the first failure. */
  async drain(): Promise<void> {
    while (this.pending.length > 0) await this.next();
    this.check();
  }

  stop(): void {
    this.sftp.removeListener('close', this.onClose);
  }

  fail(err: Error): void {
    this.failure ??= err;
    this.wake?.();
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }

  private async next(): Promise<void> {
    this.check();
    await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
    this.check();
  }
}
