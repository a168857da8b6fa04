import { CancelledFailure, Context } from '@temporalio/activity';

/**
 * How many exports stream at once in one worker (EXPORTS_PER_WORKER). Each
 * running build, validation or delivery holds a slot, so the worker's memory
 * under exports is at most that many times one export's budget
 * (EXPORT_MEMORY_MIB), whatever the archive sizes; docs/exports.md.
 * A step waiting for a slot heartbeats, so it stays cancellable.
 */
export class ExportSlots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    const ctx = Context.current();
    const timer = setInterval(() => ctx.heartbeat(), 1000);
    try {
      await new Promise<void>((resolve, reject) => {
        const wake = () => resolve();
        this.waiting.push(wake);
        ctx.cancellationSignal.addEventListener('abort', () => {
          const at = this.waiting.indexOf(wake);
          if (at >= 0) this.waiting.splice(at, 1);
          reject(new CancelledFailure('cancelled while waiting for an export slot'));
        });
      });
    } finally {
      clearInterval(timer);
    }
  }

  private release(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next waiter; `free` only grows when none waits.
    if (next) next();
    else this.free++;
  }
}
