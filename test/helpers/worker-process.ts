// Shared with the benchmarks, which stand alone (bench/ imports nothing from test/).
export * from '../../bench/lib/worker-process';
import type { WorkerProcess } from '../../bench/lib/worker-process';

/**
 * `promise`, or a rejection with the worker's output as soon as the worker
 * process exits: a test waiting on jobs fails at once, and says why, when
 * the worker that runs them died.
 */
export function unlessWorkerDies<T>(worker: WorkerProcess, promise: Promise<T>): Promise<T> {
  const died = worker.exited.then((code): never => {
    throw new Error(`the worker exited (${code ?? worker.child.signalCode}):\n${worker.output()}`);
  });
  died.catch(() => undefined);
  return Promise.race([promise, died]);
}
