import { Worker, type CompiledWorkerOptions } from '@temporalio/worker';

/**
 * The workflow sandbox's watchdog, made optional.
 *
 * The SDK runs every call into the workflow sandbox (several per activation)
 * through `vm` with a `timeout`, so that a workflow stuck in a synchronous
 * loop fails its task ("potential deadlock") instead of freezing the worker.
 * Node implements that timeout by creating and joining a thread per call
 * (nodejs/node#10453). It was the largest item in a CPU profile of the
 * workflow thread, yet turning it off saved little of the worker's CPU per
 * small file and no measurable files/s (bench/README.md, bench/vm-timeout.ts).
 *
 * So it stays on, at the SDK's 5 s, unless WORKFLOW_ACTIVATION_TIMEOUT_MS=0:
 * without it, a workflow stuck in a loop would stall every workflow of the
 * worker, and its task, timed out and retried, the next worker's too, rather
 * than fail one task.
 */
export function withActivationTimeout(
  options: CompiledWorkerOptions,
  timeoutMs: number,
): CompiledWorkerOptions {
  // `undefined` is what node:vm reads as "no timeout"; the SDK passes the value straight through.
  return {
    ...options,
    isolateExecutionTimeoutMs: timeoutMs > 0 ? timeoutMs : (undefined as unknown as number),
  };
}

type CreatorArgs = Parameters<(typeof Worker)['createWorkflowCreator']>;

/** Builds `Worker`s whose sandbox calls have the given timeout (0: none). */
export function workerClassWithActivationTimeout(timeoutMs: number): typeof Worker {
  return class FerryWorker extends Worker {
    protected static override async createWorkflowCreator(...[bundle, options, logger]: CreatorArgs) {
      return await super.createWorkflowCreator(bundle, withActivationTimeout(options, timeoutMs), logger);
    }
  };
}
