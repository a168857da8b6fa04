import type { SFTPWrapper } from 'ssh2';
import type { BufferPool } from './buffer-pool';
import { channelOpen } from './request';

/**
 * Reads a byte range of a remote file with many SFTP READ requests in flight
 * (ssh2's `createReadStream` keeps one, and is many times slower than the
 * link) and hands the bytes over in order, one part-sized buffer at a time.
 * Requests read straight into pooled part buffers, so memory is the pool and
 * nothing else; when the consumer holds every buffer, no new request is sent.
 */
export interface ReadPartsOptions {
  /** First byte to read; a part boundary. */
  start: number;
  /** Length of the file: reading stops here, and a file ending earlier is an error. */
  size: number;
  partSize: number;
  /** Bytes per READ request. */
  chunkBytes: number;
  /** READ requests in flight. */
  concurrency: number;
  /** Part buffers (each at least `partSize` bytes); the consumer returns them with `release()`. */
  pool: BufferPool;
  signal?: AbortSignal;
  /** Called as data arrives (progress). */
  onBytes?: (n: number) => void;
  /** Fail when no answer arrives for this long while requests are outstanding. @default 60000 */
  stallTimeoutMs?: number;
}

export interface FilePart {
  /** 1-based, as S3 numbers parts. */
  partNumber: number;
  offset: number;
  /** A view of a pooled buffer, valid until `release()`. */
  data: Buffer;
  release(): void;
}

/** The file ended before the size it was listed with: it changed under us. */
export class SourceTruncatedError extends Error {
  override readonly name = 'SourceTruncatedError';
}

interface Slot {
  index: number;
  offset: number;
  length: number;
  buf: Buffer;
  missing: number;
}

export async function* readParts(
  sftp: SFTPWrapper,
  handle: Buffer,
  options: ReadPartsOptions,
): AsyncGenerator<FilePart, void, undefined> {
  const reader = new PipelinedReader(sftp, handle, options);
  try {
    for (let part = await reader.next(); part; part = await reader.next()) yield part;
  } finally {
    reader.stop();
  }
}

class PipelinedReader {
  private readonly slots = new Map<number, Slot>();
  private nextPos: number;
  private nextIndex: number;
  private inflight = 0;
  private failure: Error | undefined;
  private stopped = false;
  private spare: Buffer | undefined;
  private awaitingBuffer = false;
  private waiter: { resolve: (p: FilePart | undefined) => void; reject: (e: Error) => void } | undefined;
  private lastAnswer = Date.now();
  private readonly watchdog: NodeJS.Timeout;
  private readonly onAbort = () => this.fail(abortReason(this.o.signal));
  // A request sent on a channel that is already closed is dropped without an answer.
  private readonly onClose = () => this.fail(new Error('SFTP connection closed during the read'));

  constructor(
    private readonly sftp: SFTPWrapper,
    private readonly handle: Buffer,
    private readonly o: ReadPartsOptions,
  ) {
    if (o.start % o.partSize !== 0) throw new Error(`read start ${o.start} is not a part boundary`);
    if (o.pool.size < o.partSize) throw new Error('pool buffers are smaller than a part');
    this.nextPos = o.start;
    this.nextIndex = o.start / o.partSize;
    const stallMs = o.stallTimeoutMs ?? 60_000;
    this.watchdog = setInterval(
      () => {
        if (this.inflight > 0 && Date.now() - this.lastAnswer > stallMs) {
          this.fail(new Error(`SFTP read stalled: no answer for ${stallMs / 1000} s`));
        }
      },
      Math.min(stallMs, 5_000),
    ).unref();
    if (o.signal?.aborted) this.failure = abortReason(o.signal);
    else if (!channelOpen(sftp)) this.failure = new Error('SFTP connection closed before the read');
    o.signal?.addEventListener('abort', this.onAbort, { once: true });
    sftp.once('close', this.onClose);
    this.pump();
  }

  /** The next part in file order, once all its bytes are in; undefined after the last. */
  next(): Promise<FilePart | undefined> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.nextIndex * this.o.partSize >= this.o.size) return Promise.resolve(undefined);
    const ready = this.takeReady();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.watchdog);
    this.o.signal?.removeEventListener('abort', this.onAbort);
    this.sftp.removeListener('close', this.onClose);
    // Buffers with reads still in flight are left to the GC: an answer may still land in them.
    if (this.spare) this.o.pool.release(this.spare);
    this.spare = undefined;
  }

  private takeReady(): FilePart | undefined {
    const slot = this.slots.get(this.nextIndex);
    if (!slot || slot.missing > 0) return undefined;
    this.slots.delete(slot.index);
    this.nextIndex++;
    let released = false;
    return {
      partNumber: slot.index + 1,
      offset: slot.offset,
      data: slot.buf.subarray(0, slot.length),
      release: () => {
        if (released) return;
        released = true;
        this.o.pool.release(slot.buf);
        this.pump();
      },
    };
  }

  /** Sends READ requests until `concurrency` are in flight, the file is covered, or no buffer is free. */
  private pump(): void {
    const { size, partSize, chunkBytes, concurrency } = this.o;
    while (!this.stopped && !this.failure && this.inflight < concurrency && this.nextPos < size) {
      const index = Math.floor(this.nextPos / partSize);
      const slot = this.slots.get(index) ?? this.openSlot(index);
      if (!slot) return;
      const length = Math.min(chunkBytes, slot.offset + slot.length - this.nextPos);
      this.request(slot, this.nextPos, length);
      this.nextPos += length;
    }
  }

  private openSlot(index: number): Slot | undefined {
    const buf = this.spare ?? this.o.pool.tryAcquire();
    this.spare = undefined;
    if (!buf) {
      this.waitForBuffer();
      return undefined;
    }
    const offset = index * this.o.partSize;
    const length = Math.min(this.o.partSize, this.o.size - offset);
    const slot = { index, offset, length, buf, missing: length };
    this.slots.set(index, slot);
    return slot;
  }

  private waitForBuffer(): void {
    if (this.awaitingBuffer) return;
    this.awaitingBuffer = true;
    void this.o.pool.acquire().then((buf) => {
      this.awaitingBuffer = false;
      if (this.stopped) return this.o.pool.release(buf);
      this.spare = buf;
      this.pump();
    });
  }

  private request(slot: Slot, position: number, length: number): void {
    // The stall clock runs from the last answer, or from now when nothing was in flight:
    // time spent waiting for a free buffer (storage slow to take parts) is not sshd's.
    if (this.inflight === 0) this.lastAnswer = Date.now();
    this.inflight++;
    const at = position - slot.offset;
    try {
      this.sftp.read(this.handle, slot.buf, at, length, position, (err, bytesRead) => {
        this.inflight--;
        this.lastAnswer = Date.now();
        if (this.stopped || this.failure) return;
        if (err) return this.fail(err);
        if (bytesRead === 0) {
          return this.fail(
            new SourceTruncatedError(`file ended at byte ${position}, it was listed with ${this.o.size}`),
          );
        }
        this.o.onBytes?.(bytesRead);
        slot.missing -= bytesRead;
        // SFTP servers may answer with fewer bytes than asked: ask again for the rest.
        if (bytesRead < length) this.request(slot, position + bytesRead, length - bytesRead);
        if (slot.missing === 0 && slot.index === this.nextIndex) this.deliver();
        this.pump();
      });
    } catch (err) {
      this.inflight--;
      this.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private deliver(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    const part = this.takeReady();
    if (!part) return;
    this.waiter = undefined;
    waiter.resolve(part);
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(err);
  }
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error('read aborted');
}
