import { Worker } from 'node:worker_threads';

type HashRequest = { op: 'update'; id: number; data: Uint8Array } | { op: 'digest'; id: number };
type HashReply = { id: number; state?: Uint8Array; hex?: string; error?: string };

/**
 * The thread's code, plain CommonJS evaluated by the Worker: a .ts file would
 * need the TypeScript loader inside the thread, and a .js file beside this one
 * would not survive the build. It answers each request in order with the
 * state after the update (or the digest); id 0 says it is ready.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createSHA256 } = require(workerData.hashWasm);
createSHA256().then((hasher) => {
  hasher.init();
  if (workerData.state) hasher.load(workerData.state);
  parentPort.on('message', (req) => {
    try {
      if (req.op === 'update') {
        hasher.update(req.data);
        parentPort.postMessage({ id: req.id, state: hasher.save() });
      } else {
        parentPort.postMessage({ id: req.id, hex: hasher.digest('hex') });
      }
    } catch (err) {
      parentPort.postMessage({ id: req.id, error: String(err && err.message) });
    }
  });
  parentPort.postMessage({ id: 0 });
});
`;

/**
 * Whole-file SHA-256 whose state survives a crash: after each part the saved
 * state goes into the transfer's checkpoint, and a resumed transfer loads it
 * and goes on hashing from the first missing part. Node's native hash cannot
 * export its state, so this runs hash-wasm, in a worker thread so that the
 * hashing overlaps the SFTP reads and S3 uploads instead of stalling them.
 * Parts backed by a SharedArrayBuffer are read by the thread without a copy.
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
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', (code) => this.failAll(new Error(`sha256 thread exited with code ${code}`)));
  }

  /** Starts a hasher, from the beginning or from a saved state. */
  static async start(state?: Uint8Array): Promise<ResumableSha256> {
    const workerData = { state, hashWasm: require.resolve('hash-wasm') };
    const hasher = new ResumableSha256(new Worker(THREAD_SOURCE, { eval: true, workerData }));
    await hasher.call(0);
    return hasher;
  }

  /** Hashes `data` after everything given before; resolves with the state after it. */
  async update(data: Buffer): Promise<Buffer> {
    const reply = await this.send((id) => ({ op: 'update', id, data }));
    return Buffer.from(reply.state ?? []);
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
    const reply = this.call(id);
    this.worker.postMessage(make(id));
    return reply;
  }

  private call(id: number): Promise<HashReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  private failAll(err: Error): void {
    this.failure ??= err;
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }
}
