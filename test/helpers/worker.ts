import { NativeConnection } from '@temporalio/worker';
import { createFerryWorker } from '../../src/worker';
import type { TestDeps } from './deps';
import { quietRuntime, workflowBundle } from './workflows';

/** Runs `fn` while a real Ferry worker polls `taskQueue` on the dev server. */
export async function withWorker<T>(deps: TestDeps, taskQueue: string, fn: () => Promise<T>): Promise<T> {
  quietRuntime();
  const connection = await NativeConnection.connect({ address: deps.config.TEMPORAL_ADDRESS });
  try {
    const worker = await createFerryWorker(deps, {
      connection,
      taskQueue,
      workflowBundle: await workflowBundle(deps.config.payloadKeys.length > 0),
    });
    return await worker.runUntil(fn());
  } finally {
    await connection.close();
  }
}
