import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

type HashRequest = { op: 'update' | 'sha256Of'; id: number; data: Uint8Array } | { op: 'digest'; id: number };
type HashReply = {
  id: number;
  state?: Uint8Array;
  hex?: string;
  sha256?: Uint8Array;
  impl?: string;
  error?: string;
};

/**
 * The thread's code, plain CommonJS evaluated by the Worker (a .ts file would
 * need the TypeScript loader inside the thread). It loads native/sha256 (the
 * addon, or its JavaScript twin) and answers each request in order with the
 * state after the update (or the digest); id 0 says it is ready. It also
 * hashes single parts on their own (\`sha256Of\`), with node:crypto.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const impl = require(workerData.module).load({ preferJavaScript: workerData.preferJavaScript });
try {
  const ctx = impl.create(workerData.state);
  parentPort.on('message', (req) => {
    try {
      if (req.op === 'update') {
        impl.update(ctx, req.data);
        parentPort.postMessage({ id: req.id, state: impl.save(ctx) });
      } else if (req.op === 'sha256Of') {
        parentPort.postMessage({ id: req.id, sha256: createHash('sha256').update(req.data).digest() });
      } else {
        parentPort.postMessage({ id: req.id, hex: Buffer.from(impl.digest(ctx)).toString('hex') });
      }
    } catch (err) {
      parentPort.postMessage({ id: req.id, error: String(err && err.message) });
    }
  });
  parentPort.postMessage({ id: 0, impl: impl.name });
} catch (err) {
  parentPort.postMessage({ id: 0, error: String(err && err.message) });
}
`;

let modulePath: string | undefined;

/** native/sha256/index.js, found from here in the source tree and in dist/ alike (looked up once). */
function sha256Module(): string {
  if (modulePath) return modulePath;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'native', 'sha256', 'index.js');
    if (existsSync(candidate)) return (modulePath = candidate);
    if (path.dirname(dir) === dir) throw new Error('native/sha256/index.js not found above ' + __dirname);
  }
}

/**
 * Whole-file SHA-256 whose state survives a crash: after each part the saved
 * state (40–103 bytes, see native/sha256) goes into the transfer's checkpoint, and
 * a resumed transfer loads it and goes on hashing from the first missing part.
 * Node's own hash cannot export its state; native/sha256 is OpenSSL's SHA-256
 * (SHA-NI where the CPU has it) with the state exposed, or a much slower
 * JavaScript twin where no compiler built the addon (bench/README.md). It
 * runs in a worker thread so that hashing overlaps the SFTP reads and S3
 * uploads instead of stalling them. Parts backed by a SharedArrayBuffer are
 * read by the thread without a copy.
 */
export class ResumableSha256 {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (r: HashReply) => void; reject: (e: Error) => void }
  >();
  private failure: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: HashReply) => {
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.error) waiter?.reject(new Error(`sha256 thread: ${reply.error}`));
      else waiter?.resolve(reply);
    });
    worker.on('error', (err: Error) => this.failAll(err));
    worker.on('exit', (code) => this.failAll(new Error(`sha256 thread exited with code ${code}`)));
  }

  /** Which implementation hashes: 'native' or 'javascript'. */
  implementation = '';

  /**
   * Starts a hasher, from the beginning or from a saved state (40–103 bytes;
   * a state in any other format is refused, and the transfer starts over).
   */
  static async start(
    state?: Uint8Array,
    options: { preferJavaScript?: boolean } = {},
  ): Promise<ResumableSha256> {
    const workerData = { state, module: sha256Module(), preferJavaScript: options.preferJavaScript ?? false };
    const hasher = new ResumableSha256(new Worker(THREAD_SOURCE, { eval: true, workerData }));
    try {
      hasher.implementation = (await hasher.replyTo(0)).impl ?? '';
    } catch (err) {
      await hasher.close();
      throw err;
    }
    return hasher;
  }

  /** Hashes `data` after everything given before; resolves with the state after it. */
  async update(data: Buffer): Promise<Buffer> {
    const reply = await this.send((id) => ({ op: 'update', id, data }));
    return Buffer.from(reply.state ?? []);
  }

  /**
   * The SHA-256 of `data` alone (a part's, for its upload), computed in the
   * thread so that the event loop keeps answering the SFTP server meanwhile
   * (hashing a part takes milliseconds). Does not touch the running hash; requests are
   * answered in the order they were made.
   */
  async sha256Of(data: Buffer): Promise<Buffer> {
    const reply = await this.send((id) => ({ op: 'sha256Of', id, data }));
    return Buffer.from(reply.sha256 ?? []);
  }

  async digestHex(): Promise<string> {
    const reply = await this.send((id) => ({ op: 'digest', id }));
    return reply.hex ?? '';
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private send(make: (id: number) => HashRequest): Promise<HashReply> {
    const id = this.nextId++;
    const reply = this.replyTo(id);
    this.worker.postMessage(make(id));
    return reply;
  }

  /** The thread's answer to request `id`. */
  private replyTo(id: number): Promise<HashReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  private failAll(err: Error): void {
    this.failure ??= err;
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }
}
