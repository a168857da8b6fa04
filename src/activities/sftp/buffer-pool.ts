/**
 * A fixed set of equally sized buffers, reused for every part of a file. It
 * is both the memory bound of a transfer (at most `count × size` bytes of
 * file data, whatever the file size) and its backpressure: the reader waits
 * for a free buffer, and buffers come back only when the uploader is done.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];
  private readonly waiters: ((buf: Buffer) => void)[] = [];
  private allocated = 0;

  constructor(
    readonly size: number,
    readonly count: number,
    /** SharedArrayBuffer-backed buffers can be read by a worker thread without copying. */
    private readonly shared = false,
  ) {}

  /** A free buffer now, or undefined when all are in use. */
  tryAcquire(): Buffer | undefined {
    const buf = this.free.pop();
    if (buf) return buf;
    if (this.allocated >= this.count) return undefined;
    this.allocated++;
    return this.shared ? Buffer.from(new SharedArrayBuffer(this.size)) : Buffer.allocUnsafeSlow(this.size);
  }

  /** Resolves with the next buffer to become free (callers that cannot wait use tryAcquire). */
  acquire(): Promise<Buffer> {
    const buf = this.tryAcquire();
    if (buf) return Promise.resolve(buf);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(buf: Buffer): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(buf);
    else this.free.push(buf);
  }
}
